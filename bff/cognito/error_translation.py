"""The one place Cognito's errors become the project's errors (bff/errors.py).

``cognito_call(action)`` wraps each boto3 call in the gateway: a ``ClientError`` becomes the
``CognitoError`` subclass for its code, a botocore connection or timeout error becomes
``CognitoUnavailable``, any other botocore error a ``CognitoError``; none escapes. Error
codes and messages are Cognito's, from the API reference of each action
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/) and
docs/cognito-actions.md. NotAuthorizedException's several meanings are told apart by the
message fragments of ``statemachine.cognito_messages``, which the lifecycle reads too.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from bff.errors import (
    AttemptLimitExceeded,
    CodeMismatch,
    CognitoError,
    CognitoThrottled,
    CognitoUnavailable,
    ExpiredCode,
    InvalidParameter,
    InvalidPassword,
    NotAuthorized,
    PasskeyChallengeExpired,
    PasskeyRejected,
    PasskeysNotAvailable,
    PasswordResetRequired,
    SessionExpired,
    TemporaryPasswordExpired,
    UnsupportedUserState,
    UsernameExists,
    UserNotConfirmed,
    UserNotFound,
)
from statemachine import cognito_messages

log = logging.getLogger(__name__)

ERRORS_BY_COGNITO_CODE: dict[str, type[CognitoError]] = {
    "CodeMismatchException": CodeMismatch,
    # VerifySoftwareToken's answer to a wrong code in some pools ("Code mismatch").
    "EnableSoftwareTokenMFAException": CodeMismatch,
    "ExpiredCodeException": ExpiredCode,
    "NotAuthorizedException": NotAuthorized,
    # GetTokensFromRefreshToken: a refresh token replaced by rotation, past its grace period.
    "RefreshTokenReuseException": NotAuthorized,
    "UserNotConfirmedException": UserNotConfirmed,
    "UsernameExistsException": UsernameExists,
    "InvalidPasswordException": InvalidPassword,
    # Cognito's request-rate quota for the pool: throttling, not a verdict on the user.
    "TooManyRequestsException": CognitoThrottled,
    "ThrottlingException": CognitoThrottled,
    # Cognito counting a user's attempts (wrong codes, too many resets).
    "LimitExceededException": AttemptLimitExceeded,
    "TooManyFailedAttemptsException": AttemptLimitExceeded,
    "UnsupportedUserStateException": UnsupportedUserState,
    "UserNotFoundException": UserNotFound,
    "InvalidParameterException": InvalidParameter,
    "PasswordResetRequiredException": PasswordResetRequired,
    # Passkeys (API reference, StartWebAuthnRegistration, CompleteWebAuthnRegistration).
    "WebAuthnNotEnabledException": PasskeysNotAvailable,
    "WebAuthnConfigurationMissingException": PasskeysNotAvailable,
    "FeatureUnavailableInTierException": PasskeysNotAvailable,
    "WebAuthnChallengeNotFoundException": PasskeyChallengeExpired,
    "WebAuthnRelyingPartyMismatchException": PasskeyRejected,
    "WebAuthnOriginNotAllowedException": PasskeyRejected,
    "WebAuthnClientMismatchException": PasskeyRejected,
    "WebAuthnCredentialNotSupportedException": PasskeyRejected,
}

#: Cognito's own failures (API reference, "Common errors": InternalFailure, ServiceUnavailable;
#: every action lists InternalErrorException, HTTP 500).
SERVICE_FAILURES = frozenset({"InternalErrorException", "InternalFailure", "ServiceUnavailable"})

# NotAuthorizedException covers several situations the SPA must tell apart; Cognito only
# distinguishes them by message (statemachine.cognito_messages names each fragment once).
_NOT_AUTHORIZED_BY_REASON: dict[str, type[CognitoError]] = {
    cognito_messages.SESSION_EXPIRED: SessionExpired,
    # A revoked access token (GlobalSignOut elsewhere) ends the signed-in session too.
    cognito_messages.ACCESS_TOKEN_REJECTED: SessionExpired,
    cognito_messages.TEMPORARY_PASSWORD_EXPIRED: TemporaryPasswordExpired,
    # "Password attempts exceeded": the user is locked out for a while, not mistyping.
    cognito_messages.ATTEMPTS_EXCEEDED: AttemptLimitExceeded,
}

# Our message is more useful to a user than Cognito's for these (Cognito's stays on the
# error as ``cognito_message``).
_OWN_MESSAGE = (SessionExpired, CognitoUnavailable)


def translate_client_error(error: ClientError) -> CognitoError:
    """The project's error for one ClientError (unknown codes keep Cognito's code and text)."""
    details = error.response.get("Error", {})
    cognito_code = str(details.get("Code") or "UnknownError")
    message = str(details.get("Message") or "") or None
    error_class = ERRORS_BY_COGNITO_CODE.get(cognito_code, CognitoError)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if cognito_code in SERVICE_FAILURES or status >= 500:
        # Cognito failed on its side: an outage to the client (503 + Retry-After, so a
        # caller such as PandaDoc retries), never a 502 that reads as our bug.
        error_class = CognitoUnavailable
    if cognito_code == "NotAuthorizedException":
        reason = cognito_messages.not_authorized_reason(message)
        error_class = _NOT_AUTHORIZED_BY_REASON.get(reason or "", error_class)
    shown = None if issubclass(error_class, _OWN_MESSAGE) else message
    return error_class(shown, cognito_code=cognito_code, cognito_message=message)


def translate_botocore_error(error: BotoCoreError) -> CognitoError:
    """The project's error for a failure before Cognito answered (network, input, config)."""
    if isinstance(error, HTTPClientError | BotoConnectionError):
        # ConnectionError: connect timeouts, refused connections (EndpointConnectionError),
        # DNS, proxy and TLS failures; HTTPClientError: read timeouts, closed connections.
        return CognitoUnavailable(details={"reason": "unreachable"})
    if isinstance(error, ParamValidationError):
        # botocore's report quotes the offending values (a password, a code): name only
        # the parameters.
        names = sorted(set(re.findall(r"parameter ([\w.\[\]]+)", str(error))))
        return InvalidParameter(f"Invalid value for {', '.join(names) or 'a parameter'}.")
    if isinstance(error, NoCredentialsError):
        return CognitoError("No AWS credentials are configured for the admin calls.")
    return CognitoError(str(error))


#: Called after every Cognito call with (action, seconds, error code or None): the metrics
#: (bff.ops.metrics) hook in here. An observer must be quick and must not raise.
CallObserver = Callable[[str, float, "str | None"], None]
_observers: list[CallObserver] = []


def add_call_observer(observer: CallObserver) -> None:
    """Have ``observer`` told about every Cognito call (idempotent)."""
    if observer not in _observers:
        _observers.append(observer)


def _observe(action: str, began: float, error_code: str | None) -> None:
    seconds = time.perf_counter() - began
    for observer in _observers:
        observer(action, seconds, error_code)


@contextmanager
def cognito_call(action: str) -> Iterator[None]:
    """Run one Cognito action; re-raise any boto3/botocore failure as a ``CognitoError``.

    Logs the action and the error code only: never parameters, which carry passwords,
    codes, sessions and tokens.
    """
    began = time.perf_counter()
    try:
        yield
    except ClientError as error:
        translated = translate_client_error(error)
        _observe(action, began, translated.cognito_code)
        log.info("cognito %s refused: %s", action, translated.cognito_code)
        raise translated from error
    except BotoCoreError as error:
        # Cognito never answered: the error carries no cognito_code; metrics and the log
        # name botocore's failure instead.
        failure = type(error).__name__
        _observe(action, began, failure)
        log.warning("cognito %s failed before an answer: %s", action, failure)
        raise translate_botocore_error(error) from error
    _observe(action, began, None)
    log.debug("cognito %s ok", action)
