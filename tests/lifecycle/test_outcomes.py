"""Cognito outcomes drive the machine: (action, response or error) → trigger → state."""

from __future__ import annotations

import pytest

from statemachine import Flow, UnknownOutcome, UnsupportedChallenge, cognito_messages, trigger_for
from statemachine.outcomes import UNSUPPORTED_CHALLENGES

TOKENS = {"AuthenticationResult": {"AccessToken": "x", "NewDeviceMetadata": {}}}

RESPONSES = [
    # (state, action, response, request, expected trigger, expected state)
    ("NEW", "SignUp", {"UserConfirmed": False}, None, "signed_up", "SIGNED_UP"),
    ("NEW", "SignUp", {"UserConfirmed": True}, None, "signed_up_confirmed", "CONFIRMED"),
    ("SIGNED_UP", "ResendConfirmationCode", {}, None, "code_resent", "SIGNED_UP"),
    ("SIGNED_UP", "ConfirmSignUp", {}, None, "confirmed", "CONFIRMED"),
    ("NEW", "AdminGetUser", {"UserStatus": "UNCONFIRMED"}, None, "user_not_confirmed", "SIGNED_UP"),
    ("NEW", "AdminGetUser", {"UserStatus": "CONFIRMED"}, None, "confirmed", "CONFIRMED"),
    (
        "CONFIRMED",
        "InitiateAuth",
        {"ChallengeName": "NEW_PASSWORD_REQUIRED"},
        None,
        "new_password_required",
        "NEW_PASSWORD_REQUIRED",
    ),
    (
        "CONFIRMED",
        "AdminInitiateAuth",
        {"ChallengeName": "MFA_SETUP", "ChallengeParameters": {"MFAS_CAN_SETUP": "[]"}},
        None,
        "mfa_setup_required",
        "MFA_SETUP",
    ),
    (
        "CONFIRMED",
        "AdminInitiateAuth",
        {"ChallengeName": "SOFTWARE_TOKEN_MFA"},
        None,
        "software_token_mfa_required",
        "SOFTWARE_TOKEN_MFA",
    ),
    (
        "AUTHENTICATED",
        "InitiateAuth",
        {"ChallengeName": "DEVICE_SRP_AUTH"},
        None,
        "device_srp_required",
        "DEVICE_SRP_AUTH",
    ),
    ("CONFIRMED", "InitiateAuth", TOKENS, None, "authenticated", "AUTHENTICATED"),
    (
        "CONFIRMED",
        "InitiateAuth",
        {"ChallengeName": "PASSWORD_VERIFIER"},
        None,
        "password_verifier_required",
        "CONFIRMED",
    ),
    (
        "NEW_PASSWORD_REQUIRED",
        "AdminRespondToAuthChallenge",
        {"ChallengeName": "MFA_SETUP"},
        None,
        "mfa_setup_required",
        "MFA_SETUP",
    ),
    (
        "NEW_PASSWORD_REQUIRED",
        "RespondToAuthChallenge",
        TOKENS,
        None,
        "authenticated",
        "AUTHENTICATED",
    ),
    ("MFA_SETUP", "AssociateSoftwareToken", {}, None, "software_token_associated", "MFA_SETUP"),
    (
        "MFA_SETUP",
        "VerifySoftwareToken",
        {"Status": "SUCCESS"},
        None,
        "software_token_verified",
        "MFA_SETUP",
    ),
    ("MFA_SETUP", "VerifySoftwareToken", {"Status": "ERROR"}, None, "code_rejected", "MFA_SETUP"),
    ("MFA_SETUP", "RespondToAuthChallenge", TOKENS, None, "authenticated", "AUTHENTICATED"),
    (
        "SOFTWARE_TOKEN_MFA",
        "AdminRespondToAuthChallenge",
        TOKENS,
        None,
        "authenticated",
        "AUTHENTICATED",
    ),
    (
        "DEVICE_SRP_AUTH",
        "RespondToAuthChallenge",
        {"ChallengeName": "DEVICE_PASSWORD_VERIFIER"},
        None,
        "device_password_verifier_required",
        "DEVICE_PASSWORD_VERIFIER",
    ),
    (
        "DEVICE_PASSWORD_VERIFIER",
        "RespondToAuthChallenge",
        TOKENS,
        None,
        "authenticated",
        "AUTHENTICATED",
    ),
    (
        "AUTHENTICATED",
        "ConfirmDevice",
        {"UserConfirmationNecessary": True},
        None,
        "device_confirmed",
        "AUTHENTICATED",
    ),
    (
        "AUTHENTICATED",
        "ConfirmDevice",
        {"UserConfirmationNecessary": False},
        None,
        "device_remembered",
        "AUTHENTICATED",
    ),
    (
        "AUTHENTICATED",
        "UpdateDeviceStatus",
        {},
        {"DeviceRememberedStatus": "remembered"},
        "device_remembered",
        "AUTHENTICATED",
    ),
    (
        "AUTHENTICATED",
        "UpdateDeviceStatus",
        {},
        {"DeviceRememberedStatus": "not_remembered"},
        "device_not_remembered",
        "AUTHENTICATED",
    ),
    ("AUTHENTICATED", "ForgetDevice", {}, None, "device_forgotten", "AUTHENTICATED"),
    ("AUTHENTICATED", "GlobalSignOut", {}, None, "signed_out_everywhere", "SIGNED_OUT"),
    ("AUTHENTICATED", "RevokeToken", {}, None, "signed_out", "SIGNED_OUT"),
    ("CONFIRMED", "ForgotPassword", {}, None, "reset_code_sent", "RESET_CODE_SENT"),
    ("RESET_CODE_SENT", "ForgotPassword", {}, None, "reset_code_sent", "RESET_CODE_SENT"),
    ("RESET_CODE_SENT", "ConfirmForgotPassword", {}, None, "password_reset", "CONFIRMED"),
    ("NEW", "ConfirmForgotPassword", {}, None, "password_reset", "CONFIRMED"),
    (
        "TEMPORARY_PASSWORD_EXPIRED",
        "AdminCreateUser",
        {},
        {"MessageAction": "RESEND"},
        "temporary_password_resent",
        "TEMPORARY_PASSWORD_SENT",
    ),
    ("AUTHENTICATED", "ChangePassword", {}, None, "password_changed", "AUTHENTICATED"),
    ("AUTHENTICATED", "GetUser", {}, None, "mfa_status_read", "AUTHENTICATED"),
    ("AUTHENTICATED", "SetUserMFAPreference", {}, None, "mfa_preference_set", "AUTHENTICATED"),
]


@pytest.mark.parametrize(
    ("state", "action", "response", "request_params", "trigger", "dest"),
    RESPONSES,
    ids=[f"{r[1]}-{r[4]}" for r in RESPONSES],
)
def test_response_drives_machine(state, action, response, request_params, trigger, dest) -> None:
    assert trigger_for(action, response, request=request_params) == trigger
    flow = Flow(state=state)
    entry = flow.apply(action, response, request=request_params)
    assert entry is not None and flow.state == dest
    assert entry.action == action
    assert entry.challenge == response.get("ChallengeName")


ERRORS = [
    ("SIGNED_UP", "ConfirmSignUp", "CodeMismatchException", "Invalid code", "code_rejected"),
    ("SIGNED_UP", "ConfirmSignUp", "ExpiredCodeException", "expired", "code_rejected"),
    (
        "MFA_SETUP",
        "VerifySoftwareToken",
        "EnableSoftwareTokenMFAException",
        "Code mismatch",
        "code_rejected",
    ),
    (
        "SOFTWARE_TOKEN_MFA",
        "RespondToAuthChallenge",
        "CodeMismatchException",
        "Invalid code received for user.",
        "code_rejected",
    ),
    (
        "SOFTWARE_TOKEN_MFA",
        "RespondToAuthChallenge",
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
        "session_expired",
    ),
    (
        "AUTHENTICATED",
        "InitiateAuth",
        "NotAuthorizedException",
        "Refresh Token has expired",
        "session_expired",
    ),
    (
        "CONFIRMED",
        "InitiateAuth",
        "NotAuthorizedException",
        "Incorrect username or password.",
        "credentials_rejected",
    ),
    (
        "NEW",
        "InitiateAuth",
        "UserNotConfirmedException",
        "User is not confirmed.",
        "user_not_confirmed",
    ),
    (
        "CONFIRMED",
        "InitiateAuth",
        "PasswordResetRequiredException",
        "Password reset required for the user",
        "password_reset_required",
    ),
    (
        "NEW",
        "InitiateAuth",
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
        "temporary_password_expired",
    ),
    (
        "CONFIRMED",
        "InitiateAuth",
        "NotAuthorizedException",
        "Password attempts exceeded",
        "attempts_exceeded",
    ),
    (
        "RESET_CODE_SENT",
        "ConfirmForgotPassword",
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
        "code_rejected",
    ),
    (
        "RESET_CODE_SENT",
        "ConfirmForgotPassword",
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
        "code_rejected",
    ),
    (
        "RESET_CODE_SENT",
        "ConfirmForgotPassword",
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
        "password_rejected",
    ),
    (
        "RESET_CODE_SENT",
        "ConfirmForgotPassword",
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
        "attempts_exceeded",
    ),
    (
        "AUTHENTICATED",
        "ChangePassword",
        "NotAuthorizedException",
        "Incorrect username or password.",
        "credentials_rejected",
    ),
    (
        "AUTHENTICATED",
        "ChangePassword",
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have symbol characters",
        "password_rejected",
    ),
    (
        "AUTHENTICATED",
        "GetUser",
        "NotAuthorizedException",
        "Access Token has been revoked",
        "session_expired",
    ),
]


@pytest.mark.parametrize(("state", "action", "code", "message", "trigger"), ERRORS)
def test_error_drives_machine(state, action, code, message, trigger) -> None:
    flow = Flow(state=state)
    entry = flow.apply(action, error_code=code, error_message=message)
    assert entry is not None and entry.trigger == trigger
    assert entry.challenge is None


@pytest.mark.parametrize(
    "code", ["TooManyRequestsException", "InvalidParameterException", "InternalErrorException"]
)
def test_errors_that_say_nothing_about_the_flow_keep_it(code: str) -> None:
    flow = Flow(state="CONFIRMED")
    assert flow.apply("InitiateAuth", error_code=code, error_message="x") is None
    assert flow.state == "CONFIRMED" and flow.journal == []


@pytest.mark.parametrize("challenge", sorted(UNSUPPORTED_CHALLENGES | {"BRAND_NEW_CHALLENGE"}))
def test_unsupported_challenge_is_explicit(challenge: str) -> None:
    flow = Flow(state="CONFIRMED")
    with pytest.raises(UnsupportedChallenge) as caught:
        flow.apply("InitiateAuth", {"ChallengeName": challenge})
    assert caught.value.challenge_name == challenge
    assert flow.state == "CONFIRMED" and flow.journal == []


def test_non_flow_actions_move_nothing() -> None:
    for action in ("AdminCreateUser", "ListUsers", "ListDevices", "AdminResetUserPassword"):
        assert trigger_for(action, {}) is None


def test_unknown_action_or_empty_answer_is_an_error() -> None:
    with pytest.raises(UnknownOutcome):
        trigger_for("DeleteUserPool", {})
    with pytest.raises(UnknownOutcome):
        trigger_for("InitiateAuth", {})
    with pytest.raises(UnknownOutcome):
        trigger_for("UpdateDeviceStatus", {}, request={})


def test_a_refused_refresh_expires_the_session_whatever_cognito_says() -> None:
    flow = Flow(state="AUTHENTICATED")
    entry = flow.apply(
        "InitiateAuth",
        request={"AuthFlow": "REFRESH_TOKEN_AUTH"},
        error_code="NotAuthorizedException",
        error_message="Incorrect username or password.",
    )
    assert entry is not None and entry.trigger == "session_expired"
    assert flow.state == "EXPIRED"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("Invalid session for the user, session is expired.", cognito_messages.SESSION_EXPIRED),
        (
            "Temporary password has expired and must be reset by an administrator.",
            cognito_messages.TEMPORARY_PASSWORD_EXPIRED,
        ),
        ("Password attempts exceeded", cognito_messages.ATTEMPTS_EXCEEDED),
        ("Refresh Token has been revoked", cognito_messages.REFRESH_TOKEN_REJECTED),
        ("Invalid Refresh Token", cognito_messages.REFRESH_TOKEN_REJECTED),
        ("Access Token has been revoked", cognito_messages.ACCESS_TOKEN_REJECTED),
        ("Incorrect username or password.", None),
        (None, None),
    ],
)
def test_each_not_authorized_message_has_one_reason(
    message: str | None, reason: str | None
) -> None:
    assert cognito_messages.not_authorized_reason(message) == reason
