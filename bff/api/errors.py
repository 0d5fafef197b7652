"""The one error handler: every failure leaves as ``{"error": {code, message, details}}``.

Each kind of failure becomes a ``BffError`` (bff.errors) here, and
``bff.errors.response.error_response`` writes it:

* ``BffError`` (the project's hierarchy, Cognito's errors included): itself;
* marshmallow / webargs validation: 422 ``invalid_input`` with ``details.fields``;
* the lifecycle's own errors (``lifecycle_error``): ``IllegalTransition`` is 409
  ``illegal_step`` with the state and the allowed *steps*, ``UnsupportedChallenge`` 502
  ``unsupported_challenge`` naming the challenge;
* werkzeug's HTTP errors (404, 405, 413...): their status and a stable code, ``Allow`` kept;
* a store outage (Redis refused or timed out, SQLite locked past its busy timeout): 503
  ``store_unavailable`` with ``Retry-After``;
* anything else: 500 ``internal_error`` with a generic message. The traceback goes to the
  server log, never to the client (ASVS v4 7.4.1).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Flask, Response
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed

from bff.api import context
from bff.errors import (
    BadRequest,
    BffError,
    ChallengeNotSupported,
    HttpError,
    IllegalStep,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    StoreUnavailable,
    UnsupportedMediaType,
)
from bff.errors.response import error_response
from bff.flows.steps import next_steps
from bff.store.base import redact_url
from bff.store.redis_connect import OUTAGES as REDIS_OUTAGES
from statemachine import IllegalTransition, LifecycleError, UnsupportedChallenge

log = logging.getLogger("bff.api")

#: werkzeug's statuses with a code of their own; any other is ``http_error``.
HTTP_ERRORS: dict[int, type[BffError]] = {
    400: BadRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: InvalidInput,
}


def _fields(messages: Any) -> Any:
    """webargs nests messages under the location ({"json": {...}}): the SPA wants fields."""
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in ("json", "query", "path", "form", "headers") and isinstance(inner, dict):
            return inner
    return messages


def _steps_here(state: str) -> list[str]:
    """The browser's allowed steps (bff.api.context.steps_here), or the machine's outside
    a request with sessions."""
    try:
        return context.steps_here(state)
    except RuntimeError:
        return next_steps(state)


def lifecycle_error(exc: LifecycleError) -> BffError | None:
    """The BFF's error for one of the lifecycle's own (the one place they are mapped); None
    for the ones that are a bug here, never the client's (UnknownOutcome, JournalError)."""
    if isinstance(exc, IllegalTransition):
        return IllegalStep(
            f"This step is not allowed now (the flow is in {exc.state}).",
            details={"state": exc.state, "allowed_steps": next_steps(exc.state)},
        )
    if isinstance(exc, UnsupportedChallenge):
        log.error("Cognito sent an unsupported challenge: %s", exc.challenge_name)
        return ChallengeNotSupported(
            f"Cognito asked for {exc.challenge_name}, which this service does not support. "
            "Check the user pool's MFA settings (TOTP only).",
            details={"challenge": exc.challenge_name},
        )
    return None


def handle_bff_error(exc: BffError) -> Response:
    if exc.status >= 500:
        log.warning("%s: %s", exc.code, exc.message)
    if "allowed_steps" in exc.details and isinstance(exc.details.get("state"), str):
        exc.details["allowed_steps"] = _steps_here(exc.details["state"])
    return error_response(exc)


def handle_validation_error(exc: ValidationError) -> Response:
    return handle_bff_error(InvalidInput(details={"fields": _fields(exc.messages)}))


def handle_lifecycle_error(exc: LifecycleError) -> Response:
    error = lifecycle_error(exc)
    return handle_unexpected(exc) if error is None else handle_bff_error(error)


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return handle_unexpected(exc)
    data = getattr(exc, "data", None) or {}
    if status == 422 and "messages" in data:  # webargs' abort on a schema error
        return handle_bff_error(InvalidInput(details={"fields": _fields(data["messages"])}))
    headers: dict[str, str] = {}
    if isinstance(exc, WerkzeugMethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    message = exc.description or exc.name
    details: dict[str, Any] = {}
    if status == 400 and "messages" in data:  # webargs: a body that is not JSON
        message = "The request body is not valid JSON."
        details = {"fields": _fields(data["messages"])}
    error_class = HTTP_ERRORS.get(status)
    if error_class is None:
        return handle_bff_error(HttpError(status, message, details=details, headers=headers))
    return handle_bff_error(error_class(message, details=details, headers=headers))


#: sqlite3.OperationalError messages that mean "the database did not answer in time".
_SQLITE_OUTAGE = ("locked", "busy", "unable to open", "disk i/o")


def handle_store_outage(exc: Exception) -> Response:
    """Redis refused, timed out, is loading or failing over (redis_connect.OUTAGES); SQLite
    stayed locked past the busy timeout: 503 ``store_unavailable`` with Retry-After. Any
    other store error is a bug (500)."""
    if isinstance(exc, sqlite3.OperationalError) and not any(
        fragment in str(exc).lower() for fragment in _SQLITE_OUTAGE
    ):
        return handle_unexpected(exc)
    # Which store and why (redis-py names the host and the refusal: "Error 111 connecting
    # to redis:6379. Connection refused."); the URL's password is redacted.
    log.warning(
        "store unavailable at %s: %s: %s",
        redact_url(context.settings().store_url),
        type(exc).__name__,
        exc,
    )
    return handle_bff_error(StoreUnavailable())


def handle_unexpected(exc: BaseException) -> Response:
    # Logged with its traceback for the operators; the client learns nothing of it.
    log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__))
    return error_response(BffError())


def init_error_handlers(app: Flask) -> None:
    """Register the handlers (after flask-smorest, whose own HTTP handler this replaces)."""
    app.register_error_handler(BffError, handle_bff_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(LifecycleError, handle_lifecycle_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for outage in (*REDIS_OUTAGES, sqlite3.OperationalError):
        app.register_error_handler(outage, handle_store_outage)
    app.register_error_handler(Exception, handle_unexpected)
