"""Cognito's refusals as the project's errors (bff.cognito.error_translation picks the class
for each of Cognito's error codes)."""

from __future__ import annotations

from typing import Any

from bff.errors.base import OUTAGE_RETRY_AFTER_SECONDS, BffError


class CognitoError(BffError):
    """Cognito refused with an error this service has no own code for
    (``details.cognito_code`` is Cognito's)."""

    code = "cognito_error"
    status = 502
    default_message = "Cognito refused the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        cognito_code: str | None = None,
        cognito_message: str | None = None,
        **kwargs: Any,
    ) -> None:
        """``cognito_code``/``cognito_message``: what Cognito answered, unchanged (the
        lifecycle's outcome mapping reads them); None when Cognito was never asked or never
        answered. ``message`` is what the client is told."""
        super().__init__(message, **kwargs)
        self.cognito_code = cognito_code
        self.cognito_message = cognito_message if cognito_message is not None else message
        if cognito_code:
            self.details.setdefault("cognito_code", cognito_code)


class CodeMismatch(CognitoError):
    """A wrong confirmation, reset or TOTP code (or, at confirmation, an unknown or already
    confirmed user: one answer for all three)."""

    code = "code_mismatch"
    status = 400
    default_message = "Invalid code received for user."


class ExpiredCode(CognitoError):
    """An emailed code past its lifetime, or a TOTP code used a second time."""

    code = "expired_code"
    status = 400
    default_message = "The code has expired or was already used."


class NotAuthorized(CognitoError):
    """A wrong password or an unknown user: one answer for both."""

    code = "not_authorized"
    status = 401
    default_message = "Incorrect username or password."


class TemporaryPasswordExpired(NotAuthorized):
    """Sign-in with a temporary password older than TemporaryPasswordValidityDays; the flow is
    now TEMPORARY_PASSWORD_EXPIRED (``details.flow_id``, ``details.state``,
    ``details.next_steps`` with ``resend_temporary_password``)."""

    code = "temporary_password_expired"
    default_message = "The temporary password has expired. Ask for a new one to be sent."


class SessionExpired(CognitoError):
    """Cognito's challenge session expired, a refresh was refused, or the session was
    revoked at Cognito (seen when the access token is refused): the session ends."""

    code = "session_expired"
    status = 401
    default_message = "The sign-in session expired. Start signing in again."


class IncorrectPassword(BffError):
    """Changing the password: the current one is wrong (Cognito's NotAuthorizedException)."""

    code = "incorrect_password"
    status = 400
    default_message = "The current password is not correct."


class UserNotConfirmed(CognitoError):
    """Sign-in for a user who has not confirmed their sign-up."""

    code = "user_not_confirmed"
    status = 403
    default_message = "The user has not confirmed their sign-up."


class PasswordResetRequired(CognitoError):
    """An account action for a user whose password an administrator reset (a sign-in is not
    refused: it answers RESET_CODE_SENT)."""

    code = "password_reset_required"
    status = 403
    default_message = "The user must reset their password."


class UserNotFound(CognitoError):
    """An admin lookup of a user Cognito does not have."""

    code = "user_not_found"
    status = 404
    default_message = "User does not exist."


class DeviceNotFound(CognitoError):
    """``DELETE /api/devices/{key}`` for a key Cognito does not know for this user."""

    code = "device_not_found"
    status = 404
    default_message = "No such device for this user."


class InvalidPaginationToken(CognitoError):
    """A ``pagination_token`` Cognito did not issue."""

    code = "invalid_pagination_token"
    status = 400
    default_message = "The pagination token is not valid; start again from the first page."


class UsernameExists(CognitoError):
    """Sign-up (or an admin creation) for a username that has an account."""

    code = "username_exists"
    status = 409
    default_message = "An account with the given username already exists."


class InvalidPassword(CognitoError):
    """A new password the pool's policy refuses (``details.fields`` on the reset and
    change-password steps)."""

    code = "invalid_password"
    status = 400
    default_message = "The password does not conform to the password policy."


class InvalidParameter(CognitoError):
    """Cognito refused a parameter (an e-mail address it cannot use, say)."""

    code = "invalid_parameter"
    status = 400
    default_message = "A parameter is not valid."


class AttemptLimitExceeded(CognitoError):
    """Cognito's own attempt limit: LimitExceededException, TooManyFailedAttemptsException,
    or "Password attempts exceeded" (too many wrong codes or passwords); Cognito says not
    how long it lasts, so there is no ``Retry-After``."""

    code = "attempt_limit_exceeded"
    status = 429
    default_message = "Too many failed attempts. Wait a while before trying again."


class CognitoThrottled(CognitoError):
    """Cognito throttled the pool's calls (TooManyRequestsException) after the BFF's own
    retries: ``Retry-After``."""

    code = "cognito_throttled"
    status = 429
    default_message = "Cognito is receiving too many requests. Try again shortly."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details.setdefault("retry_after", OUTAGE_RETRY_AFTER_SECONDS)


class UnsupportedUserState(CognitoError):
    """The user is not in a state that allows the action (e.g. a temporary password resent
    for a confirmed user)."""

    code = "unsupported_user_state"
    status = 409
    default_message = "The user is not in a state that allows this action."


class CognitoUnavailable(CognitoError):
    """Cognito did not answer in time (``details.reason`` ``deadline_exceeded`` when the
    request's deadline ran out), could not be reached, or failed on its side: ``Retry-After``."""

    code = "cognito_unavailable"
    status = 503
    default_message = "Cognito could not be reached. Try again later."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details.setdefault("retry_after", OUTAGE_RETRY_AFTER_SECONDS)
