"""The errors a WSGI server answers itself, before the app runs, in the one error shape.

A request line or headers that cannot be parsed, or are over the server's limits, never
reach the app: the server answers. Both servers write the same body for a status, a
stable code and a fixed message, never a byte of the request: ``bff serve``'s werkzeug
server (bff_tools.serve) and gunicorn's worker in production (bff.gunicorn_worker).
Nothing here imports more than the standard library, so either can use it.
"""

from __future__ import annotations

import json
from http import HTTPStatus

#: The message of a 500: the app's own (bff.api.errors) and the server's.
GENERIC_500 = "Something went wrong on our side. Try again; if it persists, contact support."

#: status → (code, message). The codes are the app's where it has the status
#: (bff.api.errors.HTTP_CODES, 500 ``internal_error``).
SERVER_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request line or headers are malformed."),
    403: ("forbidden", "The request is not allowed."),
    408: ("request_timeout", "The request did not arrive in time."),
    414: ("uri_too_long", "The request line is too long."),
    417: ("expectation_failed", "The request's Expect header cannot be met."),
    431: ("header_fields_too_large", "The request's header fields are too many or too large."),
    500: ("internal_error", GENERIC_500),
    501: ("not_implemented", "The request's transfer coding is not supported."),
    505: ("http_version_not_supported", "The request's HTTP version is not supported."),
}
OTHER = ("http_error", "The request could not be handled.")


def server_error_body(status: int) -> bytes:
    """The JSON body answering ``status``: ``{"error": {code, message, details}}``."""
    code, message = SERVER_ERRORS.get(status, OTHER)
    return json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()


def status_phrase(status: int) -> str:
    """The status line's reason phrase (``Error`` for a status Python does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
