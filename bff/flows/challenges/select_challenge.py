"""SELECT_CHALLENGE: choice-based sign-in asks the user to pick a first factor among
``AvailableChallenges`` (a top-level field of InitiateAuth's answer).

The SPA gets the factors it can offer (``data.factors``: Cognito's list, minus factors this
project does not handle) and answers with one of them and what that factor needs; the
answer is ``USERNAME``, ``ANSWER`` and the factor's own parameters (API reference,
RespondToAuthChallenge "ChallengeResponses"). Each factor's handler (bff.flows.challenges
.factors) builds its part, so a new factor needs no change here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

from bff.cognito.types import AuthStep
from bff.errors import CognitoError, NotAuthorized
from bff.flows.data import StepData
from statemachine import Flow
from statemachine.challenges import FACTORS, SELECT_CHALLENGE, challenge

from .base import AnswerContext, ChallengeHandler
from .factors import FACTOR_HANDLERS, factor_choice_schema

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

log = logging.getLogger(__name__)


class FactorsData(StepData):
    factors = fields.List(
        fields.String(validate=validate.OneOf(FACTORS)),
        metadata={
            "description": "The first factors to offer, in Cognito's order (its "
            "AvailableChallenges this project handles)."
        },
    )


def offered_factors(step: AuthStep) -> list[str]:
    """Cognito's AvailableChallenges this project can answer, in Cognito's order."""
    unknown = [name for name in step.available_challenges if name not in FACTOR_HANDLERS]
    if unknown:
        log.info("factors Cognito offers that this BFF does not handle: %s", unknown)
    return [name for name in step.available_challenges if name in FACTOR_HANDLERS]


class SelectChallenge(ChallengeHandler):
    challenge = challenge(SELECT_CHALLENGE)
    schema = factor_choice_schema("ChooseFactorSchema", {}, factor_required=True)
    route = "/sign-in/factor"
    summary = (
        "Answer SELECT_CHALLENGE: sign in with one of `data.factors`, with what that factor "
        "needs (`password` for PASSWORD and PASSWORD_SRP)."
    )
    data_schema = FactorsData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"factors": offered_factors(step)}

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        factor = FACTOR_HANDLERS[args["factor"]]
        username = flow.username or ""
        answered: list[AuthStep] = []

        def send(parameters: Mapping[str, str]) -> AuthStep:
            responses = {"USERNAME": username, "ANSWER": factor.challenge.name, **parameters}
            if context.device is not None:
                # The browser's remembered device: a password factor then skips MFA.
                responses["DEVICE_KEY"] = context.device.device.device_key
            answered.append(flows.gateway.respond(self.challenge.name, responses, session))
            return answered[-1]

        try:
            return factor.choose(flows, flow, args, send)
        except CognitoError as exc:
            # Refused at the choice itself (a wrong password), the session takes another
            # answer; refused later (PASSWORD_SRP's verifier), Cognito spent it on the choice.
            restore = self._reopen(flows, flow, context, exc) if answered else session
            flows.record_failure(flow, "RespondToAuthChallenge", exc, restore_session=restore)
            raise

    def _reopen(
        self, flows: Flows, flow: Flow, context: AnswerContext, exc: CognitoError
    ) -> str | None:
        """A session to choose again with, after a wrong password refused at PASSWORD_SRP's
        verifier (the choice's own session went with the choice): a new USER_AUTH start, so
        both password factors leave the choice open after a wrong password. None when that
        fails too, or for any other refusal (the user starts again)."""
        if type(exc) is not NotAuthorized:
            return None
        device = context.device.device.device_key if context.device is not None else None
        try:
            step = flows.gateway.initiate_user_auth(flow.username or "", device_key=device)
        except CognitoError:
            return None
        return step.session if step.challenge_name == self.challenge.name else None
