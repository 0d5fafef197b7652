"""The project's one error hierarchy, and the one JSON shape every error leaves in.

Every failure that can reach a client is a ``BffError``: a stable ``code`` (part of the
API contract, never renamed), an HTTP ``status``, a human ``message`` (``default_message``
says what the code means) and optional ``details``. One code has one meaning: a class that
declares a code another class already declared is refused when it is defined, and
``catalogue()`` lists them all (docs/api.md's error catalogue and the OpenAPI document's
enum of codes are generated from it). A class's docstring says when it is answered.

The gateway translates Cognito's errors into these at one boundary
(bff.cognito.error_translation); the API picks the error for every failure in one place
(bff.api.errors) and ``bff.errors.response`` writes it; ``error_document`` is the shape
both the app and the servers (bff.server_errors) write. Apart from that Flask response,
the package imports nothing beyond the standard library, so the servers can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bff.errors.base import (
    OUTAGE_RETRY_AFTER_SECONDS,
    AdminDisabled,
    AdminKeyMissing,
    AdminKeyRejected,
    BffError,
    ChallengeNotSupported,
    Conflict,
    ErrorBody,
    ErrorDocument,
    IllegalStep,
    InvalidSignature,
    MetricsKeyRequired,
    NoDeviceOffered,
    NoFlow,
    NoLocalOutbox,
    NotReady,
    NotSignedIn,
    OutboxUnavailable,
    RateLimited,
    ServerBusy,
    SignInDelayed,
    StepUpFailed,
    StoreUnavailable,
    error_document,
    registered,
    retry_after,
)
from bff.errors.cognito import (
    AttemptLimitExceeded,
    CodeMismatch,
    CognitoError,
    CognitoThrottled,
    CognitoUnavailable,
    DeviceNotFound,
    ExpiredCode,
    IncorrectPassword,
    InvalidPaginationToken,
    InvalidParameter,
    InvalidPassword,
    NotAuthorized,
    PasswordResetRequired,
    SessionExpired,
    TemporaryPasswordExpired,
    UnsupportedUserState,
    UsernameExists,
    UserNotConfirmed,
    UserNotFound,
)
from bff.errors.http import (
    BadRequest,
    CsrfRequired,
    ExpectationFailed,
    Forbidden,
    HeaderFieldsTooLarge,
    HttpError,
    HttpVersionNotSupported,
    InvalidInput,
    InvalidJson,
    MethodNotAllowed,
    NotFound,
    OriginNotAllowed,
    PayloadTooLarge,
    RequestTimeout,
    TransferCodingNotSupported,
    UnreadableBody,
    UnsupportedMediaType,
    UriTooLong,
)
from bff.errors.oauth import (
    IdTokenRejected,
    OAuthClientRejected,
    OAuthDisabled,
    OAuthRefused,
    OAuthStateInvalid,
    ReturnToNotAllowed,
    UnknownIdentityProvider,
)
from bff.errors.passkeys import (
    PasskeyChallengeExpired,
    PasskeyNotFound,
    PasskeyRejected,
    PasskeysNotAvailable,
)
from bff.errors.relay import RefreshPending, UpstreamTimeout, UpstreamUnavailable

__all__ = [
    "AdminDisabled",
    "AdminKeyMissing",
    "AdminKeyRejected",
    "AttemptLimitExceeded",
    "BadRequest",
    "BffError",
    "CatalogueEntry",
    "ChallengeNotSupported",
    "CodeMismatch",
    "CognitoError",
    "CognitoThrottled",
    "CognitoUnavailable",
    "Conflict",
    "CsrfRequired",
    "DeviceNotFound",
    "ErrorBody",
    "ErrorDocument",
    "ExpectationFailed",
    "ExpiredCode",
    "Forbidden",
    "HeaderFieldsTooLarge",
    "HttpError",
    "HttpVersionNotSupported",
    "IdTokenRejected",
    "IllegalStep",
    "IncorrectPassword",
    "InvalidInput",
    "InvalidJson",
    "InvalidPaginationToken",
    "InvalidParameter",
    "InvalidPassword",
    "InvalidSignature",
    "MethodNotAllowed",
    "MetricsKeyRequired",
    "NoDeviceOffered",
    "NoFlow",
    "NoLocalOutbox",
    "NotAuthorized",
    "NotFound",
    "NotReady",
    "NotSignedIn",
    "OAuthClientRejected",
    "OAuthDisabled",
    "OAuthRefused",
    "OAuthStateInvalid",
    "OUTAGE_RETRY_AFTER_SECONDS",
    "OriginNotAllowed",
    "OutboxUnavailable",
    "PasswordResetRequired",
    "PasskeyChallengeExpired",
    "PasskeyNotFound",
    "PasskeyRejected",
    "PasskeysNotAvailable",
    "PayloadTooLarge",
    "RateLimited",
    "RefreshPending",
    "RequestTimeout",
    "ReturnToNotAllowed",
    "ServerBusy",
    "SessionExpired",
    "SignInDelayed",
    "StepUpFailed",
    "StoreUnavailable",
    "TemporaryPasswordExpired",
    "TransferCodingNotSupported",
    "UnknownIdentityProvider",
    "UnreadableBody",
    "UnsupportedMediaType",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "UnsupportedUserState",
    "UriTooLong",
    "UserNotConfirmed",
    "UserNotFound",
    "UsernameExists",
    "catalogue",
    "error_document",
    "registered",
    "retry_after",
]


@dataclass(frozen=True)
class CatalogueEntry:
    """One line of the error catalogue: code → status → meaning → when."""

    code: str
    status: int
    meaning: str
    when: str


def _when(error: type[BffError]) -> str:
    return " ".join((error.__doc__ or "").split("\n\n")[0].split())


def catalogue() -> list[CatalogueEntry]:
    """Every error code of the classes defined so far, by status then code (import
    ``bff.app`` first for the complete list: a few classes live with their views)."""
    entries = [
        CatalogueEntry(code, error.status, error.default_message, _when(error))
        for code, error in registered().items()
    ]
    return sorted(entries, key=lambda entry: (entry.status, entry.code))
