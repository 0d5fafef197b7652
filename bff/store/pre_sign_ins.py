"""Started managed-login sign-ins, each waiting for its callback: kept a few minutes, taken
once.

A record holds a sign-in's ``state``, ``nonce`` and PKCE verifier (bff.oauth.pre_sign_in):
secrets that must never reach the browser, so it is sealed with the store's key like a
session, and stored under the keyed hash of its id (the id is the browser's pre-sign-in
cookie). ``take`` is atomic: of two callbacks racing with the same cookie one gets the
record and the other nothing (SQLite ``DELETE ... RETURNING``; Redis ``GETDEL``, 6.2+), so
a ``state`` works once.

The same two backends as the other sub-stores; ``pre_sign_in_store(store)`` gives the one
for ``store``. Expiry follows the store's clock (tests move it), with the backend's own
expiry as the clean-up for records never taken.
"""

from __future__ import annotations

import math
import secrets
from abc import ABC, abstractmethod
from typing import Any

from .base import Store, StoreBound, StoreError
from .redis_store import RedisStore
from .sqlite_store import SqliteStore

#: 256 random bits, like a session id.
PRE_SIGN_IN_ID_BYTES = 32

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_pre_sign_ins (
    id TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    expires_at REAL NOT NULL
)
"""


class PreSignInStore(StoreBound, ABC):
    """Sealed, single-use records of started sign-ins."""

    def put(self, record: dict[str, Any], ttl_seconds: float) -> str:
        """Keep ``record`` for ``ttl_seconds``; its new random id (the cookie's value)."""
        record_id = secrets.token_urlsafe(PRE_SIGN_IN_ID_BYTES)
        expires_at = self.now() + ttl_seconds
        sealed = self.cipher.seal({"record": record, "expires_at": expires_at})
        self._put(self.cipher.hashed_id(record_id), sealed, expires_at, ttl_seconds)
        return record_id

    def take(self, record_id: str) -> dict[str, Any] | None:
        """The record, removed in the same step (None: unknown, taken already, or expired)."""
        sealed = self._take(self.cipher.hashed_id(record_id))
        if sealed is None:
            return None
        data = self.cipher.open(sealed)
        if not isinstance(data, dict) or not isinstance(data.get("record"), dict):
            raise StoreError("a pre-sign-in record has an unexpected shape")
        if float(data.get("expires_at") or 0) <= self.now():
            return None
        record: dict[str, Any] = data["record"]
        return record

    @abstractmethod
    def _put(self, key: str, sealed: bytes, expires_at: float, ttl_seconds: float) -> None: ...

    @abstractmethod
    def _take(self, key: str) -> bytes | None: ...


class SqlitePreSignIns(PreSignInStore):
    _store: SqliteStore

    def __init__(self, store: SqliteStore) -> None:
        super().__init__(store)
        with self._store.transaction() as db:
            db.execute(SCHEMA)

    def _put(self, key: str, sealed: bytes, expires_at: float, ttl_seconds: float) -> None:
        with self._store.connection() as db:
            db.execute("DELETE FROM oauth_pre_sign_ins WHERE expires_at <= ?", (self.now(),))
            db.execute(
                "INSERT INTO oauth_pre_sign_ins (id, data, expires_at) VALUES (?, ?, ?)",
                (key, sealed, expires_at),
            )

    def _take(self, key: str) -> bytes | None:
        with self._store.connection() as db:
            row = db.execute(
                "DELETE FROM oauth_pre_sign_ins WHERE id = ? RETURNING data", (key,)
            ).fetchone()
        return bytes(row[0]) if row is not None else None


class RedisPreSignIns(PreSignInStore):
    #: ``bff:oauth-pre-sign-in:<keyed hash of the id>``, one key each (any cluster slot).
    PREFIX = "bff:oauth-pre-sign-in:"
    _store: RedisStore

    def __init__(self, store: RedisStore) -> None:
        super().__init__(store)

    def _put(self, key: str, sealed: bytes, expires_at: float, ttl_seconds: float) -> None:
        # The backend's expiry is a clean-up only (a second late): ``take`` checks the
        # store's clock, which tests move.
        milliseconds = max(1, math.ceil(ttl_seconds * 1000)) + 1000
        self._store.redis.set(self.PREFIX + key, sealed, px=milliseconds)

    def _take(self, key: str) -> bytes | None:
        found = self._store.redis.getdel(self.PREFIX + key)
        if found is None:
            return None
        return found.encode() if isinstance(found, str) else bytes(found)


def pre_sign_in_store(store: Store) -> PreSignInStore:
    """The pre-sign-in records of ``store``'s backend."""
    if isinstance(store, SqliteStore):
        return SqlitePreSignIns(store)
    if isinstance(store, RedisStore):
        return RedisPreSignIns(store)
    raise StoreError(f"no pre-sign-in records for {type(store).__name__}")
