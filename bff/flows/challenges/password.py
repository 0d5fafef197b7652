"""PASSWORD and PASSWORD_SRP: the password as a first factor of choice-based sign-in.

Both are answered within the choice's step, never as a screen of their own: PASSWORD sends
the password with the choice (``ANSWER=PASSWORD, PASSWORD``, or ``PREFERRED_CHALLENGE`` with
``PASSWORD``); PASSWORD_SRP sends ``SRP_A`` and answers the PASSWORD_VERIFIER Cognito sends
back, so the password never reaches Cognito (API reference, RespondToAuthChallenge
"ChallengeResponses"; the SRP arithmetic is bff.cognito.srp's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

from bff.cognito import srp
from bff.cognito.types import AuthStep
from bff.errors import InvalidParameter
from bff.flows.budgets import password_accepted
from statemachine import Flow
from statemachine.challenges import PASSWORD, PASSWORD_SRP, PASSWORD_VERIFIER, challenge

from .base import AnswerContext, ChallengeHandler, SendChoice

if TYPE_CHECKING:
    from bff.flows.protocol import Flows


def _password_fields() -> dict[str, fields.Field[Any]]:
    return {
        "password": fields.String(
            load_only=True,
            validate=validate.Length(min=1, max=256),
            metadata={"description": "The password (with the PASSWORD and PASSWORD_SRP factors)."},
        )
    }


class _PasswordFactor(ChallengeHandler):
    """A factor answered within the choice's step: no route of its own."""

    factor_requires = ("password",)

    def factor_fields(self) -> dict[str, fields.Field[Any]]:
        return _password_fields()

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        raise InvalidParameter(f"{self.challenge.name} is answered with the choice of factor.")


class PasswordFactor(_PasswordFactor):
    challenge = challenge(PASSWORD)

    def choose(
        self, flows: Flows, flow: Flow, args: Mapping[str, Any], send: SendChoice
    ) -> AuthStep:
        step = send(dict(PASSWORD=args["password"]))
        password_accepted()
        return step


class PasswordSrpFactor(_PasswordFactor):
    challenge = challenge(PASSWORD_SRP)

    def choose(
        self, flows: Flows, flow: Flow, args: Mapping[str, Any], send: SendChoice
    ) -> AuthStep:
        ephemeral = srp.SrpEphemeral.generate()
        step = send({"SRP_A": ephemeral.srp_a})
        if step.challenge_name != PASSWORD_VERIFIER:
            return step
        try:
            responses = srp.password_verifier_responses(
                ephemeral,
                user_pool_id=flows.gateway.user_pool_id,
                password=args["password"],
                challenge_parameters=step.challenge_parameters,
            )
        except srp.InvalidSrpParameters as error:
            raise InvalidParameter(f"Cognito's SRP challenge is unusable: {error}") from None
        # The caller journals a refusal (one failure path for the whole choice).
        step = flows.gateway.respond(PASSWORD_VERIFIER, responses, step.session)
        password_accepted()
        return step
