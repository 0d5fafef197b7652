"""SOFTWARE_TOKEN_MFA: the authenticator app's current code, after the password.

Answer: ``USERNAME`` and ``SOFTWARE_TOKEN_MFA_CODE`` (API reference, RespondToAuthChallenge).
A wrong code is CodeMismatchException and keeps the challenge's session usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bff.cognito.types import AuthStep
from bff.fields import BaseSchema, code_field
from statemachine import Flow
from statemachine.challenges import SOFTWARE_TOKEN_MFA, challenge

from .base import AnswerContext, ChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

CHALLENGE = challenge(SOFTWARE_TOKEN_MFA)


def mfa_code_responses(username: str, code: str) -> dict[str, str]:
    """The ChallengeResponses of a SOFTWARE_TOKEN_MFA answer."""
    return {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code}


class MfaCodeSchema(BaseSchema):
    code = code_field()


class SoftwareTokenMfa(ChallengeHandler):
    challenge = CHALLENGE
    schema = MfaCodeSchema
    route = "/sign-in/mfa"
    summary = "Answer SOFTWARE_TOKEN_MFA with the authenticator app's current code."

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        responses = mfa_code_responses(flow.username or "", args["code"])
        return self.respond(flows, flow, responses, session)
