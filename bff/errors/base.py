"""The base of the error hierarchy, its registry of codes, the one JSON error shape, and
the errors of limits, sessions, flows and operations (the HTTP request's own are in
bff.errors.http, Cognito's in bff.errors.cognito)."""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict

#: Seconds a client is told to wait (``Retry-After``) after a 503 for an outage.
OUTAGE_RETRY_AFTER_SECONDS = 5


class ErrorBody(TypedDict):
    code: str
    message: str
    details: dict[str, Any]


class ErrorDocument(TypedDict):
    error: ErrorBody


def error_document(code: str, message: str, details: dict[str, Any] | None = None) -> ErrorDocument:
    """``{"error": {code, message, details}}``: the one error shape."""
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


_CODES: dict[str, type[BffError]] = {}


class BffError(Exception):
    """An unexpected failure: a fixed message; the traceback is logged server-side only."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = (
        "Something went wrong on our side. Try again; if it persists, contact support."
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # same code, same meaning as the parent: a narrower raise site only
        taken = _CODES.get(cls.code)
        if taken is not None and taken.__qualname__ != cls.__qualname__:
            raise TypeError(f"error code {cls.code!r} already means {taken.__qualname__}")
        _CODES[cls.code] = cls

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = dict(details or {})
        #: Response headers beyond ``Retry-After`` (which ``details.retry_after`` sets).
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def to_dict(self) -> ErrorBody:
        return error_document(self.code, self.message, self.details)["error"]


_CODES[BffError.code] = BffError


def retry_after(seconds: float) -> dict[str, Any]:
    """``details`` carrying a wait: the handler also sends it as ``Retry-After``."""
    return {"retry_after": max(1, int(seconds))}


class RateLimited(BffError):
    """The BFF's own rate limit (sign-in, MFA codes, sign-up, code resends, recovery) per
    client address, a failure budget (wrong confirmation or reset codes per username, wrong
    answers per sign-in), or a session's budget of reads that call Cognito, is spent:
    ``Retry-After`` says when it refills."""

    code = "too_many_requests"
    status = 429
    default_message = "Too many attempts. Try again later."


class SignInDelayed(BffError):
    """Wrong passwords for this username: sign-in for it waits (1, 2, 4... seconds, capped)
    until ``Retry-After``; a right password resets the count."""

    code = "sign_in_delayed"
    status = 429
    default_message = "Too many failed sign-ins for this user. Try again shortly."


class StepUpFailed(BffError):
    """Too many wrong current passwords in one session (changing the password, replacing
    the authenticator app): the session has ended, its tokens are revoked at Cognito. Sign
    in again."""

    code = "step_up_failed"
    status = 401
    default_message = "Too many wrong current passwords: you are signed out. Sign in again."


class NotSignedIn(BffError):
    """A route that needs a signed-in session, without one."""

    code = "not_signed_in"
    status = 401
    default_message = "Sign in first."


class NoFlow(BffError):
    """The browser has no flow (or it expired and was collected), or an admin named an
    unknown flow id."""

    code = "no_flow"
    status = 404
    default_message = "There is no sign-in in progress. Start with sign-in or sign-up."


class IllegalStep(BffError):
    """A step the flow's state does not allow: ``details.state`` and
    ``details.allowed_steps`` say what is allowed."""

    code = "illegal_step"
    status = 409
    default_message = "This step is not allowed now."


class Conflict(BffError):
    """A concurrent submission of the same step won (compare-and-set on the flow lost)."""

    code = "conflict"
    status = 409
    default_message = "This step was already submitted."


class NoDeviceOffered(BffError):
    """``remember_device`` at a sign-in where Cognito issued no device."""

    code = "no_device_offered"
    status = 409
    default_message = "Cognito offered no device to remember at this sign-in."


class InvalidSignature(BffError):
    """A webhook whose HMAC signature is missing or does not match the raw body."""

    code = "invalid_signature"
    status = 401
    default_message = "The webhook signature is missing or does not match the body."


class AdminKeyMissing(BffError):
    """An admin route without the ``X-Admin-Key`` header."""

    code = "admin_key_required"
    status = 401
    default_message = "This route needs the X-Admin-Key header."


class AdminKeyRejected(BffError):
    """An admin route with a wrong ``X-Admin-Key``."""

    code = "admin_forbidden"
    status = 403
    default_message = "The X-Admin-Key header is not valid."


class AdminDisabled(BffError):
    """An admin route while ``BFF_ADMIN_API_KEY`` is not set."""

    code = "admin_disabled"
    status = 403
    default_message = "The admin API is disabled: BFF_ADMIN_API_KEY is not set."


class StoreUnavailable(BffError):
    """The store (SQLite or Redis) did not answer within BFF_STORE_TIMEOUT_SECONDS; nothing
    of the step was kept, the same request succeeds once the store is back."""

    code = "store_unavailable"
    status = 503
    default_message = "The service's storage is not answering. Try again shortly."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details.setdefault("retry_after", OUTAGE_RETRY_AFTER_SECONDS)


class OutboxUnavailable(BffError):
    """The demo page's outbox panel could not read the local Cognito's outbox."""

    code = "outbox_unavailable"
    status = 502
    default_message = "The local Cognito's outbox could not be read."


class NoLocalOutbox(BffError):
    """The demo page asked for the local outbox while the BFF runs against a real Cognito."""

    code = "no_local_outbox"
    status = 404
    default_message = (
        "No local Cognito outbox: the BFF runs in local mode against a Cognito that is not "
        "a local one (COGNITO_ENDPOINT_URL is not set)."
    )


class ServerBusy(BffError):
    """Under gunicorn: the worker already holds 64 MiB of unfinished requests (answered
    before the app runs, with ``Retry-After``)."""

    code = "server_busy"
    status = 503
    default_message = "The server is busy. Try again shortly."


class NotReady(BffError):
    """``GET /readyz`` while the store or Cognito does not answer (``details.checks``,
    ``details.failing``)."""

    code = "not_ready"
    status = 503
    default_message = "Not ready."


class MetricsKeyRequired(BffError):
    """``GET /metrics`` without ``Authorization: Bearer <BFF_METRICS_KEY>`` when a key is set."""

    code = "unauthorized"
    status = 401
    default_message = "GET /metrics needs Authorization: Bearer <BFF_METRICS_KEY>."


class ChallengeNotSupported(BffError):
    """Cognito asked for a challenge this service does not handle (``details.challenge``):
    the user pool's settings ask for more than the BFF supports."""

    code = "unsupported_challenge"
    status = 502
    default_message = "Cognito asked for a challenge this service does not support."


def registered() -> dict[str, type[BffError]]:
    """Every code declared so far, with its class."""
    return dict(_CODES)
