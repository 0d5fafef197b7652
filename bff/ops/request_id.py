"""Request ids: one per request, in the response, in every log line and journal entry.

The BFF always generates the id itself (32 hex digits) and returns it as ``X-Request-Id``
on every response. Behind trusted proxies (``BFF_TRUSTED_PROXIES`` > 0) an incoming
``X-Request-Id`` that looks like an id (1-128 characters of ``A-Z a-z 0-9 . _ : -``) is kept
beside it as the *upstream* id, written in the request's log line (``upstream_id=...``), so
a load balancer's log and the BFF's can be joined; it never replaces the BFF's id. Trusting
proxies does not prove that a request came through one: a client that reaches the BFF
directly sends the same header, and would otherwise choose the id its log lines and
journal entries are filed under (for example another request's).

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
_upstream: ContextVar[str | None] = ContextVar("bff_upstream_request_id", default=None)


def current() -> str | None:
    """The id of the request this thread is handling, or None."""
    return _current.get()


def upstream() -> str | None:
    """The id a trusted proxy sent with this request, or None."""
    return _upstream.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def _incoming(trusted_proxies: int) -> str | None:
    offered = request.headers.get(HEADER, "") if trusted_proxies else ""
    return offered if ACCEPTED.fullmatch(offered) else None


def init_app(app: Flask, trusted_proxies: int) -> None:
    """Give every request an id (first of all hooks) and return it on every response."""

    def begin() -> None:
        request_id = new_request_id()
        g.request_id = request_id
        _current.set(request_id)
        _upstream.set(_incoming(trusted_proxies))
        set_journal_request_id(request_id)

    def stamp(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[HEADER] = request_id
        return response

    def end(_exc: BaseException | None) -> None:
        _current.set(None)
        _upstream.set(None)
        set_journal_request_id(None)

    # First before_request of all: even a request refused by the CSRF guard has an id.
    app.before_request_funcs.setdefault(None, []).insert(0, begin)
    app.after_request(stamp)
    app.teardown_request(end)
