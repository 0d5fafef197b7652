"""The embedded store: one SQLite file, shared safely by several worker processes.

Why it is safe with several processes (gunicorn -w N) and threads:
- WAL journal mode: readers never block the writer, and the writer never blocks readers.
- ``busy_timeout``: a writer that finds the database locked waits (``timeout``,
  BFF_STORE_TIMEOUT_SECONDS, 2 s by default) instead of failing at once with "database is
  locked"; past it the request answers 503 ``store_unavailable`` (bff/api/errors.py), and
  the transaction it was in is rolled back, so nothing is half-written.
- One connection per thread and per process (connections are never shared, and a forked
  worker opens its own instead of reusing its parent's).
- Short transactions only; a compare-and-set is one ``UPDATE ... WHERE id=? AND
  version=?`` statement, atomic in SQLite, and its row count says who won. Read-then-write
  sequences (session rotation) run inside ``BEGIN IMMEDIATE``, which takes the write lock
  up front so two of them cannot interleave.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bff.cognito.types import RememberedDevice
from bff.errors import Conflict
from statemachine.flow import Flow

from .base import (
    DEFAULT_TIMEOUT_SECONDS,
    Clock,
    DeviceVault,
    EventLedger,
    FlowStore,
    SessionStore,
    Store,
    StoreError,
    new_device_id,
    new_session_id,
    user_keys,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS flows (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS flows_expires_at ON flows (expires_at);
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    idle_seconds REAL NOT NULL,
    absolute_seconds REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS session_users (
    user_key TEXT NOT NULL,
    sid TEXT NOT NULL,
    PRIMARY KEY (user_key, sid)
);
CREATE INDEX IF NOT EXISTS session_users_sid ON session_users (sid);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    secret BLOB NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL
);
CREATE INDEX IF NOT EXISTS devices_username ON devices (username);
CREATE TABLE IF NOT EXISTS webhook_events (
    event_id TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
"""


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only (0600), whatever the umask.

    SQLite gives the -wal and -shm files it creates next to it the same permissions
    (https://www.sqlite.org/tempfiles.html, "the same permissions as the database file").
    An existing file keeps its mode: tightening someone's file is theirs to decide.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the SQLite store at {path}: {exc.strerror}") from exc
    os.fchmod(fd, 0o600)
    os.close(fd)


def path_from_url(url: str) -> str:
    """``sqlite:///relative.db`` or ``sqlite:////absolute/path.db`` -> the file path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise StoreError(f"not a SQLite URL with a file path: {url!r}")
    path = url[len(prefix) :]
    if path == ":memory:":
        raise StoreError("an in-memory SQLite store cannot be shared between connections")
    return path


class SqliteStore(Store):
    def __init__(
        self,
        url: str,
        key: str | bytes | None = None,
        clock: Clock | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ):
        super().__init__(url, key, clock)
        self.path = path_from_url(url)
        self.timeout = timeout
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        _create_private(self.path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        with self.transaction() as db:
            # Statement by statement: executescript() would COMMIT the open transaction.
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        self.flows = SqliteFlowStore(self)
        self.sessions = SqliteSessionStore(self)
        self.devices = SqliteDeviceVault(self)
        self.webhook_events = SqliteEventLedger(self)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,  # autocommit; transactions are explicit below
                check_same_thread=True,
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable in WAL mode except for the last transactions on power loss.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: take the write lock first, so read-then-write is atomic."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.ProgrammingError:  # created in another thread; it dies with it
                pass
        self._local = threading.local()

    def ping(self) -> bool:
        try:
            self.connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True


class SqliteFlowStore(FlowStore):
    _store: SqliteStore

    def create(self, flow: Flow, ttl_seconds: float) -> None:
        now = self.now()
        db = self._store.connection()
        db.execute("DELETE FROM flows WHERE expires_at <= ?", (now,))
        cur = db.execute(
            "INSERT INTO flows (id, version, data, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data, "
            "expires_at = excluded.expires_at WHERE flows.expires_at <= ?",
            (flow.id, flow.version, flow.to_json(), now + ttl_seconds, now),
        )
        if cur.rowcount != 1:
            raise Conflict("A flow with this id already exists.")

    def load(self, flow_id: str) -> Flow | None:
        db = self._store.connection()
        row = db.execute(
            "SELECT version, data, expires_at FROM flows WHERE id = ?", (flow_id,)
        ).fetchone()
        if row is None:
            return None
        version, data, expires_at = row
        if expires_at <= self.now():
            db.execute("DELETE FROM flows WHERE id = ? AND expires_at <= ?", (flow_id, self.now()))
            return None
        return self._decode(data, int(version))

    def save(self, flow: Flow, ttl_seconds: float) -> None:
        now = self.now()
        cur = self._store.connection().execute(
            "UPDATE flows SET version = version + 1, data = ?, expires_at = ? "
            "WHERE id = ? AND version = ? AND expires_at > ?",
            (self._encode_saved(flow), now + ttl_seconds, flow.id, flow.version, now),
        )
        if cur.rowcount != 1:
            raise Conflict()
        flow.version += 1

    def delete(self, flow_id: str) -> None:
        self._store.connection().execute("DELETE FROM flows WHERE id = ?", (flow_id,))


class SqliteSessionStore(SessionStore):
    _store: SqliteStore

    def create(self, record: dict[str, Any], idle_seconds: float, absolute_seconds: float) -> str:
        now = self.now()
        sid = new_session_id()
        blob = self.cipher.seal(self._payload(record))
        db = self._store.connection()
        db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
        db.execute(
            "INSERT INTO sessions (sid, data, created_at, last_seen_at, idle_seconds, "
            "absolute_seconds, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                self.cipher.hashed_id(sid),
                blob,
                now,
                now,
                idle_seconds,
                absolute_seconds,
                now + self._remaining(now, now, idle_seconds, absolute_seconds),
            ),
        )
        self._index(db, sid, record)
        return sid

    def _index(self, db: sqlite3.Connection, sid: str, record: dict[str, Any]) -> None:
        hashed_sid = self.cipher.hashed_id(sid)
        db.executemany(
            "INSERT OR IGNORE INTO session_users (user_key, sid) VALUES (?, ?)",
            [(key, hashed_sid) for key in user_keys(record)],
        )

    def _indexed(self, user_key: str) -> list[str]:
        db = self._store.connection()
        db.execute("DELETE FROM session_users WHERE sid NOT IN (SELECT sid FROM sessions)")
        rows = db.execute("SELECT sid FROM session_users WHERE user_key = ?", (user_key,))
        return [row[0] for row in rows.fetchall()]

    def _row(self, db: sqlite3.Connection, sid: str) -> tuple[Any, ...] | None:
        """The live row of session ``sid`` (the cookie's value; the table keys its hash)."""
        sid = self.cipher.hashed_id(sid)
        row = db.execute(
            "SELECT data, created_at, last_seen_at, idle_seconds, absolute_seconds "
            "FROM sessions WHERE sid = ?",
            (sid,),
        ).fetchone()
        if row is None:
            return None
        if self._expired(row[1], row[2], row[3], row[4]):
            db.execute("DELETE FROM sessions WHERE sid = ?", (sid,))
            return None
        return tuple(row)

    def _touch(self, db: sqlite3.Connection, sid: str, row: tuple[Any, ...], new_sid: str) -> None:
        now = self.now()
        expires_at = now + self._remaining(row[1], now, row[3], row[4])
        db.execute(
            "UPDATE sessions SET sid = ?, last_seen_at = ?, expires_at = ? WHERE sid = ?",
            (self.cipher.hashed_id(new_sid), now, expires_at, self.cipher.hashed_id(sid)),
        )

    def get(self, sid: str) -> dict[str, Any] | None:
        if not sid:
            return None
        with self._store.transaction() as db:
            row = self._row(db, sid)
            if row is None:
                return None
            self._touch(db, sid, row, sid)
        record = dict(self.cipher.open(row[0]))
        record.update(sid=sid, created_at=row[1], last_seen_at=self.now())
        return record

    def update(self, sid: str, record: dict[str, Any]) -> bool:
        blob = self.cipher.seal(self._payload(record))
        db = self._store.connection()
        cur = db.execute(
            "UPDATE sessions SET data = ? WHERE sid = ? AND expires_at > ?",
            (blob, self.cipher.hashed_id(sid), self.now()),
        )
        if cur.rowcount != 1:
            return False
        self._index(db, sid, record)
        return True

    def rotate(self, sid: str) -> str | None:
        new_sid = new_session_id()
        with self._store.transaction() as db:
            row = self._row(db, sid)
            if row is None:
                return None
            self._touch(db, sid, row, new_sid)
            db.execute(
                "UPDATE session_users SET sid = ? WHERE sid = ?",
                (self.cipher.hashed_id(new_sid), self.cipher.hashed_id(sid)),
            )
        return new_sid

    def delete(self, sid: str) -> None:
        self._delete_hashed(self.cipher.hashed_id(sid))

    def _delete_hashed(self, hashed_sid: str) -> None:
        db = self._store.connection()
        db.execute("DELETE FROM sessions WHERE sid = ?", (hashed_sid,))
        db.execute("DELETE FROM session_users WHERE sid = ?", (hashed_sid,))

    def _peek(self, hashed_sid: str) -> dict[str, Any] | None:
        row = (
            self._store.connection()
            .execute(
                "SELECT data, created_at, last_seen_at, idle_seconds, absolute_seconds "
                "FROM sessions WHERE sid = ?",
                (hashed_sid,),
            )
            .fetchone()
        )
        if row is None or self._expired(row[1], row[2], row[3], row[4]):
            return None
        return dict(self.cipher.open(row[0]))


class SqliteDeviceVault(DeviceVault):
    _store: SqliteStore

    def put(self, username: str, device: RememberedDevice, ttl_seconds: float | None = None) -> str:
        now = self.now()
        device_id = new_device_id()
        self._store.connection().execute(
            "INSERT INTO devices (id, username, secret, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                self.cipher.hashed_id(device_id),
                username,
                self._seal(username, device),
                now,
                None if ttl_seconds is None else now + ttl_seconds,
            ),
        )
        return device_id

    def get(self, device_id: str) -> tuple[str, RememberedDevice] | None:
        if not device_id:
            return None
        row = (
            self._store.connection()
            .execute(
                "SELECT secret, expires_at FROM devices WHERE id = ?",
                (self.cipher.hashed_id(device_id),),
            )
            .fetchone()
        )
        if row is None:
            return None
        if row[1] is not None and row[1] <= self.now():
            self.delete(device_id)
            return None
        return self._open(row[0])

    def delete(self, device_id: str) -> None:
        self._store.connection().execute(
            "DELETE FROM devices WHERE id = ?", (self.cipher.hashed_id(device_id),)
        )


class SqliteEventLedger(EventLedger):
    _store: SqliteStore

    def first_time(self, event_id: str, ttl_seconds: float) -> bool:
        now = self.now()
        # Insert, or take over an expired row; a live row makes the upsert a no-op (0 rows).
        cur = self._store.connection().execute(
            "INSERT INTO webhook_events (event_id, expires_at) VALUES (?, ?) "
            "ON CONFLICT (event_id) DO UPDATE SET expires_at = excluded.expires_at "
            "WHERE webhook_events.expires_at <= ?",
            (event_id, now + ttl_seconds, now),
        )
        return cur.rowcount == 1

    def forget(self, event_id: str) -> None:
        self._store.connection().execute(
            "DELETE FROM webhook_events WHERE event_id = ?", (event_id,)
        )
