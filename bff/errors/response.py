"""An error as a Flask response: the one place the app turns a ``BffError`` into an answer
(bff.api.errors decides which error; this writes it)."""

from __future__ import annotations

from flask import Response, jsonify

from bff.errors.base import BffError, error_document


def error_response(error: BffError) -> Response:
    """The response for ``error``: its status, the one shape, ``Retry-After`` when
    ``details.retry_after`` says how long to wait, and the error's own headers."""
    response = jsonify(error_document(error.code, error.message, error.details))
    response.status_code = error.status
    if "retry_after" in error.details:
        response.headers["Retry-After"] = str(error.details["retry_after"])
    for name, value in error.headers.items():
        response.headers[name] = value
    return response
