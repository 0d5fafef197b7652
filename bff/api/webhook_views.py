"""The application pipeline's webhook: a completed PandaDoc document creates the applicant's
Cognito account (bff/cognito/applicants.py), and Cognito emails the temporary password.

PandaDoc POSTs a JSON array of events and signs it: ``?signature=`` is the hex
HMAC-SHA256 of the *raw* body under the webhook's shared key (PandaDoc developer docs,
"Webhooks: verifying the signature"); ``X-PandaDoc-Webhook-Event-Id`` stays the same when
PandaDoc retries a delivery.

* The signature is checked before anything is parsed (a blueprint ``before_request``, so
  webargs never sees an unauthenticated body), in constant time (``hmac.compare_digest``).
  Missing, malformed, wrong, or no key configured: 401, nothing created.
* The route is exempt from the CSRF header: PandaDoc is a server, not a browser, and the
  HMAC authenticates it.
* Who gets the account: on ``document_state_changed`` with ``data.status ==
  "document.completed"``, the first recipient whose ``recipient_type`` is ``signer``
  (PandaDoc's field), else the first whose template ``role`` is "signer" (any case), else
  the first recipient. Other events are acknowledged and ignored.
* Idempotent: AdminCreateUser answering UsernameExists is "user_exists", not an error, so
  a retry, a replay, or two deliveries racing never create a second account or send a
  second email. The event ledger (set-if-absent) records a delivery once it has been
  handled, and the answer says ``duplicate: true`` for a delivery seen before. It is
  written *after* handling, not before: recording first would turn a delivery that failed
  on a Cognito outage (503, which PandaDoc retries) into a "duplicate" and the applicant
  would never get an account. The price: a replay costs one AdminCreateUser call that
  answers UsernameExists.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

from flask import request
from flask_smorest import Blueprint

from bff import security
from bff.api import context
from bff.api.schemas import PandaDocEventSchema, WebhookResultSchema
from bff.cognito import applicants
from bff.errors import BffError, InvalidParameter, UsernameExists

log = logging.getLogger(__name__)

EVENT_ID_HEADER = "X-PandaDoc-Webhook-Event-Id"
#: How long a handled delivery is remembered (PandaDoc retries within hours, not weeks).
LEDGER_TTL_SECONDS = 30 * 86400
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/webhooks",
    description="Server-to-server callbacks (HMAC-signed; no CSRF header).",
)


class InvalidSignature(BffError):
    code = "invalid_signature"
    status = 401
    default_message = "The webhook signature is missing or does not match the body."


@blp.before_request
def verify_signature() -> None:
    key = context.settings().pandadoc_webhook_key
    if not key:
        log.warning("PandaDoc webhook refused: PANDADOC_WEBHOOK_KEY is not set")
        raise InvalidSignature("Webhooks are not configured on this server.")
    given = request.args.get("signature", "")
    raw = request.get_data(cache=True)
    expected = hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()
    if not _HEX_SHA256.match(given) or not hmac.compare_digest(
        given.lower().encode(), expected.encode()
    ):
        log.warning("PandaDoc webhook refused: bad or missing signature")
        raise InvalidSignature()


def signer_email(document: dict[str, Any]) -> str | None:
    """The applicant: the signer among the document's recipients (see module docstring)."""
    recipients = [r for r in document.get("recipients") or [] if r.get("email")]
    for recipient in recipients:
        if (recipient.get("recipient_type") or "").lower() == "signer":
            return str(recipient["email"])
    for recipient in recipients:
        if (recipient.get("role") or "").lower() == "signer":
            return str(recipient["email"])
    return str(recipients[0]["email"]) if recipients else None


def _delivery_id() -> str:
    header = request.headers.get(EVENT_ID_HEADER, "").strip()
    if header:
        return "pandadoc:" + header[:200]
    # No id header: the body itself identifies the delivery (retries resend the same bytes).
    return "pandadoc-body:" + hashlib.sha256(request.get_data(cache=True)).hexdigest()


def _handle(event: dict[str, Any]) -> dict[str, Any]:
    name = event["event"]
    document = event.get("data") or {}
    if name != "document_state_changed" or document.get("status") != "document.completed":
        return {"event": name, "outcome": "ignored", "email": None}
    email = signer_email(document)
    if email is None:
        log.warning("PandaDoc document %s completed with no recipient email", document.get("id"))
        return {"event": name, "outcome": "no_recipient", "email": None}
    try:
        applicants.create_cognito_user(email, gateway=context.gateway())
    except UsernameExists:
        return {"event": name, "outcome": "user_exists", "email": email}
    except InvalidParameter as exc:
        # Retrying cannot fix a bad address: acknowledge, report, move on.
        log.warning("PandaDoc document %s: account not created (%s)", document.get("id"), exc)
        return {"event": name, "outcome": "rejected", "email": email}
    log.info("PandaDoc document %s completed: account created", document.get("id"))
    return {"event": name, "outcome": "user_created", "email": email}


@blp.route("/pandadoc", methods=["POST"])
@security.csrf_exempt
@blp.arguments(PandaDocEventSchema(many=True))
@blp.response(200, WebhookResultSchema)
def pandadoc(events: list[dict[str, Any]]) -> dict[str, Any]:
    """PandaDoc's webhook (signed with ``?signature=``): a completed document creates the
    signer's account with a temporary password that Cognito emails."""
    results = [_handle(event) for event in events]
    # Recorded only once handled (see the module docstring): the answer says whether this
    # delivery had been handled before.
    first = context.store().webhook_events.first_time(_delivery_id(), LEDGER_TTL_SECONDS)
    return {"duplicate": not first, "results": results}
