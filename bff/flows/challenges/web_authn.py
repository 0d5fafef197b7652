"""WEB_AUTHN: a passkey as the first factor of choice-based sign-in.

Cognito's challenge parameter ``CREDENTIAL_REQUEST_OPTIONS`` is a JSON string (a
PublicKeyCredentialRequestOptionsJSON; not modelled in botocore, Amplify JSON-parses it):
the SPA gets it parsed, for ``navigator.credentials.get``. The answer is ``USERNAME`` and
``CREDENTIAL``, the browser's AuthenticationResponseJSON serialised (API reference,
RespondToAuthChallenge "ChallengeResponses"). The BFF checks only the answer's shape;
Cognito verifies the assertion against the passkey it keeps.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from bff.cognito.types import AuthStep
from bff.fields import BaseSchema
from bff.flows.data import StepData
from bff.flows.webauthn_json import AuthenticationResponseSchema
from statemachine import Flow
from statemachine.challenges import WEB_AUTHN, challenge

from .base import AnswerContext, ChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

log = logging.getLogger(__name__)


class PasskeyAssertionSchema(BaseSchema):
    credential = fields.Nested(
        AuthenticationResponseSchema,
        required=True,
        metadata={
            "description": "The browser's AuthenticationResponseJSON (credential.toJSON() of "
            "navigator.credentials.get)."
        },
    )


class PasskeyRequestData(StepData):
    credential_request_options = fields.Dict(
        allow_none=True,
        metadata={
            "description": "Cognito's CREDENTIAL_REQUEST_OPTIONS, parsed: pass it to "
            "PublicKeyCredential.parseRequestOptionsFromJSON, then navigator.credentials.get."
        },
    )


def request_options(step: AuthStep) -> dict[str, Any] | None:
    """CREDENTIAL_REQUEST_OPTIONS as an object (None when Cognito sent none or no JSON)."""
    raw = step.challenge_parameters.get("CREDENTIAL_REQUEST_OPTIONS")
    if not raw:
        return None
    try:
        options = json.loads(raw)
    except ValueError:
        log.warning("Cognito's CREDENTIAL_REQUEST_OPTIONS is not JSON")
        return None
    return options if isinstance(options, dict) else None


class WebAuthn(ChallengeHandler):
    challenge = challenge(WEB_AUTHN)
    schema = PasskeyAssertionSchema
    route = "/sign-in/passkey"
    summary = (
        "Answer WEB_AUTHN with the browser's passkey assertion (navigator.credentials.get over "
        "`data.credential_request_options`), relayed as it came; Cognito verifies it."
    )
    data_schema = PasskeyRequestData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"credential_request_options": request_options(step)}

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        credential = json.dumps(args["credential"], separators=(",", ":"))
        responses = {"USERNAME": flow.username or "", "CREDENTIAL": credential}
        return self.respond(flows, flow, responses, session)
