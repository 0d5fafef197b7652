"""The application pipeline's use case: a completed PandaDoc document creates the applicant's
Cognito account (``bff.flows.applicants.create_cognito_user``), and Cognito emails them a
temporary password.

The webhook view (bff/api/webhook_views.py) checks PandaDoc's signature and parses the
body; everything after that is here, without HTTP:

* Who gets the account: on ``document_state_changed`` with ``data.status ==
  "document.completed"``, the first recipient whose ``recipient_type`` is ``signer``
  (PandaDoc's field), else the first whose template ``role`` is "signer" (any case), else
  the first recipient. Other events are acknowledged and ignored.
* Idempotent: AdminCreateUser answering UsernameExists is "user_exists", not an error, so
  a retry or two deliveries racing never create a second account or send a second email.
* Replay-proof: a signed body is handled at most once, whatever the headers say. Before
  any side effect, the delivery is claimed in the event ledger (set-if-absent) under the
  SHA-256 of the signed raw body *and* under ``X-PandaDoc-Webhook-Event-Id`` when present
  (the header is not covered by the signature, so it can never be the only key). A body or
  an event id seen before answers ``duplicate: true`` and touches nothing: without this, a
  replay after the user was deleted re-created the account and emailed a new temporary
  password. A delivery that fails (a Cognito or store outage: 503, which PandaDoc retries)
  releases its claims, so the retry is handled.
* Retention: a claim is kept ``LEDGER_TTL_SECONDS`` (30 days). PandaDoc retries a failed
  delivery for a limited time (hours, per its webhook documentation), far inside that.
  A replay of a body older than 30 days is handled again: for a user who still exists it
  answers ``user_exists`` (no email); for one deleted since, it would create the account
  again (docs/security.md, known limits).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bff.cognito.gateway import CognitoGateway
from bff.errors import InvalidParameter, UsernameExists
from bff.flows import applicants
from bff.store import Store

log = logging.getLogger(__name__)

#: How long a handled delivery is remembered (PandaDoc retries within hours, not weeks).
LEDGER_TTL_SECONDS = 30 * 86400


def signer_email(document: Mapping[str, Any]) -> str | None:
    """The applicant: the signer among the document's recipients (see module docstring)."""
    recipients = [r for r in document.get("recipients") or [] if r.get("email")]
    for recipient in recipients:
        if (recipient.get("recipient_type") or "").lower() == "signer":
            return str(recipient["email"])
    for recipient in recipients:
        if (recipient.get("role") or "").lower() == "signer":
            return str(recipient["email"])
    return str(recipients[0]["email"]) if recipients else None


class ApplicationIntake:
    """PandaDoc deliveries in, applicants' Cognito accounts out."""

    def __init__(self, gateway: CognitoGateway, store: Store) -> None:
        self.gateway = gateway
        self.store = store

    def handle_delivery(
        self, events: Sequence[Mapping[str, Any]], delivery_ids: Sequence[str]
    ) -> dict[str, Any]:
        """Handle every event of one delivery, once; ``{"duplicate", "results"}``.

        ``delivery_ids``: the keys that identify the delivery (the signed body's digest,
        and the event id header when there is one). Any of them seen before: a duplicate,
        nothing is done. A failure releases the claims (see the module docstring).
        """
        ledger = self.store.webhook_events
        claimed: list[str] = []
        duplicate = False
        for delivery_id in delivery_ids:
            if ledger.first_time(delivery_id, LEDGER_TTL_SECONDS):
                claimed.append(delivery_id)
            else:
                duplicate = True
        if duplicate:
            log.info("PandaDoc delivery seen before: nothing done")
            return {
                "duplicate": True,
                "results": [
                    {"event": event["event"], "outcome": "duplicate", "email": None}
                    for event in events
                ],
            }
        try:
            results = [self.handle_event(event) for event in events]
        except BaseException:
            for delivery_id in claimed:
                try:
                    ledger.forget(delivery_id)
                except Exception:  # the store is down too: the claim expires with its TTL
                    log.warning("PandaDoc delivery failed and its claim could not be released")
            raise
        return {"duplicate": False, "results": results}

    def handle_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """One event: ``{"event", "outcome", "email"}``; outcome is user_created,
        user_exists, ignored, no_recipient or rejected."""
        name = event["event"]
        document = event.get("data") or {}
        if name != "document_state_changed" or document.get("status") != "document.completed":
            return {"event": name, "outcome": "ignored", "email": None}
        email = signer_email(document)
        if email is None:
            log.warning(
                "PandaDoc document %s completed with no recipient email", document.get("id")
            )
            return {"event": name, "outcome": "no_recipient", "email": None}
        try:
            applicants.create_cognito_user(email, gateway=self.gateway)
        except UsernameExists:
            return {"event": name, "outcome": "user_exists", "email": email}
        except InvalidParameter as exc:
            # Retrying cannot fix a bad address: acknowledge, report, move on.
            log.warning("PandaDoc document %s: account not created (%s)", document.get("id"), exc)
            return {"event": name, "outcome": "rejected", "email": email}
        log.info("PandaDoc document %s completed: account created", document.get("id"))
        return {"event": name, "outcome": "user_created", "email": email}
