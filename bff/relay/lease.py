"""A short claim in the store that one process is refreshing one session's tokens.

The store's event ledger already is an atomic "first claim within a TTL" on both backends
(SQLite: an upsert that only takes over an expired row; Redis: a Lua script), which is
exactly a lease: ``claim`` wins for one caller until ``release`` or the TTL, whichever comes
first. The key names the session by its hashed id (the store never holds a usable cookie),
inside braces, so on a Redis Cluster it hashes to a slot of its own session's choosing.
"""

from __future__ import annotations

from bff.store import Store

PREFIX = "relay-refresh:"


def _key(hashed_sid: str) -> str:
    return f"{PREFIX}{{{hashed_sid}}}"


def claim(store: Store, hashed_sid: str, ttl_seconds: float) -> bool:
    """True for the one caller that may refresh the session now."""
    return store.webhook_events.first_time(_key(hashed_sid), ttl_seconds)


def release(store: Store, hashed_sid: str) -> None:
    store.webhook_events.forget(_key(hashed_sid))
