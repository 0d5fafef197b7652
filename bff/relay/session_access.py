"""The relay's one door to the browser session: who is signed in, with a fresh access token.

Every read and write of the session the relay makes is here (the typed ``BrowserSession``
of bff.session_record), so a change of the session's shape is a change of this module.

Tokens kept fresh: an access token within ``REFRESH_BEFORE_SECONDS`` of its expiry is
refreshed before it is used, with the device key it was issued to, **once per session**:

- in one process, requests of the same session queue on a lock and, once through, read the
  session again: the first one refreshed, the rest find fresh tokens;
- across processes and instances, the refresh is claimed in the store (bff.relay.lease);
  a request that finds it claimed waits for the session to change, bounded by the Cognito
  deadline, then answers 503 ``refresh_pending`` with ``Retry-After``.

A refresh Cognito refuses (revoked, expired, forgotten device) ends the session: the record
is deleted, the cookie cleared, and the answer is 401 ``session_expired``. When the app
client rotates refresh tokens (the gateway then calls GetTokensFromRefreshToken), the new
refresh token replaces the old one in the same write. A token's expiry is kept in the
store's clock at the moment Cognito answered (``expires_at``, from ``expires_in``), so it
does not depend on the BFF's clock agreeing with Cognito's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from bff import sessions
from bff.config import BffSettings
from bff.errors import (
    BffError,
    NotAuthorized,
    NotSignedIn,
    RefreshPending,
    SessionExpired,
    UserNotFound,
)
from bff.flows import Flows
from bff.flows import session as session_steps
from bff.flows.tokens import claims, user_claims
from bff.relay import lease, metrics
from bff.session_record import BrowserSession, TokenRecord, token_record
from bff.store import Store
from statemachine import Flow

#: Refresh an access token this close to its expiry (a request in flight must not carry a
#: token that expires on the way; Duende BFF's default is also a minute).
REFRESH_BEFORE_SECONDS = 60
#: How often a request polls the store while another instance holds the refresh.
POLL_SECONDS = 0.05
#: Where create_app keeps the app's service objects (bff.api.context reads the same).
EXTENSION = "bff"


@dataclass(frozen=True)
class SignedInUser:
    """The signed-in user as a view sees it: the ID token's claims and an access token
    good for at least ``REFRESH_BEFORE_SECONDS``."""

    claims: dict[str, Any]
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class SessionTimes:
    """Seconds left before the session ends for idleness and for good."""

    idle_expires_in: int
    absolute_expires_in: int


def _service(name: str) -> Any:
    return current_app.extensions[EXTENSION][name]


def _store() -> Store:
    found: Store = _service("store")
    return found


def _settings() -> BffSettings:
    found: BffSettings = _service("settings")
    return found


def _flows() -> Flows:
    found: Flows = _service("flows")
    return found


def _browser_session() -> BrowserSession | None:
    record = sessions.current_session()
    return BrowserSession.from_record(record) if record is not None else None


def has_user() -> bool:
    """Whether the browser holds a signed-in session (no Cognito call, no refresh)."""
    session = _browser_session()
    return session is not None and session.signed_in


def signed_in_user() -> SignedInUser:
    """The signed-in user with fresh tokens; 401 ``not_signed_in`` without a session,
    401 ``session_expired`` when Cognito refuses to refresh."""
    session = _browser_session()
    if session is None or session.tokens is None or session.sid is None:
        raise NotSignedIn()
    tokens = session.tokens
    if expiring(tokens, _store().clock()):
        tokens = _refresh_once(session.sid, expiring, flow=None)
    return SignedInUser(user_claims(tokens["id_token"] or ""), tokens["access_token"])


def session_times() -> SessionTimes:
    """The current session's idle and absolute time left (read after the request's own
    touch, so idle time is full unless the absolute limit comes first)."""
    session = _browser_session()
    if session is None or session.created_at is None or session.last_seen_at is None:
        raise NotSignedIn()
    settings = _settings()
    now = _store().clock()
    absolute = session.created_at + settings.session_absolute_seconds - now
    idle = session.last_seen_at + settings.session_idle_seconds - now
    return SessionTimes(int(max(0.0, min(idle, absolute))), int(max(0.0, absolute)))


def _expires_at(tokens: TokenRecord) -> float | None:
    stamped = tokens.get("expires_at")
    if isinstance(stamped, int | float):
        return float(stamped)
    exp = claims(tokens["access_token"] or "").get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def expiring(tokens: TokenRecord, now: float) -> bool:
    """Whether the access token expires within ``REFRESH_BEFORE_SECONDS`` of ``now``."""
    expires_at = _expires_at(tokens)
    return expires_at is not None and expires_at - now <= REFRESH_BEFORE_SECONDS


_locks_guard = threading.Lock()
_locks: dict[str, tuple[threading.Lock, int]] = {}


@contextmanager
def _process_lock(key: str) -> Iterator[None]:
    """One lock per session in this process, dropped when nobody holds or waits for it."""
    with _locks_guard:
        lock, users = _locks.get(key, (threading.Lock(), 0))
        _locks[key] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _locks_guard:
            lock, users = _locks[key]
            if users <= 1:
                del _locks[key]
            else:
                _locks[key] = (lock, users - 1)


def refresh_tokens(sid: str, *, replacing: str, flow: Flow | None) -> TokenRecord:
    """New tokens for the session now (an explicit refresh, or an expired access token),
    through the same once-per-session refresh as the relay's: ``replacing`` is the access
    token the caller saw; when the store holds another one, a concurrent request already
    refreshed and its tokens are answered (with a rotating refresh token, a second refresh
    with the spent one would end the session). A refusal is recorded in ``flow``."""

    def stale(tokens: TokenRecord, now: float) -> bool:
        return tokens["access_token"] == replacing or expiring(tokens, now)

    tokens = _refresh_once(sid, stale, flow=flow)
    sessions.reload_session()  # the request's own copy of the record predates the refresh
    return tokens


def _refresh_once(
    sid: str, stale: Callable[[TokenRecord, float], bool], *, flow: Flow | None
) -> TokenRecord:
    store = _store()
    key = store.cipher.hashed_id(sid)
    cognito = _settings().cognito
    wait_seconds = cognito.connect_timeout + cognito.read_timeout
    with _process_lock(key):
        deadline = time.monotonic() + wait_seconds
        while True:
            current = _reread(sid)
            if not stale(current[1], store.clock()):
                metrics.count_token_refresh("shared")
                return current[1]
            if lease.claim(store, key, wait_seconds + 1):
                break
            if time.monotonic() >= deadline:
                raise RefreshPending()
            time.sleep(POLL_SECONDS)  # another instance is refreshing this session
        try:
            session, tokens = _reread(sid)  # it may have finished just before the claim
            if not stale(tokens, store.clock()):
                metrics.count_token_refresh("shared")
                return tokens
            return _refresh(sid, session, tokens, flow)
        finally:
            lease.release(store, key)


def _reread(sid: str) -> tuple[BrowserSession, TokenRecord]:
    """The session as the store holds it now (another request may have refreshed it)."""
    record = _store().sessions.get(sid)
    session = BrowserSession.from_record(record) if record is not None else None
    if session is None or session.tokens is None:
        sessions.end_session()
        raise SessionExpired("Your session has ended. Sign in again.")
    return session, session.tokens


def _refresh(sid: str, session: BrowserSession, old: TokenRecord, flow: Flow | None) -> TokenRecord:
    store = _store()
    try:
        if not old.get("refresh_token"):
            raise NotAuthorized()
        fresh = session_steps.refresh(
            _flows(),
            flow,
            old["refresh_token"] or "",
            username=session.cognito_username,
            device_key=session.device_key,
        )
    except (NotAuthorized, UserNotFound, SessionExpired):
        metrics.count_token_refresh("refused")
        store.sessions.delete(sid)
        sessions.end_session()
        raise SessionExpired("Your session has ended. Sign in again.") from None
    except BffError:
        metrics.count_token_refresh("failed")
        raise
    now = store.clock()
    tokens = token_record(fresh, previous=old, now=now)  # a rotated refresh token replaces the old
    session.tokens = tokens
    session.validated_at = now  # Cognito just accepted the refresh token
    if not store.sessions.update(sid, session.to_record()):
        sessions.end_session()  # signed out while refreshing
        raise SessionExpired("Your session has ended. Sign in again.")
    metrics.count_token_refresh("refreshed")
    return tokens
