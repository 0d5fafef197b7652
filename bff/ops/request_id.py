"""Request ids: one per request, in the response, in every log line and journal entry.

An ``X-Request-Id`` header is taken from the client only when the BFF sits behind trusted
proxies (``BFF_TRUSTED_PROXIES`` > 0: the proxy sets or forwards it) and it looks like an id
(1-128 characters of ``A-Z a-z 0-9 . _ : -``); otherwise, and always without trusted
proxies, the BFF generates one (32 hex digits). A browser can therefore never put its own
text into the logs. The id is returned as ``X-Request-Id`` on every response.

The id lives in a context variable for the request's thread: the log record factory reads
it (``current()``) and the state machine's journal records it (``journal_request_id``).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from flask import Flask, Response, g, request

from statemachine import set_journal_request_id

HEADER = "X-Request-Id"
ACCEPTED = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
#: What log lines outside any request carry.
NO_REQUEST = "-"

_current: ContextVar[str | None] = ContextVar("bff_request_id", default=None)


def current() -> str | None:
    """The id of the request this thread is handling, or None."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def _incoming(trusted_proxies: int) -> str:
    offered = request.headers.get(HEADER, "") if trusted_proxies else ""
    return offered if ACCEPTED.fullmatch(offered) else new_request_id()


def init_app(app: Flask, trusted_proxies: int) -> None:
    """Give every request an id (first of all hooks) and return it on every response."""

    def begin() -> None:
        request_id = _incoming(trusted_proxies)
        g.request_id = request_id
        _current.set(request_id)
        set_journal_request_id(request_id)

    def stamp(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[HEADER] = request_id
        return response

    def end(_exc: BaseException | None) -> None:
        _current.set(None)
        set_journal_request_id(None)

    # First before_request of all: even a request refused by the CSRF guard has an id.
    app.before_request_funcs.setdefault(None, []).insert(0, begin)
    app.after_request(stamp)
    app.teardown_request(end)
