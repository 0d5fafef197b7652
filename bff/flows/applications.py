"""The application pipeline's use case: a completed PandaDoc document creates the applicant's
Cognito account (``bff.cognito.applicants.create_cognito_user``), and Cognito emails them a
temporary password.

The webhook view (bff/api/webhook_views.py) checks PandaDoc's signature and parses the
body; everything after that is here, without HTTP:

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

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bff.cognito import applicants
from bff.cognito.gateway import CognitoGateway
from bff.errors import InvalidParameter, UsernameExists
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
        self, events: Iterable[Mapping[str, Any]], delivery_id: str
    ) -> dict[str, Any]:
        """Handle every event of one delivery; ``{"duplicate", "results"}``."""
        results = [self.handle_event(event) for event in events]
        # Recorded only once handled (see the module docstring).
        first = self.store.webhook_events.first_time(delivery_id, LEDGER_TTL_SECONDS)
        return {"duplicate": not first, "results": results}

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
