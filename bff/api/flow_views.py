"""The sign-up and sign-in steps. Each answers the one step shape
``{"flow": {"id", "state", "next_steps", "data"}}``; everything else is an error.

Views are thin: the schema parses, the service layer (bff.flows) talks to Cognito and the
flow store, ``answer_step`` records the step in the browser's session. The answers to
Cognito's challenges are routed from the challenge registry (bff.api.challenge_views).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from bff import security, sessions
from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import (
    ConfirmSchema,
    CurrentFlowSchema,
    FlowResponseSchema,
    RememberDeviceSchema,
    ResendCodeSchema,
    ResetPasswordSchema,
    SignInSchema,
    SignUpSchema,
    UsernameSchema,
)
from bff.errors import TemporaryPasswordExpired
from bff.flows import devices, recovery, signin, signup
from bff.session_record import BrowserSession

blp = Blueprint(
    "flow",
    __name__,
    url_prefix="/api",
    description="Sign-up and sign-in, one step at a time. Every step answers the flow: "
    "its state, the steps allowed next, and what the next screen needs.",
)


@blp.route("/flow")
class CurrentFlow(MethodView):
    @blp.response(200, CurrentFlowSchema)
    def get(self) -> dict[str, Any]:
        """The browser's current flow: state, next steps, step data (after a reload).
        `{"flow": null}` when this browser has none (a fresh page)."""
        flow = context.current_flow()
        if flow is None:
            return {"flow": None}
        return context.view_of(flow, context.browser_session() or BrowserSession())


@blp.route("/sign-up", methods=["POST"])
@security.limit_sign_up
@blp.arguments(SignUpSchema)
@blp.response(200, FlowResponseSchema)
def sign_up(args: dict[str, Any]) -> dict[str, Any]:
    """Create an account (SignUp); Cognito emails a confirmation code.

    The username defaults to the email address.
    """
    username = args.get("username") or args["email"]
    outcome = signup.sign_up(
        context.flows(),
        username,
        args["password"],
        email=args["email"],
        attributes=args["attributes"],
    )
    return context.answer_step(outcome, start=True)


@blp.route("/sign-up/confirm", methods=["POST"])
@security.limit_mfa
@blp.arguments(ConfirmSchema)
@blp.response(200, FlowResponseSchema)
def confirm(args: dict[str, Any]) -> dict[str, Any]:
    """Confirm the sign-up with the emailed code (ConfirmSignUp).

    Without a sign-up in this browser, give the username too.
    """
    flow = context.current_flow()
    outcome = signup.confirm(context.flows(), flow, args["code"], username=args.get("username"))
    return context.answer_step(outcome, start=outcome.flow is not flow)


@blp.route("/sign-up/resend-code", methods=["POST"])
@security.limit_resend
@blp.arguments(ResendCodeSchema)
@blp.response(200, FlowResponseSchema)
def resend_code(args: dict[str, Any]) -> dict[str, Any]:
    """Email another confirmation code (ResendConfirmationCode)."""
    flow = context.current_flow()
    outcome = signup.resend_code(context.flows(), flow, username=args.get("username"))
    return context.answer_step(outcome, start=outcome.flow is not flow)


@blp.route("/sign-in", methods=["POST"])
@security.limit_sign_in
@blp.arguments(SignInSchema)
@blp.response(200, FlowResponseSchema)
def sign_in(args: dict[str, Any]) -> dict[str, Any]:
    """Start signing in with username and password (InitiateAuth).

    A browser with a remembered device of this user signs in without an MFA code (the BFF
    answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER itself). Wrong password and
    unknown user get the same 401. An expired temporary password is the 401
    `temporary_password_expired`; this browser's flow is then TEMPORARY_PASSWORD_EXPIRED,
    from which `resend_temporary_password` continues.
    """
    try:
        outcome = signin.sign_in(
            context.flows(),
            context.current_flow(),
            args["username"],
            args["password"],
            device=context.remembered_device(),
            device_name=args.get("device_name"),
        )
    except TemporaryPasswordExpired as exc:
        # The error is the answer, but the flow moved on: a reload (GET /api/flow) and the
        # next step continue it.
        moved_on = BrowserSession(username=args["username"], flow_id=exc.details["flow_id"])
        sessions.start_session(moved_on.to_record())
        raise
    outcome.data["username"] = args["username"]
    return context.answer_step(outcome, start=True, device_name=args.get("device_name"))


@blp.route("/sign-in/resend-temporary-password", methods=["POST"])
@security.limit_resend
@blp.arguments(UsernameSchema)
@blp.response(200, FlowResponseSchema)
def resend_temporary_password(args: dict[str, Any]) -> dict[str, Any]:
    """Email a new temporary password, when sign-in answered `temporary_password_expired`
    (AdminCreateUser, MessageAction=RESEND). The same answer whether or not the account
    exists or waits for a new password."""
    flow = context.current_flow()
    outcome = recovery.resend_temporary_password(context.flows(), flow, args["username"])
    return context.answer_step(outcome, start=outcome.flow is not flow)


@blp.route("/password/forgot", methods=["POST"])
@security.limit_resend
@blp.arguments(UsernameSchema)
@blp.response(200, FlowResponseSchema)
def forgot_password(args: dict[str, Any]) -> dict[str, Any]:
    """Forgot the password: Cognito emails a reset code (ForgotPassword). An unknown user
    gets the same answer (nothing is sent)."""
    flow = context.current_flow()
    outcome = recovery.forgot_password(context.flows(), flow, args["username"])
    return context.answer_step(outcome, start=outcome.flow is not flow)


@blp.route("/password/reset", methods=["POST"])
@security.limit_mfa
@blp.arguments(ResetPasswordSchema)
@blp.response(200, FlowResponseSchema)
def reset_password(args: dict[str, Any]) -> dict[str, Any]:
    """Set a new password with the emailed reset code (ConfirmForgotPassword); then sign in.
    Every signed-in session of the user ends. Without a forgot-password in this browser,
    give the username too."""
    flow = context.current_flow()
    session = context.browser_session()
    outcome = recovery.reset_password(
        context.flows(),
        flow,
        args["code"],
        args["new_password"],
        username=args.get("username"),
        keep_session=session.sid if session else None,
    )
    return context.answer_step(outcome, start=outcome.flow is not flow)


@blp.route("/sign-in/remember-device", methods=["POST"])
@blp.arguments(RememberDeviceSchema)
@blp.response(200, FlowResponseSchema)
def remember_device(args: dict[str, Any]) -> dict[str, Any]:
    """Remember this browser (next sign-ins skip MFA) or not: UpdateDeviceStatus for the
    device the BFF confirmed when the tokens came (ConfirmDevice). The device's secrets
    stay on the server, encrypted. A second tab answering after the first gets the answer
    already given (`data.already_answered`)."""
    session = context.signed_in()
    outcome = devices.remember_device(
        context.flows(),
        context.require_flow(),
        context.access_token(session),
        session.pending(),
        remember=args["remember"],
        username=session.username or "",
        browser_device_id=context.device_id(),
    )
    # Cognito offered the device once: whatever the answer, it is not offered again.
    return context.answer_step(outcome, forget_new_device=True)
