"""MFA_SETUP: MFA is required and the user has none; register an authenticator app.

Done as Amplify does it: entering the state calls AssociateSoftwareToken with the
challenge's Session at once (the secret and QR code go to the SPA in that one answer and
are stored nowhere); the answer is VerifySoftwareToken with the first code, which returns
a new Session, then RespondToAuthChallenge(MFA_SETUP, {USERNAME}) with it → tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

from bff.cognito import totp
from bff.cognito.types import AuthStep
from bff.errors import CodeMismatch
from bff.fields import BaseSchema, code_field
from bff.flows.data import StepData
from statemachine import Flow
from statemachine.challenges import MFA_SETUP, challenge

from .base import AnswerContext, ChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

CHALLENGE = challenge(MFA_SETUP)


class MfaSetupVerifySchema(BaseSchema):
    code = code_field()
    device_name = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A name for the authenticator app (FriendlyDeviceName)."},
    )


class AuthenticatorData(StepData):
    """A new authenticator's secret, shown in this one answer (a reload does not repeat
    it: sign in again for a new one)."""

    otpauth_uri = fields.String(metadata={"description": "otpauth://totp/… for the app."})
    qr_svg = fields.String(metadata={"description": "The otpauth URI as an inline SVG QR code."})
    secret = fields.String(metadata={"description": "The base32 secret, for manual entry."})


def authenticator_data(flows: Flows, username: str | None, secret: str) -> dict[str, Any]:
    """The new authenticator's secret for the SPA, as an otpauth URI, a QR code and the
    secret itself (manual entry); shown in this one answer only, stored nowhere."""
    uri = totp.otpauth_uri(secret, account=username or "user", issuer=flows.totp_issuer)
    return {"otpauth_uri": uri, "qr_svg": totp.qr_svg(uri), "secret": secret}


class MfaSetup(ChallengeHandler):
    challenge = CHALLENGE
    schema = MfaSetupVerifySchema
    route = "/sign-in/mfa-setup"
    summary = (
        "Register the authenticator app with its first code (VerifySoftwareToken, then "
        "MFA_SETUP): signed in."
    )
    privilege_changed = True
    data_schema = AuthenticatorData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        session = flow.cognito_session or ""
        association = flows.call(
            flow,
            "AssociateSoftwareToken",
            lambda: flows.gateway.associate_software_token(session=session),
        )
        flow.apply("AssociateSoftwareToken", {})
        flow.cognito_session = association.session or session
        return authenticator_data(flows, flow.username, association.secret_code)

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        verified = flows.call(
            flow,
            "VerifySoftwareToken",
            lambda: flows.gateway.verify_software_token(
                args["code"], session=session, friendly_device_name=args.get("device_name")
            ),
            restore_session=session,
        )
        flow.apply("VerifySoftwareToken", {"Status": verified.status})
        if not verified.succeeded:
            flow.cognito_session = session
            flows.save(flow)
            raise CodeMismatch()
        answer_session = verified.session or session
        return self.respond(flows, flow, {"USERNAME": flow.username or ""}, answer_session)
