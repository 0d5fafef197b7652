"""SMS_OTP: a one-time code Cognito texted to the user's verified phone number, as a first
factor of choice-based sign-in (passwordless).

Chosen at the start (``PREFERRED_CHALLENGE``) or at SELECT_CHALLENGE (``ANSWER``), with
nothing else; Cognito texts the code and answers SMS_OTP with ``CODE_DELIVERY_*``; the
answer is ``USERNAME`` and ``SMS_OTP_CODE`` (API reference, RespondToAuthChallenge). A wrong
code is CodeMismatchException and keeps the session for another try.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bff.cognito.types import AuthStep
from statemachine import Flow
from statemachine.challenges import SMS_OTP, challenge

from .base import CodeChallengeHandler
from .sms_mfa import SmsCodeSchema, TextedCodeData, code_delivery

if TYPE_CHECKING:
    from bff.flows.protocol import Flows


class SmsOtp(CodeChallengeHandler):
    code_key = "SMS_OTP_CODE"
    challenge = challenge(SMS_OTP)
    schema = SmsCodeSchema
    route = "/sign-in/sms-code"
    summary = "Answer SMS_OTP with the code Cognito texted (passwordless sign-in)."
    data_schema = TextedCodeData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"code_delivery": code_delivery(step)}
