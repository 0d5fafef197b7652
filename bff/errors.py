"""The project's one error hierarchy.

Every failure that can reach a client is a ``BffError``: a stable ``code`` (part of the
API contract, never renamed), an HTTP ``status``, a human ``message`` and optional
``details``. The gateway translates Cognito's errors into these at one boundary; the API
maps them to the one JSON error shape in one place.
"""

from __future__ import annotations

from typing import Any


class BffError(Exception):
    """Base of every error the BFF reports to a client."""

    code = "internal_error"
    status = 500
    default_message = "Something went wrong."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = dict(details or {})
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInput(BffError):
    code = "invalid_input"
    status = 422
    default_message = "The request is not valid."


class IllegalStep(BffError):
    """A step that the flow's state does not allow (409 with state and allowed steps)."""

    code = "illegal_step"
    status = 409
    default_message = "This step is not allowed now."


class Conflict(BffError):
    """The flow changed under us (compare-and-set on its version lost)."""

    code = "conflict"
    status = 409
    default_message = "This step was already submitted."


class CognitoError(BffError):
    """An error answered by Cognito, translated.

    ``cognito_code`` and ``cognito_message`` keep what Cognito said, unchanged (the
    lifecycle's outcome mapping reads them); ``message`` is what the client is told, which
    for a few errors is the project's own wording.
    """

    code = "cognito_error"
    status = 502
    default_message = "Cognito refused the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        cognito_code: str | None = None,
        cognito_message: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message, details=details)
        self.cognito_code = cognito_code
        self.cognito_message = cognito_message if cognito_message is not None else message
        if cognito_code:
            self.details.setdefault("cognito_code", cognito_code)


class CodeMismatch(CognitoError):
    code = "code_mismatch"
    status = 400
    default_message = "Invalid code received for user."


class ExpiredCode(CognitoError):
    code = "expired_code"
    status = 400
    default_message = "The code has expired or was already used."


class NotAuthorized(CognitoError):
    code = "not_authorized"
    status = 401
    default_message = "Incorrect username or password."


class TemporaryPasswordExpired(NotAuthorized):
    """The temporary password outlived TemporaryPasswordValidityDays; the remedy is a RESEND."""

    code = "temporary_password_expired"
    default_message = "The temporary password has expired. Ask for a new one to be sent."


class SessionExpired(CognitoError):
    code = "session_expired"
    status = 401
    default_message = "The sign-in session expired. Start signing in again."


class IncorrectPassword(BffError):
    """ChangePassword refused the current password (Cognito: NotAuthorizedException)."""

    code = "incorrect_password"
    status = 400
    default_message = "The current password is not correct."


class UserNotConfirmed(CognitoError):
    code = "user_not_confirmed"
    status = 403
    default_message = "The user has not confirmed their sign-up."


class PasswordResetRequired(CognitoError):
    code = "password_reset_required"
    status = 403
    default_message = "The user must reset their password."


class UserNotFound(CognitoError):
    code = "user_not_found"
    status = 404
    default_message = "User does not exist."


class DeviceNotFound(CognitoError):
    """ForgetDevice (and the other device calls) for a key Cognito does not know for this
    user: the client named a device that is not there."""

    code = "device_not_found"
    status = 404
    default_message = "No such device for this user."


class InvalidPaginationToken(CognitoError):
    code = "invalid_pagination_token"
    status = 400
    default_message = "The pagination token is not valid; start again from the first page."


class UsernameExists(CognitoError):
    code = "username_exists"
    status = 409
    default_message = "An account with the given username already exists."


class InvalidPassword(CognitoError):
    code = "invalid_password"
    status = 400
    default_message = "The password does not conform to the password policy."


class InvalidParameter(CognitoError):
    code = "invalid_parameter"
    status = 400
    default_message = "A parameter is not valid."


class TooManyRequests(CognitoError):
    code = "too_many_requests"
    status = 429
    default_message = "Too many requests. Try again later."


class UnsupportedUserState(CognitoError):
    code = "unsupported_user_state"
    status = 409
    default_message = "The user is not in a state that allows this action."


#: Seconds a client is told to wait (``Retry-After``) after a 503 for an outage.
OUTAGE_RETRY_AFTER_SECONDS = 5


class CognitoUnavailable(CognitoError):
    """Cognito did not answer in time, could not be reached, or failed on its side (5xx,
    InternalErrorException): 503 with ``Retry-After``, never 502."""

    code = "cognito_unavailable"
    status = 503
    default_message = "Cognito could not be reached. Try again later."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details.setdefault("retry_after", OUTAGE_RETRY_AFTER_SECONDS)


class StoreUnavailable(BffError):
    """The store (SQLite or Redis) did not answer within BFF_STORE_TIMEOUT_SECONDS: 503 with
    ``Retry-After``. Nothing of the step was kept; the same request succeeds once the store
    is back."""

    code = "store_unavailable"
    status = 503
    default_message = "The service's storage is not answering. Try again shortly."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details.setdefault("retry_after", OUTAGE_RETRY_AFTER_SECONDS)
