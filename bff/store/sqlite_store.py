"""The embedded store: one SQLite file, shared safely by several worker processes.

Why it is safe with several processes (gunicorn -w N) and threads:
- WAL journal mode: readers never block the writer, and the writer never blocks readers.
- ``busy_timeout``: a writer that finds the database locked waits (``timeout``,
  BFF_STORE_TIMEOUT_SECONDS, 2 s by default) instead of failing at once with "database is
  locked"; past it the request answers 503 ``store_unavailable`` (bff/api/errors.py), and
  the transaction it was in is rolled back, so nothing is half-written.
- A small pool of connections per process: an operation borrows one, uses it alone and
  gives it back, so a server that starts a thread per connection (werkzeug's) neither
  opens a database connection per request nor keeps one per dead thread; a forked worker
  never touches its parent's connections and opens its own.
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

from bff.cognito.types import RememberedDevice
from bff.errors import Conflict
from statemachine.flow import Flow

from .base import (
    DEFAULT_TIMEOUT_SECONDS,
    Clock,
    DeviceVault,
    EventLedger,
    FlowStore,
    Store,
    StoreError,
    new_device_id,
)
from .sqlite_sessions import SqliteSessionStore

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


#: Connections a process keeps open between operations; more are opened when more
#: operations run at once (each thread of a busy server), and closed when given back.
MAX_IDLE_CONNECTIONS = 8


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
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._pool_pid = os.getpid()
        # A forked worker's inherited connections: never used nor closed in the child (the
        # parent still owns them), only kept referenced so their finalizers do not run here.
        self._inherited: list[sqlite3.Connection] = []
        with self.transaction() as db:
            # Statement by statement: executescript() would COMMIT the open transaction.
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        self.flows = SqliteFlowStore(self)
        self.sessions = SqliteSessionStore(self)
        self.devices = SqliteDeviceVault(self)
        self.webhook_events = SqliteEventLedger(self)

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,  # autocommit; transactions are explicit below
                check_same_thread=False,  # borrowed by one thread at a time (the pool)
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable in WAL mode except for the last transactions on power loss.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        return conn

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Borrow a connection of this process's pool for one operation."""
        conn = None
        with self._pool_lock:
            if self._pool_pid != os.getpid():
                self._inherited.extend(self._idle)
                self._idle = []
                self._pool_pid = os.getpid()
            if self._idle:
                conn = self._idle.pop()
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _give_back(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:  # an operation that failed half-way
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            conn.close()
            return
        with self._pool_lock:
            if self._pool_pid == os.getpid() and len(self._idle) < MAX_IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: take the write lock first, so read-then-write is atomic."""
        with self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        """Close the idle connections (one borrowed right now closes when given back)."""
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def ping(self) -> bool:
        try:
            with self.connection() as db:
                db.execute("SELECT 1").fetchone()
        except (sqlite3.Error, StoreError):
            return False
        return True


class SqliteFlowStore(FlowStore):
    _store: SqliteStore

    def create(self, flow: Flow, ttl_seconds: float) -> None:
        now = self.now()
        with self._store.transaction() as db:
            db.execute("DELETE FROM flows WHERE expires_at <= ?", (now,))
            cur = db.execute(
                "INSERT INTO flows (id, version, data, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET version = excluded.version, "
                "data = excluded.data, expires_at = excluded.expires_at "
                "WHERE flows.expires_at <= ?",
                (flow.id, flow.version, flow.to_json(), now + ttl_seconds, now),
            )
            created = cur.rowcount == 1
        if not created:
            raise Conflict("A flow with this id already exists.")

    def load(self, flow_id: str) -> Flow | None:
        with self._store.connection() as db:
            row = db.execute(
                "SELECT version, data, expires_at FROM flows WHERE id = ?", (flow_id,)
            ).fetchone()
            if row is None:
                return None
            version, data, expires_at = row
            if expires_at <= self.now():
                db.execute(
                    "DELETE FROM flows WHERE id = ? AND expires_at <= ?", (flow_id, self.now())
                )
                return None
        return self._decode(data, int(version))

    def save(self, flow: Flow, ttl_seconds: float) -> None:
        now = self.now()
        data = self._encode_saved(flow)
        with self._store.connection() as db:
            cur = db.execute(
                "UPDATE flows SET version = version + 1, data = ?, expires_at = ? "
                "WHERE id = ? AND version = ? AND expires_at > ?",
                (data, now + ttl_seconds, flow.id, flow.version, now),
            )
            saved = cur.rowcount == 1
        if not saved:
            raise Conflict()
        flow.version += 1

    def delete(self, flow_id: str) -> None:
        with self._store.connection() as db:
            db.execute("DELETE FROM flows WHERE id = ?", (flow_id,))


class SqliteDeviceVault(DeviceVault):
    _store: SqliteStore

    def put(self, username: str, device: RememberedDevice, ttl_seconds: float | None = None) -> str:
        now = self.now()
        device_id = new_device_id()
        row = (
            self.cipher.hashed_id(device_id),
            username,
            self._seal(username, device),
            now,
            None if ttl_seconds is None else now + ttl_seconds,
        )
        with self._store.connection() as db:
            db.execute(
                "INSERT INTO devices (id, username, secret, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )
        return device_id

    def get(self, device_id: str) -> tuple[str, RememberedDevice] | None:
        if not device_id:
            return None
        with self._store.connection() as db:
            row = db.execute(
                "SELECT secret, expires_at FROM devices WHERE id = ?",
                (self.cipher.hashed_id(device_id),),
            ).fetchone()
        if row is None:
            return None
        if row[1] is not None and row[1] <= self.now():
            self.delete(device_id)
            return None
        return self._open(row[0])

    def delete(self, device_id: str) -> None:
        with self._store.connection() as db:
            db.execute("DELETE FROM devices WHERE id = ?", (self.cipher.hashed_id(device_id),))


class SqliteEventLedger(EventLedger):
    _store: SqliteStore

    def first_time(self, event_id: str, ttl_seconds: float) -> bool:
        now = self.now()
        with self._store.connection() as db:
            # Insert, or take over an expired row; a live row makes the upsert a no-op.
            cur = db.execute(
                "INSERT INTO webhook_events (event_id, expires_at) VALUES (?, ?) "
                "ON CONFLICT (event_id) DO UPDATE SET expires_at = excluded.expires_at "
                "WHERE webhook_events.expires_at <= ?",
                (event_id, now + ttl_seconds, now),
            )
            return cur.rowcount == 1

    def forget(self, event_id: str) -> None:
        with self._store.connection() as db:
            db.execute("DELETE FROM webhook_events WHERE event_id = ?", (event_id,))
