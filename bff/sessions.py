"""Server-side sessions for the browser: an opaque cookie, the record in the store.

The browser holds only a random id (``secrets.token_urlsafe(32)``, 256 bits). Everything
else (username, flow id, Cognito tokens) stays in the store, encrypted. Rules enforced here:

- an id the store does not know (forged, expired, from another deployment) is never adopted:
  the request simply has no session and nothing is ever stored under an id the client chose
  (new ids come only from the store). Such a cookie is left alone, not cleared: the browser
  applies ``Set-Cookie`` in the order answers arrive, so clearing the id of a read that was
  sent before a sign-in but answered after its rotation would delete the new session's
  cookie. A cookie of the wrong shape (never one of ours) is cleared;
- ``start_session`` always issues a new id; ``rotate_session`` moves the record to a new id
  at every privilege change (sign-in, new password, MFA set up) and kills the old one;
- idle and absolute timeouts are decided by the store's clock on every read;
- cookies: HttpOnly, SameSite=Strict, Secure (off only in local plain-http mode), Path=/,
  no Domain, and the ``__Host-`` prefix whenever Secure is on (the browser then refuses the
  cookie from any subdomain or over http).

Cookies are written in an ``after_request`` hook from what the view asked for, so a view
never touches ``Set-Cookie`` itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request

from bff.config import BffSettings
from bff.store import Store
from bff.store.base import SessionStore

SESSION_COOKIE = "__Host-bff_session"
DEVICE_COOKIE = "__Host-bff_device"
LOCAL_SESSION_COOKIE = "bff_session"  # local plain-http mode: __Host- requires Secure
LOCAL_DEVICE_COOKIE = "bff_device"
EXTENSION = "bff_sessions"
# What our ids look like (token_urlsafe(32) = 43 chars); anything else is not even looked up.
_ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")

_UNSET = object()


class SessionManager:
    """Per-app session settings and store (``app.extensions["bff_sessions"]``)."""

    def __init__(self, settings: BffSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.secure = settings.cookie_secure
        self.session_cookie = SESSION_COOKIE if self.secure else LOCAL_SESSION_COOKIE
        self.device_cookie = DEVICE_COOKIE if self.secure else LOCAL_DEVICE_COOKIE


@dataclass
class _RequestState:
    loaded: bool = False
    record: dict[str, Any] | None = None
    session_cookie: object = _UNSET  # _UNSET: leave alone; None: clear; str: set
    device_cookie: object = _UNSET


def init_app(app: Flask, settings: BffSettings, store: Store) -> SessionManager:
    manager = SessionManager(settings, store)
    app.extensions[EXTENSION] = manager
    app.after_request(_write_cookies)
    return manager


def _manager() -> SessionManager:
    try:
        manager: SessionManager = current_app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("bff.sessions.init_app(app, settings, store) was not called") from None
    return manager


def _state() -> _RequestState:
    state: _RequestState | None = g.get("_bff_session_state")
    if state is None:
        state = _RequestState()
        g._bff_session_state = state
    return state


def session_cookie_name() -> str:
    return _manager().session_cookie


def device_cookie_name() -> str:
    return _manager().device_cookie


def _cookie_value(name: str) -> str | None:
    value = request.cookies.get(name)
    return value if value and _ID_SHAPE.match(value) else None


def current_session() -> dict[str, Any] | None:
    """The live session record of this request (with ``sid``), or None.

    A cookie naming no live session is never adopted; one of the wrong shape is cleared.
    """
    state = _state()
    if state.loaded:
        return state.record
    state.loaded = True
    manager = _manager()
    raw = request.cookies.get(manager.session_cookie)
    sid = _cookie_value(manager.session_cookie)
    record = manager.store.sessions.get(sid) if sid else None
    if raw is not None and sid is None:
        state.session_cookie = None  # not even the shape of our ids: tell the browser to drop it
    state.record = record
    return record


def reload_session() -> None:
    """Read the session from the store again on the next ``current_session()`` (another
    part of the request wrote it behind this request's copy)."""
    _state().loaded = False


def _adopt(sid: str, record: dict[str, Any], created_at: float) -> str:
    """Make ``sid`` this request's session, holding ``record`` as just written to the store
    (what a read would give back: the store's own keys set, JSON types), and set its cookie."""
    state = _state()
    store = _manager().store
    reserved = SessionStore.RESERVED
    data = json.loads(json.dumps({k: v for k, v in record.items() if k not in reserved}))
    data.update(sid=sid, created_at=created_at, last_seen_at=store.clock())
    state.record = data
    state.loaded = True
    state.session_cookie = sid
    return sid


def start_session(record: dict[str, Any]) -> str:
    """Store ``record`` as a brand-new session (any current one is ended) and set its cookie."""
    manager = _manager()
    old = current_session()
    settings = manager.settings
    created_at = manager.store.clock()
    sid = manager.store.sessions.create(
        record,
        settings.session_idle_seconds,
        settings.session_absolute_seconds,
        replacing=old["sid"] if old is not None else None,
    )
    return _adopt(sid, record, created_at)


def rotate_session(record: dict[str, Any] | None = None) -> str:
    """Give the current session a new id (the old id dies); optionally replace its record.

    With no live session, starts a new one with ``record`` (or an empty record): the caller
    always ends up with a fresh id, which is what a privilege change needs.
    """
    manager = _manager()
    current = current_session()
    rotate = manager.store.sessions.rotate
    new_sid = rotate(current["sid"], record) if current is not None else None
    if new_sid is None or current is None:
        return start_session(record if record is not None else {})
    return _adopt(new_sid, current if record is None else record, current["created_at"])


def save_session(record: dict[str, Any]) -> str:
    """Persist ``record`` as the current session's data; starts a session when there is none."""
    manager = _manager()
    state = _state()
    current = current_session()
    if current is None or not manager.store.sessions.update(current["sid"], record):
        return start_session(record)
    sid: str = current["sid"]
    state.record = {
        **record,
        "sid": sid,
        "created_at": current["created_at"],
        "last_seen_at": current["last_seen_at"],
    }
    return sid


def end_session() -> None:
    """Delete the server-side record and clear the cookie (sign-out)."""
    manager = _manager()
    state = _state()
    current = current_session()
    if current is not None:
        manager.store.sessions.delete(current["sid"])
    state.record = None
    state.loaded = True
    state.session_cookie = None


def set_device_cookie(device_id: str) -> None:
    _state().device_cookie = device_id


def current_device_id() -> str | None:
    """The device cookie's id (shape-checked; the vault decides whether it is real)."""
    state = _state()
    if state.device_cookie is None:
        return None
    if isinstance(state.device_cookie, str):
        return state.device_cookie
    return _cookie_value(_manager().device_cookie)


def clear_device_cookie() -> None:
    _state().device_cookie = None


def _set(
    response: Response, manager: SessionManager, name: str, value: str | None, max_age: int
) -> None:
    common: dict[str, Any] = {
        "path": "/",
        "domain": None,
        "secure": manager.secure,
        "httponly": True,
        "samesite": "Strict",
    }
    if value is None:
        response.delete_cookie(name, **common)
    else:
        response.set_cookie(name, value, max_age=max_age, **common)
    # A response that sets a cookie must never be cached by a shared cache
    # (the Flask CVE-2023-30861 class of bug).
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")


def _write_cookies(response: Response) -> Response:
    state: _RequestState | None = g.get("_bff_session_state")
    if state is None:
        return response
    manager = _manager()
    # Each cookie this request changed: (its pending value, its name, its lifetime).
    for pending, name, max_age in (
        (state.session_cookie, manager.session_cookie, manager.settings.session_absolute_seconds),
        (state.device_cookie, manager.device_cookie, manager.settings.device_cookie_days * 86400),
    ):
        if pending is not _UNSET:
            _set(response, manager, name, pending if isinstance(pending, str) else None, max_age)
    return response
