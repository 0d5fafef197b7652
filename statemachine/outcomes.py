"""Cognito outcomes → lifecycle triggers.

One function, ``trigger_for``, reads what a Cognito action answered (ChallengeName,
AuthenticationResult, UserConfirmed, UserStatus, or the error code) and names the trigger to
fire. It never sees a secret: callers may pass Cognito's whole response, but only the keys
read here matter, and nothing of the response is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .challenges import CHALLENGE_TRIGGERS, NOT_SUPPORTED
from .cognito_messages import (
    ACCESS_TOKEN_REJECTED,
    ATTEMPTS_EXCEEDED,
    REFRESH_TOKEN_REJECTED,
    SESSION_EXPIRED,
    TEMPORARY_PASSWORD_EXPIRED,
    not_authorized_reason,
)
from .errors import UnknownOutcome, UnsupportedChallenge

__all__ = ["CHALLENGE_TRIGGERS", "TOKEN_ENDPOINT", "UNSUPPORTED_CHALLENGES", "trigger_for"]

#: Challenges Cognito can send that we do not support (the registry's list).
UNSUPPORTED_CHALLENGES: Final[frozenset[str]] = frozenset(NOT_SUPPORTED)

AUTH_ACTIONS: Final[frozenset[str]] = frozenset(
    {"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge"}
)

#: Actions that never move a sign-in flow (admin look-ups, listings). AdminCreateUser moves
#: one only as the applicant's own "send me a new temporary password" (MessageAction=RESEND).
NON_FLOW_ACTIONS: Final[frozenset[str]] = frozenset(
    {
        "ListUsers",
        "ListDevices",
        "AdminListDevices",
        "AdminResetUserPassword",
        "StartWebAuthnRegistration",
        "ListWebAuthnCredentials",
    }
)

#: Not an API action: the user pool domain's OAuth 2.0 token endpoint, which redeems the
#: authorization code of a managed-login or federated sign-in.
TOKEN_ENDPOINT: Final = "/oauth2/token"

_SIMPLE: Final[dict[str, str]] = {
    TOKEN_ENDPOINT: "signed_in_with_oauth",
    "ConfirmSignUp": "confirmed",
    "ResendConfirmationCode": "code_resent",
    "AssociateSoftwareToken": "software_token_associated",
    "ForgetDevice": "device_forgotten",
    "GlobalSignOut": "signed_out_everywhere",
    "RevokeToken": "signed_out",
    "ForgotPassword": "reset_code_sent",
    "ConfirmForgotPassword": "password_reset",
    "ChangePassword": "password_changed",
    "GetUser": "mfa_status_read",
    "GetUserAuthFactors": "mfa_status_read",
    "SetUserMFAPreference": "mfa_preference_set",
    "CompleteWebAuthnRegistration": "passkey_registered",
    "DeleteWebAuthnCredential": "passkey_deleted",
}

# VerifySoftwareToken answers a wrong code with EnableSoftwareTokenMFAException, not
# CodeMismatchException (Cognito API reference, VerifySoftwareToken "Errors").
_CODE_ERRORS: Final[frozenset[str]] = frozenset(
    {"CodeMismatchException", "ExpiredCodeException", "EnableSoftwareTokenMFAException"}
)
#: Cognito counting attempts (ForgotPassword / ConfirmForgotPassword "Attempt limit exceeded,
#: please try after some time.", ChangePassword, VerifySoftwareToken...), not throttling.
_ATTEMPT_LIMIT_ERRORS: Final[frozenset[str]] = frozenset(
    {"LimitExceededException", "TooManyFailedAttemptsException"}
)
#: Actions whose NotAuthorizedException means a wrong password.
_PASSWORD_ACTIONS: Final[frozenset[str]] = AUTH_ACTIONS | {"ChangePassword"}


def trigger_for(
    action: str,
    response: Mapping[str, Any] | None = None,
    *,
    request: Mapping[str, Any] | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
) -> str | None:
    """The trigger that ``action``'s outcome fires, or None when it does not move a flow.

    ``error_code``/``error_message`` describe a Cognito error instead of a response. Errors
    that say nothing about the flow (throttling, invalid parameters) return None: the caller
    reports them and the flow stays where it is.
    """
    request = request or {}
    if error_code is not None:
        return _trigger_for_error(action, error_code, error_message, request)
    response = response or {}
    if action in NON_FLOW_ACTIONS:
        return None
    if action == "AdminCreateUser":
        return "temporary_password_resent" if request.get("MessageAction") == "RESEND" else None
    if action in _SIMPLE:
        return _SIMPLE[action]
    if action == "SignUp":
        return "signed_up_confirmed" if response.get("UserConfirmed") else "signed_up"
    if action in AUTH_ACTIONS:
        return _trigger_for_auth(action, response)
    if action == "AdminGetUser":
        status = response.get("UserStatus")
        if status == "UNCONFIRMED":
            return "user_not_confirmed"
        if status == "CONFIRMED":
            return "confirmed"
        return None
    if action == "VerifySoftwareToken":
        return "software_token_verified" if response.get("Status") == "SUCCESS" else "code_rejected"
    if action == "ConfirmDevice":
        necessary = response.get("UserConfirmationNecessary")
        return "device_confirmed" if necessary else "device_remembered"
    if action == "UpdateDeviceStatus":
        status = request.get("DeviceRememberedStatus")
        if status == "remembered":
            return "device_remembered"
        if status == "not_remembered":
            return "device_not_remembered"
        raise UnknownOutcome(f"UpdateDeviceStatus with DeviceRememberedStatus={status!r}")
    raise UnknownOutcome(f"Cognito action {action!r} is not part of the sign-in lifecycle")


def _trigger_for_auth(action: str, response: Mapping[str, Any]) -> str:
    challenge = response.get("ChallengeName")
    if challenge:
        if challenge in CHALLENGE_TRIGGERS:
            return CHALLENGE_TRIGGERS[challenge]
        raise UnsupportedChallenge(str(challenge))
    if response.get("AuthenticationResult") is not None:
        return "authenticated"
    raise UnknownOutcome(f"{action} answered neither a challenge nor tokens")


def _trigger_for_error(
    action: str, error_code: str, message: str | None, request: Mapping[str, Any]
) -> str | None:
    if error_code in _CODE_ERRORS:
        return "code_rejected"
    if error_code in _ATTEMPT_LIMIT_ERRORS:
        return "attempts_exceeded"
    if error_code == "UserNotConfirmedException":
        return "user_not_confirmed"
    if error_code == "PasswordResetRequiredException":
        return "password_reset_required"
    if error_code == "InvalidPasswordException":
        return "password_rejected"
    if error_code == "NotAuthorizedException":
        reason = not_authorized_reason(message)
        # An expired challenge session and a refused refresh or access token all end the
        # session; a refresh refused for any reason does too (the tokens are not usable).
        if reason in (SESSION_EXPIRED, REFRESH_TOKEN_REJECTED, ACCESS_TOKEN_REJECTED):
            return "session_expired"
        if reason == ATTEMPTS_EXCEEDED:
            return "attempts_exceeded"
        if action in AUTH_ACTIONS and reason == TEMPORARY_PASSWORD_EXPIRED:
            return "temporary_password_expired"
        if action in _PASSWORD_ACTIONS:
            if request.get("AuthFlow") == "REFRESH_TOKEN_AUTH":
                return "session_expired"
            return "credentials_rejected"
    return None
