"""The one JSON body parser: every request body is read and parsed here, once, with limits.

Python's ``json`` module parses anything its recursion and integer limits allow, and fails
outside them with errors that are not ``ValueError`` (``RecursionError`` for nesting of
~1,000 levels; ``ValueError`` from ``int()`` past 4,300 digits, raised from inside the
decoder) or accepts what later code cannot handle (``"\\ud800"`` decodes to a lone surrogate
that ``str.encode()`` refuses). So before the rate limiter's key function, a schema, or a
view looks at a body, ``parse_request_body`` (a ``before_request`` hook installed first)
checks it against these limits and answers **400 ``invalid_json``** in the one error shape
for anything outside them:

* the raw bytes must be valid UTF-8 (no encoded surrogates, no stray bytes);
* nesting (arrays and objects) at most ``MAX_DEPTH`` deep, counted on the raw text before
  the decoder recurses;
* numbers at most ``MAX_NUMBER_CHARS`` characters and finite (``NaN``, ``Infinity``,
  ``1e999`` refused);
* every string, keys included, encodable as UTF-8 (no lone surrogates from ``\\u`` escapes).

The parsed value is put in the request's JSON cache, so ``request.get_json()`` and the API's
argument parser (``bff.api.blueprint.BffParser``) read it without parsing again.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request, current_app, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

from bff.errors import InvalidJson, PayloadTooLarge, RequestTimeout, UnreadableBody

log = logging.getLogger(__name__)

#: The largest body the API takes (Flask's ``MAX_CONTENT_LENGTH``; 413 above it, whatever
#: the framing): nothing the API takes is bigger, PandaDoc's webhook events included.
MAX_BODY_BYTES = 256 * 1024
#: Deeper than any body the API takes (PandaDoc's webhook events nest ~6 levels).
MAX_DEPTH = 32
#: Characters of one JSON number: enough for any 64-bit integer or double written out.
MAX_NUMBER_CHARS = 40

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _max_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (strings skipped); no recursion."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _number(kind: str) -> Any:
    def parse(raw: str) -> int | float:
        if len(raw) > MAX_NUMBER_CHARS:
            raise InvalidJson(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters.")
        value: int | float = int(raw) if kind == "int" else float(raw)
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidJson("A number in the body is out of range.")
        return value

    return parse


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not JSON.")


def _check_strings(value: Any) -> None:
    """Every string (and key) must be encodable as UTF-8; iterative, depth is bounded."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidJson("A string in the body is not valid Unicode.") from None
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def parse_json(raw: bytes) -> Any:
    """``raw`` parsed within the limits above, or ``InvalidJson``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("The request body is not valid UTF-8.") from None
    if _max_depth(text) > MAX_DEPTH:
        raise InvalidJson(f"The request body nests deeper than {MAX_DEPTH} levels.")
    try:
        value = json.loads(
            text,
            parse_int=_number("int"),
            parse_float=_number("float"),
            parse_constant=_constant,
        )
    except InvalidJson:
        raise
    except (ValueError, RecursionError):
        raise InvalidJson() from None
    _check_strings(value)
    return value


_STREAMS_OWN_BODY = "_bff_streams_own_body"
F = TypeVar("F", bound=Callable[..., Any])


def streams_own_body(view: F) -> F:
    """Mark a view that reads its body itself, as a stream of any media type (the relay's
    proxy routes): ``parse_request_body`` leaves it unread and the JSON-only media-type
    guard does not apply. The view bounds the body's size itself."""
    setattr(view, _STREAMS_OWN_BODY, True)
    return view


def view_streams_own_body() -> bool:
    """Whether this request's view is marked ``streams_own_body``."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _STREAMS_OWN_BODY, False))


def has_body(req: Request) -> bool:
    return bool(req.content_length) or "chunked" in req.headers.get("Transfer-Encoding", "").lower()


def _refuse_a_longer_stream(raw: bytes) -> None:
    """A body without a Content-Length (chunked) is read up to ``MAX_CONTENT_LENGTH`` and
    silently cut there by werkzeug (``LimitedStream`` stops at its limit without looking
    further): one byte more on the stream means the body is over the limit, 413."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None or len(raw) < limit:
        return
    try:
        more = request.environ["wsgi.input"].read(1)
    except Exception:  # the stream cannot be read on: nothing more arrived
        more = b""
    if more:
        raise PayloadTooLarge()


def parse_request_body() -> None:
    """``before_request``: read the body once, then parse a JSON body (400 ``invalid_json``
    outside the limits) and cache it where ``request.get_json()`` looks. A body the server
    cannot read (bad chunk framing, cut short) is 400 ``invalid_body`` here, before any
    view or guard reads it; bodies of other types are left to the media-type guard; an
    empty body stays empty."""
    if not (request.is_json or has_body(request)) or view_streams_own_body():
        return
    try:
        raw = request.get_data(cache=True)
    except ClientDisconnected as exc:
        # werkzeug's stream ends early: the server's read timeout (bff serve) cut a partial
        # body off, or the client went away.
        if isinstance(exc.__context__, TimeoutError):
            raise RequestTimeout() from None
        raise UnreadableBody() from None
    except TimeoutError:
        raise RequestTimeout() from None
    except HTTPException:
        raise  # 413 past MAX_CONTENT_LENGTH: the error handler answers it
    except Exception as exc:
        # The server's own body reader refused the framing while the app read it: werkzeug's
        # DechunkedInput (OSError), gunicorn's InvalidChunkSize, ChunkMissingTerminator or
        # NoMoreData. A client error, whichever server runs the app.
        log.info("request body unreadable: %s", type(exc).__name__)
        raise UnreadableBody() from None
    _refuse_a_longer_stream(raw)
    if not raw or not request.is_json:
        return
    value = parse_json(raw)
    request._cached_json = (value, value)  # what get_json(silent=...) returns from now on
