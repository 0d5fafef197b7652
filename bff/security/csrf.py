"""The anti-CSRF header and JSON-only bodies on every state-changing request.

- CSRF: every POST/PUT/PATCH/DELETE, on any route, must carry ``X-CSRF: 1``. A browser
  cannot add a custom header cross-origin without a CORS preflight, and none is granted to
  foreign origins (IETF draft "OAuth 2.0 for Browser-Based Apps", BFF section; Duende BFF
  uses the same header). Only views marked ``@csrf_exempt`` skip it (the PandaDoc webhook,
  server-to-server and HMAC-authenticated): the mark is metadata on the view, not a list
  kept here. The check does not look at ``TESTING``: a test proves the real behaviour.
- JSON only: a state-changing request with a body must be ``application/json`` (415
  otherwise), so no HTML form or ``text/plain`` "simple request" is ever parsed. The body
  is then parsed once, with limits, by ``bff.body`` (400 ``invalid_json`` outside them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

from bff import body
from bff.errors import CsrfRequired, UnsupportedMediaType

CSRF_HEADER = "X-CSRF"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_EXEMPT_ATTR = "_bff_csrf_exempt"

F = TypeVar("F", bound=Callable[..., Any])


def csrf_exempt(view: F) -> F:
    """Mark a view (function, or MethodView class/method) as exempt from the CSRF header.

    Works above or below the route decorator: wrappers made with ``functools.wraps`` keep
    the mark and point back to the view (``__wrapped__``), which the check follows.
    """
    setattr(view, _EXEMPT_ATTR, True)
    return view


def _is_exempt(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    if view is None:
        return False
    candidates: list[Any] = [view]
    inner = view
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
        candidates.append(inner)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        candidates += [view_class, getattr(view_class, request.method.lower(), None)]
    return any(getattr(c, _EXEMPT_ATTR, False) for c in candidates if c is not None)


def _is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def require_header_and_json() -> None:
    """Refuse a state-changing request without the header (403) or with a non-JSON body
    (415); anything else passes."""
    if request.method not in STATE_CHANGING:
        return
    if request.headers.get(CSRF_HEADER) != "1" and not _is_exempt(current_app):
        raise CsrfRequired()
    if body.view_streams_own_body():
        return  # a proxied body is the upstream's to judge (bff.relay)
    if (body.has_body(request) or request.content_type) and not _is_json_type(request.mimetype):
        raise UnsupportedMediaType()


def init_app(app: Flask) -> None:
    """Check every request (after the CORS preflight, before the body is parsed)."""
    app.before_request(require_header_and_json)
