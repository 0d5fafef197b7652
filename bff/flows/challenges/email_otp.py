"""EMAIL_OTP: a one-time code Cognito emailed, as a first factor of choice-based sign-in
(passwordless) or as MFA after the password.

Cognito's challenge parameters carry ``CODE_DELIVERY_DELIVERY_MEDIUM`` and the masked
``CODE_DELIVERY_DESTINATION``; the answer is ``USERNAME`` and ``EMAIL_OTP_CODE`` (API
reference, RespondToAuthChallenge). A wrong code is CodeMismatchException and keeps the
session for another try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import fields

from bff.cognito.types import AuthStep
from bff.fields import BaseSchema, code_field
from bff.flows.data import StepData
from statemachine import Flow
from statemachine.challenges import EMAIL_OTP, challenge

from .base import CodeChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows


class EmailCodeSchema(BaseSchema):
    code = code_field()


class EmailCodeData(StepData):
    destination = fields.String(
        allow_none=True,
        metadata={"description": "Where Cognito sent the code, masked (e.g. `a***@e***`)."},
    )


class EmailOtp(CodeChallengeHandler):
    code_key = "EMAIL_OTP_CODE"
    challenge = challenge(EMAIL_OTP)
    schema = EmailCodeSchema
    route = "/sign-in/email-code"
    summary = "Answer EMAIL_OTP with the code Cognito emailed (first factor or MFA)."
    data_schema = EmailCodeData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"destination": step.challenge_parameters.get("CODE_DELIVERY_DESTINATION")}
