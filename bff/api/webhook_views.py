"""The application pipeline's webhook: a completed PandaDoc document creates the applicant's
Cognito account (bff/flows/applicants.py), and Cognito emails the temporary password.

PandaDoc POSTs a JSON array of events and signs it: ``?signature=`` is the hex
HMAC-SHA256 of the *raw* body under the webhook's shared key (PandaDoc developer docs,
"Webhooks: verifying the signature"); ``X-PandaDoc-Webhook-Event-Id`` stays the same when
PandaDoc retries a delivery.

* The signature is checked before anything is parsed (a blueprint ``before_request``, so
  webargs never sees an unauthenticated body), in constant time (``hmac.compare_digest``).
  Missing, malformed, wrong, or no key configured: 401, nothing created.
* The route is exempt from the CSRF header: PandaDoc is a server, not a browser, and the
  HMAC authenticates it.
* What a delivery does (who gets the account, idempotence, the event ledger) is the
  use case in bff/flows/applications.py; this view only authenticates and parses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

from flask import request

from bff import security
from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import PandaDocEventSchema, WebhookResultSchema
from bff.errors import InvalidSignature

log = logging.getLogger(__name__)

EVENT_ID_HEADER = "X-PandaDoc-Webhook-Event-Id"
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/webhooks",
    description="Server-to-server callbacks (HMAC-signed; no CSRF header).",
)


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


def delivery_ids() -> list[str]:
    """What identifies this delivery in the event ledger: the digest of the signed raw body
    always (a replay under a new or no event id is still the same body), and the event id
    header when there is one (PandaDoc's retries keep it)."""
    ids = ["pandadoc-body:" + hashlib.sha256(request.get_data(cache=True)).hexdigest()]
    header = request.headers.get(EVENT_ID_HEADER, "").strip()
    if header:
        ids.append("pandadoc:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest())
    return ids


@blp.route("/pandadoc", methods=["POST"])
@security.csrf_exempt
@blp.arguments(PandaDocEventSchema(many=True))
@blp.response(200, WebhookResultSchema)
def pandadoc(events: list[dict[str, Any]]) -> dict[str, Any]:
    """PandaDoc's webhook (signed with `?signature=`): a completed document creates the
    signer's account with a temporary password that Cognito emails."""
    return context.applications().handle_delivery(events, delivery_ids())
