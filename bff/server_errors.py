"""The errors a WSGI server answers itself, before the app runs, in the one error shape.

A request line or headers that cannot be parsed, or are over the server's limits, never
reach the app: the server answers. Both servers write the same body for a status, a
stable code and a fixed message, never a byte of the request: ``bff serve``'s werkzeug
server (bff_tools.serve) and gunicorn's worker in production (bff.gunicorn_worker).
The codes and their meanings are the error hierarchy's (bff.errors, which imports nothing
beyond the standard library either), so the error catalogue lists them.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from bff.errors.base import (
    BffError,
    ServerBusy,
    error_document,
)
from bff.errors.http import (
    BadRequest,
    ExpectationFailed,
    Forbidden,
    HeaderFieldsTooLarge,
    HttpError,
    HttpVersionNotSupported,
    PayloadTooLarge,
    RequestTimeout,
    TransferCodingNotSupported,
    UriTooLong,
)

#: The message of a 500: the app's own (bff.api.errors) and the server's.
GENERIC_500 = BffError.default_message


def _entry(error: type[BffError], message: str | None = None) -> tuple[str, str]:
    return error.code, message or error.default_message


#: status → (code, message): the errors the servers answer, the app's codes for the status.
SERVER_ERRORS: dict[int, tuple[str, str]] = {
    400: _entry(BadRequest, "The request line or headers are malformed."),
    403: _entry(Forbidden),
    408: _entry(RequestTimeout, "The request did not arrive in time."),
    413: _entry(PayloadTooLarge),
    414: _entry(UriTooLong),
    417: _entry(ExpectationFailed),
    431: _entry(HeaderFieldsTooLarge),
    500: _entry(BffError),
    501: _entry(TransferCodingNotSupported),
    503: _entry(ServerBusy),
    505: _entry(HttpVersionNotSupported),
}
OTHER = _entry(HttpError)


def server_error_body(status: int) -> bytes:
    """The JSON body answering ``status``: ``{"error": {code, message, details}}``."""
    code, message = SERVER_ERRORS.get(status, OTHER)
    return json.dumps(error_document(code, message)).encode()


def status_phrase(status: int) -> str:
    """The status line's reason phrase (``Error`` for a status Python does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
