"""SMS_MFA: a code Cognito texted to the user's phone, after the password.

Cognito's challenge parameters say where the code went (``CODE_DELIVERY_DESTINATION``,
masked, and ``CODE_DELIVERY_DELIVERY_MEDIUM``); the answer is ``USERNAME`` and
``SMS_MFA_CODE`` (API reference, RespondToAuthChallenge). A wrong code is
CodeMismatchException and keeps the challenge's session usable, for a few attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import fields

from bff.cognito.types import AuthStep
from bff.fields import BaseSchema, code_field
from bff.flows.data import CodeDeliverySchema, StepData
from statemachine import Flow
from statemachine.challenges import SMS_MFA, challenge

from .base import CodeChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

CHALLENGE = challenge(SMS_MFA)


def code_delivery(step: AuthStep) -> dict[str, Any]:
    """Where Cognito says it sent a challenge's code (its CODE_DELIVERY_* parameters)."""
    parameters = step.challenge_parameters
    return {
        "destination": parameters.get("CODE_DELIVERY_DESTINATION"),
        "medium": parameters.get("CODE_DELIVERY_DELIVERY_MEDIUM") or "SMS",
        "attribute": "phone_number",
    }


class SmsCodeSchema(BaseSchema):
    code = code_field()


class TextedCodeData(StepData):
    """Where the code was texted."""

    code_delivery = fields.Nested(CodeDeliverySchema)


class SmsMfa(CodeChallengeHandler):
    code_key = "SMS_MFA_CODE"
    challenge = CHALLENGE
    schema = SmsCodeSchema
    route = "/sign-in/sms-mfa"
    summary = "Answer SMS_MFA with the code Cognito texted to the user's phone."
    data_schema = TextedCodeData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"code_delivery": code_delivery(step)}
