"""The SQLite store's sessions: one row each (its data sealed), a per-user index, idle and
absolute timeouts decided on every read (bff.store.sqlite_store holds the connection pool)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from .base import SessionStore, new_session_id, user_keys

if TYPE_CHECKING:
    from .sqlite_store import SqliteStore

_SESSION_COLUMNS = "data, created_at, last_seen_at, idle_seconds, absolute_seconds"


def touch_interval(idle_seconds: float) -> float:
    """How stale a session's last_seen_at may get before a read writes it again: a twentieth
    of the idle timeout, at most a minute. A session then times out at most that much early
    (45 s of a 15-minute idle timeout), never late."""
    return min(60.0, idle_seconds / 20)


class SqliteSessionStore(SessionStore):
    _store: SqliteStore

    def create(
        self,
        record: dict[str, Any],
        idle_seconds: float,
        absolute_seconds: float,
        *,
        replacing: str | None = None,
    ) -> str:
        now = self.now()
        sid = new_session_id()
        blob = self.cipher.seal(self._payload(record))
        row = (
            self.cipher.hashed_id(sid),
            blob,
            now,
            now,
            idle_seconds,
            absolute_seconds,
            now + self._remaining(now, now, idle_seconds, absolute_seconds),
        )
        with self._store.transaction() as db:  # one commit: the session and its index entries
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            if replacing:
                db.execute(
                    "DELETE FROM sessions WHERE sid = ?", (self.cipher.hashed_id(replacing),)
                )
            db.execute(
                "INSERT INTO sessions (sid, data, created_at, last_seen_at, idle_seconds, "
                "absolute_seconds, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            self._index(db, row[0], record)
        return sid

    @staticmethod
    def _index(db: sqlite3.Connection, hashed_sid: str, record: dict[str, Any]) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO session_users (user_key, sid) VALUES (?, ?)",
            [(key, hashed_sid) for key in user_keys(record)],
        )

    def _indexed(self, user_key: str) -> list[str]:
        with self._store.connection() as db:
            db.execute("DELETE FROM session_users WHERE sid NOT IN (SELECT sid FROM sessions)")
            rows = db.execute("SELECT sid FROM session_users WHERE user_key = ?", (user_key,))
            return [row[0] for row in rows.fetchall()]

    def _live_row(self, db: sqlite3.Connection, hashed_sid: str) -> tuple[Any, ...] | None:
        """The live row of a session (a timed-out one is deleted on the way)."""
        row = db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE sid = ?", (hashed_sid,)
        ).fetchone()
        if row is None:
            return None
        if self._expired(row[1], row[2], row[3], row[4]):
            db.execute("DELETE FROM sessions WHERE sid = ?", (hashed_sid,))
            return None
        return tuple(row)

    def _touch(
        self, db: sqlite3.Connection, hashed_sid: str, row: tuple[Any, ...], new_hashed: str
    ) -> bool:
        """Stamp last_seen_at (and move the row to ``new_hashed``); False when the session
        went away since it was read."""
        now = self.now()
        expires_at = now + self._remaining(row[1], now, row[3], row[4])
        cur = db.execute(
            "UPDATE sessions SET sid = ?, last_seen_at = ?, expires_at = ? "
            "WHERE sid = ? AND expires_at > ?",
            (new_hashed, now, expires_at, hashed_sid, now),
        )
        return cur.rowcount == 1

    def get(self, sid: str) -> dict[str, Any] | None:
        if not sid:
            return None
        hashed = self.cipher.hashed_id(sid)
        # No explicit transaction: the read takes no lock. The touch is one statement whose
        # row count says whether the session is still there (a sign-out or rotation in
        # between makes this request see no session, as if it had come a moment later), and
        # it is skipped when the last one is recent (touch_interval): a browser's burst of
        # requests then costs one write, not one each.
        with self._store.connection() as db:
            row = self._live_row(db, hashed)
            if row is None:
                return None
            if self.now() - row[2] >= touch_interval(row[3]) and not self._touch(
                db, hashed, row, hashed
            ):
                return None
        record = dict(self.cipher.open(row[0]))
        record.update(sid=sid, created_at=row[1], last_seen_at=self.now())
        return record

    def update(self, sid: str, record: dict[str, Any]) -> bool:
        blob = self.cipher.seal(self._payload(record))
        hashed = self.cipher.hashed_id(sid)
        with self._store.transaction() as db:
            cur = db.execute(
                "UPDATE sessions SET data = ? WHERE sid = ? AND expires_at > ?",
                (blob, hashed, self.now()),
            )
            if cur.rowcount != 1:
                return False
            self._index(db, hashed, record)
        return True

    def rotate(self, sid: str, record: dict[str, Any] | None = None) -> str | None:
        new_sid = new_session_id()
        hashed, new_hashed = self.cipher.hashed_id(sid), self.cipher.hashed_id(new_sid)
        blob = self.cipher.seal(self._payload(record)) if record is not None else None
        with self._store.transaction() as db:
            row = self._live_row(db, hashed)
            if row is None:
                return None
            self._touch(db, hashed, row, new_hashed)
            db.execute("UPDATE session_users SET sid = ? WHERE sid = ?", (new_hashed, hashed))
            if record is not None:
                db.execute("UPDATE sessions SET data = ? WHERE sid = ?", (blob, new_hashed))
                self._index(db, new_hashed, record)
        return new_sid

    def delete(self, sid: str) -> None:
        self._delete_hashed(self.cipher.hashed_id(sid))

    def _delete_hashed(self, hashed_sid: str) -> None:
        with self._store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE sid = ?", (hashed_sid,))
            db.execute("DELETE FROM session_users WHERE sid = ?", (hashed_sid,))

    def _peek(self, hashed_sid: str) -> dict[str, Any] | None:
        with self._store.connection() as db:
            row = db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE sid = ?", (hashed_sid,)
            ).fetchone()
        if row is None or self._expired(row[1], row[2], row[3], row[4]):
            return None
        return dict(self.cipher.open(row[0]))
