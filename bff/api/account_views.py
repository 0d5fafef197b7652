"""The signed-in user's own account: change the password, read the MFA status, replace the
authenticator app, sign out of every browser. Each is a step of the signed-in flow
(journaled), answering the one step shape; a credential change rotates the session id.
The MFA status is a read (GET): it answers the same shape and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bff import security, sessions
from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import (
    ChangePasswordSchema,
    EmptySchema,
    FlowResponseSchema,
    ReplaceAuthenticatorSchema,
    SignedOutSchema,
)
from bff.errors import SessionExpired
from bff.flows import StepOutcome, account, flow_view
from bff.flows import session as session_steps
from bff.flows.challenges.mfa_setup import MfaSetupVerifySchema
from bff.security import step_up
from bff.session_record import BrowserSession
from statemachine import Flow

blp = Blueprint(
    "account",
    __name__,
    url_prefix="/api/account",
    description="The signed-in user's account: password, MFA, sign out everywhere.",
)


def read_answer(run: Any) -> dict[str, Any]:
    """``_answer`` for the account's reads defined beside this module (bff.api.factors_views)."""
    return _answer(run)


def _answer(run: Any) -> dict[str, Any]:
    """Run a signed-in step; a revoked access token (signed out everywhere from another
    browser) ends this session too. A read (GET) records nothing."""
    try:
        outcome: StepOutcome = run()
    except SessionExpired:
        sessions.end_session()
        raise
    if context.reading():
        return context.answer_read(outcome)
    return context.answer_step(outcome)


@blp.route("/password", methods=["POST"])
@security.limit_sign_in
@blp.arguments(ChangePasswordSchema)
@blp.response(200, FlowResponseSchema)
def change_password(args: dict[str, Any]) -> dict[str, Any]:
    """Change the password (ChangePassword: the current one is checked). This browser's
    session id is renewed; every other session of the user ends. A wrong current password
    is 400 `incorrect_password` with `details.attempts_left`; the third in a session ends
    it (401 `step_up_failed`)."""
    session, flow = context.signed_in_flow()
    return _answer(
        lambda: _stepped_up(
            session,
            flow,
            lambda: account.change_password(
                context.flows(),
                flow,
                context.access_token(session),
                args["previous_password"],
                args["new_password"],
                keep_session=session.sid,
            ),
        )
    )


def _stepped_up(session: BrowserSession, flow: Flow, run: Callable[[], StepOutcome]) -> StepOutcome:
    """Run a step that checks the current password against the session's budget of wrong
    ones (bff.security.step_up); spent, the session is signed out (its tokens revoked at
    Cognito, the flow SIGNED_OUT) and ended."""

    def sign_out() -> None:
        tokens = session.tokens
        session_steps.sign_out(
            context.flows(),
            flow,
            access_token=tokens["access_token"] if tokens else None,
            refresh_token=tokens["refresh_token"] if tokens else None,
        )
        sessions.end_session()

    return step_up.step_up().check(session.sid or "", run, sign_out)


@blp.route("/mfa", methods=["GET"])
@security.limit_read
@blp.response(200, FlowResponseSchema)
def mfa_status() -> dict[str, Any]:
    """The MFA settings (GetUser): `data.mfa` = `enabled` (UserMFASettingList),
    `preferred` (PreferredMfaSetting), `authenticator_app`. A read: nothing is journaled."""
    session, flow = context.signed_in_flow()
    return _answer(lambda: account.mfa_status(context.flows(), flow, context.access_token(session)))


@blp.route("/mfa/authenticator", methods=["POST"])
@security.limit_mfa
@blp.arguments(ReplaceAuthenticatorSchema)
@blp.response(200, FlowResponseSchema)
def replace_authenticator(args: dict[str, Any]) -> dict[str, Any]:
    """Start replacing the authenticator app: the current `password` first (step-up,
    checked by Cognito's InitiateAuth; wrong: 400 `incorrect_password`, and the third
    wrong current password in a session ends it, 401 `step_up_failed`), then
    AssociateSoftwareToken with the access token: `data` has the new otpauth URI, QR code
    and secret, shown once. The old app keeps working until the new one is verified."""
    session, flow = context.signed_in_flow()
    return _answer(
        lambda: _stepped_up(
            session,
            flow,
            lambda: account.replace_authenticator(
                context.flows(), flow, context.access_token(session), args["password"]
            ),
        )
    )


@blp.route("/mfa/authenticator/verify", methods=["POST"])
@security.limit_mfa
@blp.arguments(MfaSetupVerifySchema)
@blp.response(200, FlowResponseSchema)
def verify_authenticator(args: dict[str, Any]) -> dict[str, Any]:
    """The new app's first code (VerifySoftwareToken, then SetUserMFAPreference: TOTP
    preferred). From now on the old app's codes fail. The session id is renewed."""
    session, flow = context.signed_in_flow()
    return _answer(
        lambda: account.verify_authenticator(
            context.flows(),
            flow,
            context.access_token(session),
            args["code"],
            friendly_device_name=args.get("device_name"),
        )
    )


@blp.route("/sign-out-everywhere", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, SignedOutSchema)
def sign_out_everywhere(_args: dict[str, Any]) -> dict[str, Any]:
    """Sign out of every browser (GlobalSignOut): the user's tokens are revoked at Cognito
    and every BFF session of the user ends, this one included."""
    session, flow = context.signed_in_flow()
    flow, ended = session_steps.sign_out_everywhere(
        context.flows(), flow, context.access_token(session)
    )
    sessions.end_session()
    return {"signed_out": True, "sessions_ended": ended, "flow": flow_view(flow)["flow"]}
