"""Password recovery, signed out: forgot password (a reset code by email), reset with the
code, and a new temporary password for an account that never signed in.

Every answer is the same whether or not the account exists (docs/security.md,
enumeration): Cognito simulates a delivery for an unknown user (PreventUserExistenceErrors),
and what a pool without it says is answered alike here.
"""

from __future__ import annotations

import logging

from marshmallow import fields

from bff.cognito.types import CodeDelivery
from bff.errors import (
    AttemptLimitExceeded,
    CodeMismatch,
    CognitoError,
    ExpiredCode,
    InvalidParameter,
    InvalidPassword,
    NotAuthorized,
    UnsupportedUserState,
    UserNotConfirmed,
    UserNotFound,
)
from bff.flows import applicants
from bff.flows.budgets import for_username, mailing
from bff.flows.data import CodeDeliverySchema, StepData, produces
from bff.flows.outcome import StepOutcome, delivery_data, simulated_delivery
from bff.flows.protocol import Flows
from bff.flows.session import end_user_sessions
from statemachine import Flow
from statemachine.lifecycle import CONFIRMED, RESET_CODE_SENT, TEMPORARY_PASSWORD_SENT

log = logging.getLogger(__name__)

#: The one answer to a reset code Cognito refused, whatever the reason: Cognito's own text
#: for a code past its life, which is also right for a wrong one.
RESET_CODE_REFUSED = "Invalid code provided, please request a code again."

#: What ConfirmForgotPassword answers that would tell who has an account, and in which
#: state: a wrong code (CodeMismatchException) is all an unknown user ever gets with
#: PreventUserExistenceErrors, while an existing user with no pending code gets
#: ExpiredCodeException, a disabled one or one with a temporary password
#: NotAuthorizedException, one without a verified email InvalidParameterException, and
#: after a few wrong codes LimitExceededException.
_REFUSED_CODE = (
    CodeMismatch,
    ExpiredCode,
    AttemptLimitExceeded,
    UserNotFound,
    NotAuthorized,
    InvalidParameter,
    UserNotConfirmed,
)


@produces(RESET_CODE_SENT)
class ResetCodeSentData(StepData):
    """Forgot password: where the reset code went (the same for an unknown user)."""

    code_delivery = fields.Nested(CodeDeliverySchema)


@produces(CONFIRMED)
class PasswordResetData(StepData):
    """The password was reset with the emailed code: sign in with the new one."""

    password_reset = fields.Boolean()
    sessions_ended = fields.Integer(
        metadata={"description": "The user's other BFF sessions that ended."}
    )


@produces(TEMPORARY_PASSWORD_SENT)
class TemporaryPasswordSentData(StepData):
    """A new temporary password was emailed (the same answer for anyone)."""


def point_at_field(exc: CognitoError, field_name: str) -> None:
    """A policy refusal of a new password names its field, like a 422 (``details.fields``)."""
    if isinstance(exc, InvalidPassword):
        exc.details["fields"] = {field_name: [exc.message]}


def forgot_password(flows: Flows, flow: Flow | None, username: str) -> StepOutcome:
    """ForgotPassword: a reset code by email; RESET_CODE_SENT.

    A pool without PreventUserExistenceErrors (UserNotFoundException), or a user who cannot
    reset by email (no verified email: InvalidParameterException; a temporary password or a
    disabled account: NotAuthorizedException) get the same answer, and nothing is sent. So
    does Cognito's limit on reset codes per user and hour (LimitExceededException): it
    never applies to an unknown user, so a 429 would tell who has an account; the journal
    records it (``attempts_exceeded``), the user still has the codes already sent. So does
    the BFF's own budget of reset codes per username (bff.flows.budgets.mailing): a
    stranger's requests never turn into a refusal of the user's own.
    """
    flow, is_new = flows.flow_for(flow, "forgot_password", username)
    with mailing(flows.budgets, "mail_reset", username) as send:
        if send:
            delivery, is_new = _send_reset_code(flows, flow, is_new, username)
        else:
            log.info("forgot password: nothing sent (the username's budget of reset codes)")
            delivery = simulated_delivery(username)
    flow.apply("ForgotPassword", {})
    flows.persist(flow, is_new=is_new)
    code_delivery = delivery_data(delivery, masked_for=username)
    return StepOutcome(flow, {"username": username, "code_delivery": code_delivery})


def _send_reset_code(
    flows: Flows, flow: Flow, is_new: bool, username: str
) -> tuple[CodeDelivery, bool]:
    """ForgotPassword, with every refusal that must not be told answered as a delivery."""
    try:
        return flows.gateway.forgot_password(username), is_new
    except (UserNotFound, InvalidParameter, NotAuthorized, UserNotConfirmed) as exc:
        log.info("forgot password: nothing sent (%s)", exc.cognito_code)
        return simulated_delivery(username), is_new
    except AttemptLimitExceeded as exc:
        flows.record_failure(flow, "ForgotPassword", exc, is_new=is_new)
        if exc.cognito_code != "LimitExceededException":
            raise
        log.info("forgot password: nothing sent (Cognito's limit on reset codes)")
        return simulated_delivery(username), False
    except CognitoError as exc:
        flows.record_failure(flow, "ForgotPassword", exc, is_new=is_new)
        raise


def reset_password(
    flows: Flows,
    flow: Flow | None,
    code: str,
    new_password: str,
    *,
    username: str | None = None,
    keep_session: str | None = None,
) -> StepOutcome:
    """ConfirmForgotPassword with the emailed code and the new password; CONFIRMED.

    A wrong or expired code, a weak password and Cognito's attempt limit keep the state
    (journaled with Cognito's own error). Every refusal of the code is answered alike, 400
    ``code_mismatch`` (``_REFUSED_CODE``): an unknown user, one with no pending code, a
    disabled one, and Cognito's attempt limit (which never applies to an unknown user)
    cannot be told apart. Once reset, every BFF session of the user but ``keep_session``
    (the resetting browser's) ends: whoever knew the old password is signed out here.
    Remembered devices and the MFA setting stay as Cognito leaves them.
    """
    flow, is_new = flows.flow_for_code_step(flow, "reset_password", username)
    name = flow.username or ""
    # Charged after the refusals are made alike: every refused code costs the same,
    # whoever the username names.
    with for_username(flows.budgets, "reset", name):
        try:
            flows.gateway.confirm_forgot_password(name, code, new_password)
        except CognitoError as exc:
            flows.record_failure(flow, "ConfirmForgotPassword", exc, is_new=is_new)
            if isinstance(exc, _REFUSED_CODE):
                log.info("reset password: code refused (%s)", exc.cognito_code)
                raise CodeMismatch(
                    RESET_CODE_REFUSED, cognito_code="CodeMismatchException"
                ) from None
            point_at_field(exc, "new_password")
            raise
    flow.apply("ConfirmForgotPassword", {})
    flows.persist(flow, is_new=is_new)
    ended = end_user_sessions(flows, name, keep_session=keep_session)
    return StepOutcome(flow, {"username": name, "password_reset": True, "sessions_ended": ended})


def resend_temporary_password(flows: Flows, flow: Flow | None, username: str) -> StepOutcome:
    """ "Send me a new temporary password": AdminCreateUser MessageAction=RESEND
    (``applicants.resend_temporary_password``); TEMPORARY_PASSWORD_SENT.

    The same answer whether or not the account exists or waits for a new password
    (UserNotFoundException, UnsupportedUserStateException are logged, not told), and
    past the username's mail budget (bff.flows.budgets.mailing: nothing sent).
    """
    flow, is_new = flows.flow_for(flow, "resend_temporary_password", username)
    with mailing(flows.budgets, "mail_temporary", username) as send:
        try:
            if send:
                applicants.resend_temporary_password(username, gateway=flows.gateway)
            else:
                log.info("temporary password: nothing sent (the username's mail budget)")
        except (UserNotFound, UnsupportedUserState, NotAuthorized) as exc:
            log.info("temporary password: nothing sent (%s)", exc.cognito_code)
        except CognitoError as exc:
            flows.record_failure(flow, "AdminCreateUser", exc, is_new=is_new)
            raise
    flow.apply("AdminCreateUser", {}, request={"MessageAction": "RESEND"})
    flows.persist(flow, is_new=is_new)
    return StepOutcome(flow, {"username": username})
