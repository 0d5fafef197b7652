"""The errors of the HTTP request itself, before any flow is involved: malformed, too
large, too slow, the wrong method, media type or version, and the CSRF and origin checks.
The servers (bff.server_errors) answer several of these before the app runs."""

from __future__ import annotations

from typing import Any

from bff.errors.base import BffError


class BadRequest(BffError):
    """The request could not be understood: werkzeug's 400 outside the JSON parser, or a
    malformed request line, method, HTTP version or header (answered by the server, gunicorn
    or `bff serve`, before the app runs)."""

    code = "bad_request"
    status = 400
    default_message = "The request is malformed."


class InvalidInput(BffError):
    """A field is missing or not valid: ``details.fields`` maps each field to its messages
    (unknown fields included)."""

    code = "invalid_input"
    status = 422
    default_message = "The request is not valid."

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInput:
        """One field's problem, in the shape the schemas' errors have."""
        return cls(message, details={"fields": {name: [message]}})


class NotFound(BffError):
    """No route matches the path (or a route that is switched off)."""

    code = "not_found"
    status = 404
    default_message = "The requested URL was not found."


class MethodNotAllowed(BffError):
    """The route exists but not with this method (``Allow`` lists those it has); a step is
    POST only."""

    code = "method_not_allowed"
    status = 405
    default_message = "The method is not allowed for this URL."


class PayloadTooLarge(BffError):
    """The body is over the limit (256 KB; a remote API's body over its `max_body_bytes`),
    with a ``Content-Length`` or chunked."""

    code = "payload_too_large"
    status = 413
    default_message = "The request body is too large."


class HttpError(BffError):
    """Any other HTTP refusal by the framework, with its own status."""

    code = "http_error"
    status = 400
    default_message = "The request could not be handled."

    def __init__(self, status: int, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status  # type: ignore[misc]  # this one code carries the status it got


class InvalidJson(BffError):
    """The body is not JSON, not UTF-8, nests deeper than 32 levels, has a number longer
    than 40 characters or not finite, or a string with a lone surrogate."""

    code = "invalid_json"
    status = 400
    default_message = "The request body is not valid JSON."


class UnreadableBody(BffError):
    """The server could not read the body: a bad chunked framing, or a body cut short of its
    ``Content-Length``."""

    code = "invalid_body"
    status = 400
    default_message = (
        "The request body could not be read: its chunked framing or its length is invalid."
    )


class RequestTimeout(BffError):
    """The headers, or then the body, did not arrive within the server's read deadline
    (gunicorn: ``BFF_READ_TIMEOUT``; `bff serve`: ``--read-timeout``)."""

    code = "request_timeout"
    status = 408
    default_message = "The request body did not arrive in time."


class Forbidden(BffError):
    """One of gunicorn's rarer refusals, answered before the app runs."""

    code = "forbidden"
    status = 403
    default_message = "The request is not allowed."


class UriTooLong(BffError):
    """Under gunicorn: a request line over 4094 bytes (answered before the app runs)."""

    code = "uri_too_long"
    status = 414
    default_message = "The request line is too long."


class ExpectationFailed(BffError):
    """One of gunicorn's rarer refusals, answered before the app runs."""

    code = "expectation_failed"
    status = 417
    default_message = "The request's Expect header cannot be met."


class HeaderFieldsTooLarge(BffError):
    """Under gunicorn: over 100 header fields, one over 8190 bytes, or a head over 64 KiB
    (answered before the app runs)."""

    code = "header_fields_too_large"
    status = 431
    default_message = "The request's header fields are too many or too large."


class TransferCodingNotSupported(BffError):
    """One of gunicorn's rarer refusals, answered before the app runs."""

    code = "not_implemented"
    status = 501
    default_message = "The request's transfer coding is not supported."


class HttpVersionNotSupported(BffError):
    """A request's HTTP version the server does not speak, answered before the app runs."""

    code = "http_version_not_supported"
    status = 505
    default_message = "The request's HTTP version is not supported."


class CsrfRequired(BffError):
    """A POST/PUT/PATCH/DELETE without ``X-CSRF: 1`` (the webhook alone is exempt)."""

    code = "csrf_required"
    status = 403
    default_message = "State-changing requests must carry the header X-CSRF: 1."


class OriginNotAllowed(BffError):
    """A CORS preflight from an origin that is not in ``BFF_CORS_ORIGINS``."""

    code = "origin_not_allowed"
    status = 403
    default_message = "This origin may not call the API."


class UnsupportedMediaType(BffError):
    """A state-changing request whose body is not ``application/json``."""

    code = "unsupported_media_type"
    status = 415
    default_message = "Send the request body as application/json."
