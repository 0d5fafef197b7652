"""SELECT_MFA_TYPE: the user has several MFA factors and prefers none; they pick one.

Cognito lists the factors in ``MFAS_CAN_CHOOSE`` (a JSON-array string of challenge names);
the answer is ``USERNAME`` and ``ANSWER``, and Cognito then asks the chosen challenge (API
reference, RespondToAuthChallenge; SetUserMFAPreference: "If multiple options are activated
and no preference is set, a challenge to choose an MFA option will be returned"). The answer
is the challenge's own name, as MFAS_CAN_CHOOSE lists it and as Amplify JS sends it; the API
reference's sample spells email ``EMAIL_MFA``, a name ChallengeNameType does not have, so the
BFF sends the listed name and never that one. Only a listed factor is sent: anything else
is refused here (422) without a Cognito call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import AuthStep
from bff.errors import InvalidParameter
from bff.fields import BaseSchema
from bff.flows.data import StepData
from statemachine import Flow
from statemachine.challenges import CHALLENGES, SELECT_MFA_TYPE, challenge

from .base import AnswerContext, ChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

log = logging.getLogger(__name__)

CHALLENGE = challenge(SELECT_MFA_TYPE)
#: The factors a user can be offered: the registry's MFA code challenges.
FACTORS = tuple(c.name for c in CHALLENGES if c.mfa and c.name != SELECT_MFA_TYPE)


class SelectMfaTypeSchema(BaseSchema):
    mfa_type = fields.String(
        required=True,
        validate=validate.OneOf(FACTORS),
        metadata={"description": "One of the step's `mfa_types`."},
    )


class MfaChoiceData(StepData):
    mfa_types = fields.List(
        fields.String(validate=validate.OneOf(FACTORS)),
        metadata={"description": "The factors to choose from (Cognito's MFAS_CAN_CHOOSE)."},
    )


def offered(step: AuthStep) -> list[str]:
    """MFAS_CAN_CHOOSE (a JSON-array string on the wire), keeping the factors this project
    answers; none when it is not a JSON array."""
    raw = step.challenge_parameters.get("MFAS_CAN_CHOOSE") or "[]"
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        log.warning("Cognito sent MFAS_CAN_CHOOSE that is not JSON; offering nothing")
        return []
    if not isinstance(names, list):
        return []
    return [name for name in names if name in FACTORS]


def choose(
    gateway: CognitoGateway,
    username: str,
    mfa_type: str,
    session: str,
    *,
    offered: list[str] | None = None,
) -> AuthStep:
    """Answer SELECT_MFA_TYPE with ``mfa_type``; one the challenge did not offer is
    InvalidParameter before Cognito is called."""
    if offered is not None and mfa_type not in offered:
        raise InvalidParameter(
            f"Choose one of the offered factors: {', '.join(offered)}.",
            details={"fields": {"mfa_type": [f"Not offered at this sign-in: {mfa_type}."]}},
        )
    return gateway.respond(CHALLENGE.name, {"USERNAME": username, "ANSWER": mfa_type}, session)


class SelectMfaType(ChallengeHandler):
    challenge = CHALLENGE
    schema = SelectMfaTypeSchema
    route = "/sign-in/mfa-type"
    summary = (
        "Answer SELECT_MFA_TYPE with the MFA factor to use now; Cognito then asks for that "
        "factor's code."
    )
    data_schema = MfaChoiceData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"mfa_types": offered(step)}

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        choices = context.step_data.get("mfa_types")
        return flows.call(
            flow,
            "RespondToAuthChallenge",
            lambda: choose(
                flows.gateway,
                flow.username or "",
                args["mfa_type"],
                session,
                offered=choices if isinstance(choices, list) else None,
            ),
            restore_session=session,
        )
