"""The one error handler: every failure becomes ``{"error": {code, message, details}}``.

What maps to what:

* ``BffError`` (the project's hierarchy, Cognito's errors included): its own code/status;
* marshmallow / webargs validation: 422 ``invalid_input`` with ``details.fields``;
* ``IllegalTransition`` (the machine refused a trigger): 409 ``illegal_step`` with the
  state and the allowed *steps*;
* ``UnsupportedChallenge``: 502 ``unsupported_challenge`` naming the challenge;
* werkzeug's HTTP errors (404, 405, 415, 429 from the limiter...): their status, a stable
  code, headers such as ``Allow`` and ``Retry-After`` kept;
* a store outage (Redis refused or timed out, SQLite locked past its busy timeout): 503
  ``store_unavailable`` with ``Retry-After``;
* anything else: 500 ``internal_error`` with a generic message. The traceback goes to the
  server log, never to the client (ASVS v4 7.4.1).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import redis
from flask import Flask, Response, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from bff.api import context
from bff.errors import BffError, StoreUnavailable
from bff.flows.steps import next_steps
from bff.server_errors import GENERIC_500
from bff.store.base import redact_url
from statemachine import IllegalTransition, UnsupportedChallenge

log = logging.getLogger("bff.api")

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


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
    from bff.api import context

    try:
        return context.steps_here(state)
    except RuntimeError:
        return next_steps(state)


def handle_bff_error(exc: BffError) -> Response:
    if exc.status >= 500:
        log.warning("%s: %s", exc.code, exc.message)
    if "allowed_steps" in exc.details and isinstance(exc.details.get("state"), str):
        exc.details["allowed_steps"] = _steps_here(exc.details["state"])
    headers = {}
    if "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


def handle_validation_error(exc: ValidationError) -> Response:
    return error_response(
        422, "invalid_input", "The request is not valid.", {"fields": _fields(exc.messages)}
    )


def handle_illegal_transition(exc: IllegalTransition) -> Response:
    return error_response(
        409,
        "illegal_step",
        f"This step is not allowed now (the flow is in {exc.state}).",
        {"state": exc.state, "allowed_steps": _steps_here(exc.state)},
    )


def handle_unsupported_challenge(exc: UnsupportedChallenge) -> Response:
    log.error("Cognito sent an unsupported challenge: %s", exc.challenge_name)
    return error_response(
        502,
        "unsupported_challenge",
        f"Cognito asked for {exc.challenge_name}, which this service does not support. "
        "Check the user pool's MFA settings (TOTP only).",
        {"challenge": exc.challenge_name},
    )


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return handle_unexpected(exc)
    data = getattr(exc, "data", None) or {}
    if status == 422 and "messages" in data:  # webargs' abort on a schema error
        return error_response(
            422,
            "invalid_input",
            "The request is not valid.",
            {"fields": _fields(data["messages"])},
        )
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if exc.response is not None and exc.response.headers.get("Retry-After"):
        headers["Retry-After"] = exc.response.headers["Retry-After"]
    code = HTTP_CODES.get(status, "http_error")
    message = exc.description or exc.name
    details: dict[str, Any] = {}
    if status == 400 and "messages" in data:  # webargs: a body that is not JSON
        message = "The request body is not valid JSON."
        details = {"fields": _fields(data["messages"])}
    return error_response(status, code, message, details, headers)


#: sqlite3.OperationalError messages that mean "the database did not answer in time".
_SQLITE_OUTAGE = ("locked", "busy", "unable to open", "disk i/o")


def handle_store_outage(exc: Exception) -> Response:
    """Redis refused, timed out or is loading; SQLite stayed locked past the busy timeout:
    503 ``store_unavailable`` with Retry-After. Any other store error is a bug (500)."""
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
    error = StoreUnavailable()
    return error_response(
        error.status,
        error.code,
        error.message,
        error.details,
        {"Retry-After": str(error.details["retry_after"])},
    )


def handle_unexpected(exc: BaseException) -> Response:
    # Logged with its traceback for the operators; the client learns nothing of it.
    log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__))
    return error_response(500, "internal_error", GENERIC_500)


def init_error_handlers(app: Flask) -> None:
    """Register the handlers (after flask-smorest, whose own HTTP handler this replaces)."""
    app.register_error_handler(BffError, handle_bff_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(IllegalTransition, handle_illegal_transition)
    app.register_error_handler(UnsupportedChallenge, handle_unsupported_challenge)
    app.register_error_handler(HTTPException, handle_http_exception)
    for outage in (redis.ConnectionError, redis.TimeoutError, sqlite3.OperationalError):
        app.register_error_handler(outage, handle_store_outage)
    app.register_error_handler(Exception, handle_unexpected)
