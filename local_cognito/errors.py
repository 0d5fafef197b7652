"""Cognito's error responses, as the local Cognito sends them on the wire.

Each class is one Cognito error code (the ``__type`` boto3 reads as ``Error.Code``).
moto defines a few of these; the ones it lacks, or defines with another message, are here
so that every message the local Cognito sends is chosen in one place.
"""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError


class CognitoError(JsonRESTError):
    """A Cognito error: ``error_type`` is the code, ``message`` the text."""

    error_code = "InternalErrorException"

    def __init__(self, message: str) -> None:
        super().__init__(self.error_code, message)


class NotAuthorized(CognitoError):
    error_code = "NotAuthorizedException"


class InvalidParameter(CognitoError):
    error_code = "InvalidParameterException"


class InvalidPassword(CognitoError):
    error_code = "InvalidPasswordException"


class CodeMismatch(CognitoError):
    error_code = "CodeMismatchException"


class ExpiredCode(CognitoError):
    error_code = "ExpiredCodeException"


class UserNotFound(CognitoError):
    error_code = "UserNotFoundException"


class UserNotConfirmed(CognitoError):
    error_code = "UserNotConfirmedException"


class UsernameExists(CognitoError):
    error_code = "UsernameExistsException"


class UnsupportedUserState(CognitoError):
    error_code = "UnsupportedUserStateException"


class PasswordResetRequired(CognitoError):
    error_code = "PasswordResetRequiredException"


class ResourceNotFound(CognitoError):
    error_code = "ResourceNotFoundException"


class EnableSoftwareTokenMfa(CognitoError):
    error_code = "EnableSoftwareTokenMFAException"


class LimitExceeded(CognitoError):
    error_code = "LimitExceededException"


class FeatureUnavailableInTier(CognitoError):
    error_code = "FeatureUnavailableInTierException"


class RefreshTokenReuse(CognitoError):
    error_code = "RefreshTokenReuseException"


INCORRECT_CREDENTIALS = "Incorrect username or password."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
INVALID_SESSION = "Invalid session for the user."
# A Session that was already answered (reported wording, matched exactly by apps).
SESSION_USED = "Invalid session for the user, session can only be used once."
CODE_MISMATCH_SIGN_UP = "Invalid verification code provided, please try again."
CODE_EXPIRED = "Invalid code provided, please request a code again."
# Cognito's text has no final period (reported; apps and i18n tables match it exactly).
TOTP_MISMATCH = "Invalid code received for user"
TOTP_REUSED = "Your software token has already been used once."
TEMPORARY_PASSWORD_EXPIRED = "Temporary password has expired and must be reset by an administrator."
ACCESS_TOKEN_REVOKED = "Access Token has been revoked"
ACCESS_TOKEN_EXPIRED = "Access Token has expired"
INVALID_ACCESS_TOKEN = "Invalid Access Token"
REFRESH_TOKEN_REVOKED = "Refresh Token has been revoked"
INVALID_REFRESH_TOKEN = "Invalid Refresh Token"
ATTEMPT_LIMIT_EXCEEDED = "Attempt limit exceeded, please try after some time."
PASSWORD_RESET_REQUIRED = "Password reset required for the user"
REFRESH_TOKEN_EXPIRED = "Refresh Token has expired"
# A DEVICE_KEY the user does not have (forgotten, or never issued), at sign-in (reported).
DEVICE_NOT_FOUND = "Device does not exist."
