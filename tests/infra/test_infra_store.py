"""The store, on SQLite and on a real redis-server: CAS, timeouts, encryption at rest."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bff.cognito.types import RememberedDevice
from bff.config import ConfigError
from bff.errors import Conflict
from bff.store import StoreError, open_store
from bff.store.sqlite_store import MAX_IDLE_CONNECTIONS
from statemachine.flow import Flow
from tests.support.redis_topologies import redis_keys

DEVICE_PASSWORD = "Dev1cePassw0rdThatMustNeverBeStoredInPlaintext"
REFRESH_TOKEN = "refresh-token-eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0-plaintext-marker"


def raw_dump(store: Any) -> bytes:
    """Every byte the backend holds: all SQLite rows, or every Redis value (on every node)."""
    if store.url.startswith("sqlite"):
        db = sqlite3.connect(store.path)
        parts: list[bytes] = []
        for table in ("flows", "sessions", "devices", "webhook_events"):
            for row in db.execute(f"SELECT * FROM {table}"):
                parts.extend(str(v).encode() if not isinstance(v, bytes) else v for v in row)
        db.close()
        return b"\n".join(parts)
    client = store.redis
    parts = []
    for key in redis_keys(client):
        kind = client.type(key)
        if kind == b"hash":
            parts.extend(v for pair in client.hgetall(key).items() for v in pair)
        elif kind == b"string":
            parts.append(client.get(key))
        elif kind == b"set":
            parts.extend(client.smembers(key))
        parts.append(key)
    return b"\n".join(parts)


def test_flow_round_trip_and_version(store: Any) -> None:
    flow = Flow(username="ann@example.com")
    store.flows.create(flow, 180)
    loaded = store.flows.load(flow.id)
    assert loaded is not None and loaded.username == "ann@example.com" and loaded.version == 0
    store.flows.save(loaded, 180)
    assert loaded.version == 1
    again = store.flows.load(flow.id)
    assert again is not None and again.version == 1
    with pytest.raises(Conflict):
        store.flows.save(flow, 180)  # still at version 0: stale
    store.flows.delete(flow.id)
    assert store.flows.load(flow.id) is None
    assert store.flows.load("no-such-flow") is None


def test_flow_create_refuses_a_live_id(store: Any) -> None:
    flow = Flow()
    store.flows.create(flow, 180)
    with pytest.raises(Conflict):
        store.flows.create(Flow(id=flow.id), 180)


def test_concurrent_saves_of_one_version_advance_the_flow_once(store: Any) -> None:
    flow = Flow(username="race@example.com")
    store.flows.create(flow, 180)
    n = 16
    copies = [store.flows.load(flow.id) for _ in range(n)]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(copy: Flow) -> None:
        barrier.wait()
        try:
            store.flows.save(copy, 180)
            result = "won"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(c,)) for c in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * (n - 1) + ["won"]
    final = store.flows.load(flow.id)
    assert final is not None and final.version == 1


def test_flow_expires_with_the_clock(store: Any, clock: Any) -> None:
    flow = Flow()
    store.flows.create(flow, 180)
    clock.advance(179)
    live = store.flows.load(flow.id)
    assert live is not None
    clock.advance(2)
    assert store.flows.load(flow.id) is None
    with pytest.raises(Conflict):
        store.flows.save(live, 180)  # an expired flow cannot be advanced
    store.flows.create(Flow(id=flow.id), 180)  # and its id may be reused


def test_flow_save_extends_ttl(store: Any, clock: Any) -> None:
    flow = Flow()
    store.flows.create(flow, 180)
    clock.advance(170)
    store.flows.save(flow, 180)
    clock.advance(170)
    assert store.flows.load(flow.id) is not None


def test_flow_loaded_uses_store_clock_for_journal(store: Any, clock: Any) -> None:
    flow = Flow()
    store.flows.create(flow, 180)
    loaded = store.flows.load(flow.id)
    clock.advance(1000)
    loaded.fire(loaded.allowed_triggers[0])
    assert abs(loaded.journal[-1].at.timestamp() - clock.now) < 0.01


def test_session_lifecycle(store: Any) -> None:
    sid = store.sessions.create({"username": "ann", "tokens": {"a": "b"}}, 900, 28800)
    record = store.sessions.get(sid)
    assert record["username"] == "ann" and record["tokens"] == {"a": "b"} and record["sid"] == sid
    assert store.sessions.update(sid, {"username": "ann", "tokens": None, "sid": "ignored"})
    assert store.sessions.get(sid)["tokens"] is None
    new = store.sessions.rotate(sid)
    assert new and new != sid
    assert store.sessions.get(sid) is None, "the old id must die on rotation"
    assert store.sessions.get(new)["username"] == "ann"
    store.sessions.delete(new)
    assert store.sessions.get(new) is None
    assert store.sessions.rotate(new) is None
    assert not store.sessions.update(new, {"x": 1}), "an update must not resurrect a session"
    assert store.sessions.get(new) is None


def test_a_rotation_can_carry_the_new_record_in_the_same_write(store: Any) -> None:
    sid = store.sessions.create({"username": "ann", "step_data": {"n": 1}}, 900, 28800)
    new = store.sessions.rotate(sid, {"username": "ann", "step_data": {"n": 2}})
    assert new and store.sessions.get(sid) is None
    assert store.sessions.get(new)["step_data"] == {"n": 2}
    assert store.sessions.end_user_sessions("ann") == 1, "the index follows the new id"


def test_a_new_session_replaces_the_browsers_previous_one_in_the_same_write(store: Any) -> None:
    old = store.sessions.create({"username": "ann"}, 900, 28800)
    new = store.sessions.create({"username": "bob"}, 900, 28800, replacing=old)
    assert store.sessions.get(old) is None
    assert store.sessions.get(new)["username"] == "bob"


def test_session_idle_timeout(store: Any, clock: Any) -> None:
    sid = store.sessions.create({"username": "ann"}, 900, 28800)
    clock.advance(899)
    assert store.sessions.get(sid) is not None  # touched: idle restarts
    clock.advance(899)
    assert store.sessions.get(sid) is not None
    clock.advance(901)
    assert store.sessions.get(sid) is None
    clock.advance(-901)
    assert store.sessions.get(sid) is None, "an idle-expired session is deleted, not hidden"


def test_sqlite_session_reads_write_last_seen_at_only_when_stale(
    tmp_path: Any, fernet_key: str, clock: Any
) -> None:
    """A burst of reads is one write: last_seen_at is rewritten once it is a twentieth of the
    idle timeout old (45 s of 900 s), and the idle timeout still counts from it."""
    store = open_store(f"sqlite:///{tmp_path}/touch.sqlite3", key=fernet_key, clock=clock)

    def last_seen() -> float:
        with store.connection() as db:
            return float(db.execute("SELECT last_seen_at FROM sessions").fetchone()[0])

    try:
        sid = store.sessions.create({"username": "ann"}, 900, 28800)
        created = last_seen()
        for _ in range(4):
            clock.advance(10)
            assert store.sessions.get(sid) is not None
        assert last_seen() == created  # 40 s: no write yet
        clock.advance(10)
        assert store.sessions.get(sid) is not None
        assert last_seen() == created + 50  # stale: written
        clock.advance(899)
        assert store.sessions.get(sid) is not None  # idle counted from the write
        clock.advance(900)
        assert store.sessions.get(sid) is None
    finally:
        store.close()


def test_session_absolute_timeout_even_when_active(store: Any, clock: Any) -> None:
    sid = store.sessions.create({"username": "ann"}, 900, 3600)
    for _ in range(7):
        clock.advance(500)
        sid = store.sessions.rotate(sid) or "gone"  # rotation must not extend the lifetime
        assert store.sessions.get(sid) is not None
    clock.advance(500)  # 4000 s since creation
    assert store.sessions.get(sid) is None


def test_a_users_sessions_are_found_and_ended_by_name(store: Any, clock: Any) -> None:
    """By the typed username or Cognito's, in any case; a rotated session under its new id;
    deleted, timed-out and renamed ones not at all. The index keeps no session id in the
    clear (like the sessions)."""
    typed = store.sessions.create({"username": "Ada@Example.com"}, 900, 3600)
    internal = store.sessions.create(
        {"username": "x", "cognito_username": "ada@example.com"}, 900, 3600
    )
    other = store.sessions.create({"username": "bob@example.com"}, 900, 3600)
    assert store.sessions.count_user_sessions("ADA@example.com") == 2
    rotated = store.sessions.rotate(typed)
    assert store.sessions.count_user_sessions("ada@example.com") == 2
    store.sessions.delete(internal)
    assert store.sessions.count_user_sessions("ada@example.com") == 1
    assert store.sessions.update(rotated, {"username": "bob@example.com"})
    assert store.sessions.count_user_sessions("ada@example.com") == 0
    assert store.sessions.end_user_sessions("bob@example.com", keep=other) == 1
    assert store.sessions.get(rotated) is None and store.sessions.get(other) is not None
    later = store.sessions.create({"username": "bob@example.com"}, 900, 3600)
    clock.advance(901)
    assert store.sessions.end_user_sessions("bob@example.com") == 0
    assert store.sessions.get(later) is None


def test_session_ids_are_distinct_and_long(store: Any) -> None:
    ids = {store.sessions.create({}, 900, 28800) for _ in range(1000)}
    assert len(ids) == 1000
    # token_urlsafe(32): 43 base64url characters = 258 bits >= 128
    assert all(len(sid) >= 43 for sid in ids)
    assert all(
        set(sid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for sid in ids
    )


def test_device_vault_encrypted_at_rest(store: Any) -> None:
    device = RememberedDevice("us-east-1_dev-key", "group-key", DEVICE_PASSWORD)
    device_id = store.devices.put("ann@example.com", device)
    assert len(device_id) >= 43
    assert store.devices.get(device_id) == ("ann@example.com", device)
    raw = raw_dump(store)
    # The store keys the cookie's value by its keyed hash: the value itself is nowhere.
    assert store.cipher.hashed_id(device_id).encode() in raw  # the right data
    assert device_id.encode() not in raw
    assert DEVICE_PASSWORD.encode() not in raw
    store.devices.delete(device_id)
    assert store.devices.get(device_id) is None
    assert store.devices.get("") is None


def test_session_tokens_encrypted_at_rest(store: Any) -> None:
    sid = store.sessions.create({"tokens": {"refresh_token": REFRESH_TOKEN}}, 900, 28800)
    raw = raw_dump(store)
    assert REFRESH_TOKEN.encode() not in raw
    # Sessions are keyed by the cookie value's keyed hash, never the value (a usable cookie).
    assert sid.encode() not in raw
    assert store.cipher.hashed_id(sid).encode() in raw
    assert store.sessions.get(sid)["tokens"]["refresh_token"] == REFRESH_TOKEN
    rotated = store.sessions.rotate(sid)
    assert rotated is not None and rotated.encode() not in raw_dump(store)


def test_wrong_key_cannot_read_secrets(store_url: str, store: Any) -> None:
    device_id = store.devices.put("ann", RememberedDevice("k", "g", DEVICE_PASSWORD))
    other = open_store(store_url, key=Fernet.generate_key())
    try:
        # Another key neither finds the entry (ids are keyed hashes) nor could open it.
        assert other.devices.get(device_id) is None
    finally:
        other.close()


def test_event_ledger_first_time(store: Any, clock: Any) -> None:
    assert store.webhook_events.first_time("evt-1", 3600)
    assert not store.webhook_events.first_time("evt-1", 3600)
    assert store.webhook_events.first_time("evt-2", 3600)
    clock.advance(3601)
    assert store.webhook_events.first_time("evt-1", 3600)


def test_event_ledger_atomic_under_threads(store: Any) -> None:
    n = 16
    barrier = threading.Barrier(n)
    results: list[bool] = []

    def claim() -> None:
        barrier.wait()
        results.append(store.webhook_events.first_time("evt-race", 60))

    threads = [threading.Thread(target=claim) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


def test_store_ping(store: Any) -> None:
    assert store.ping()


def test_sqlite_survives_reopening(tmp_path: Any, fernet_key: str) -> None:
    url = f"sqlite:///{tmp_path}/instance/bff.sqlite3"
    first = open_store(url, key=fernet_key)
    flow = Flow(username="ann")
    first.flows.create(flow, 180)
    first.flows.save(flow, 180)
    sid = first.sessions.create({"username": "ann"}, 900, 28800)
    device = RememberedDevice("k", "g", DEVICE_PASSWORD)
    device_id = first.devices.put("ann", device)
    first.webhook_events.first_time("evt", 3600)
    first.close()

    second = open_store(url, key=fernet_key)
    try:
        reloaded = second.flows.load(flow.id)
        assert reloaded is not None and reloaded.version == 1 and reloaded.username == "ann"
        assert second.sessions.get(sid)["username"] == "ann"
        assert second.devices.get(device_id) == ("ann", device)
        assert not second.webhook_events.first_time("evt", 3600)
        with second.connection() as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        second.close()


def _open_connections_to(path: str) -> int:
    """How many SQLite connections of this process are open on ``path``: each holds the
    database's -wal file open once. (The database file itself is a poor measure: SQLite
    keeps a closed connection's descriptor while other connections hold locks, and reuses
    it at the next open.)"""
    names = {os.path.realpath(path) + "-wal"}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                count += 1
        except OSError:
            continue
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc (Linux)")
def test_sqlite_connections_stay_bounded_with_a_thread_per_request(tmp_path: Any) -> None:
    """werkzeug's server runs each connection in a new thread: the store must not open (and
    keep) a database connection per thread, or a long-running `bff serve` runs out of file
    descriptors (it held two more after every request)."""
    url = f"sqlite:///{tmp_path}/threads.sqlite3"
    store = open_store(url, key=Fernet.generate_key())
    try:
        sid = store.sessions.create({"username": "ann"}, 600, 3600)

        def request() -> None:
            assert store.sessions.get(sid) is not None
            store.flows.create(Flow(), 180)

        for _ in range(60):
            thread = threading.Thread(target=request)
            thread.start()
            thread.join()
        assert _open_connections_to(store.path) <= MAX_IDLE_CONNECTIONS
        # Threads at once get their own connections; the pool keeps at most its bound.
        barrier = threading.Barrier(12)

        def together() -> None:
            barrier.wait()
            request()

        threads = [threading.Thread(target=together) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _open_connections_to(store.path) <= MAX_IDLE_CONNECTIONS
    finally:
        store.close()
    assert _open_connections_to(store.path) == 0


def _save_in_process(url: str, flow_id: str, barrier: Any, results: Any) -> None:
    store = open_store(url, key=Fernet.generate_key())
    flow = store.flows.load(flow_id)
    barrier.wait()
    try:
        store.flows.save(flow, 180)
        results.put("won")
    except Conflict:
        results.put("conflict")
    store.close()


@pytest.mark.slow
def test_sqlite_cas_across_processes(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    store = open_store(url, key=Fernet.generate_key())
    flow = Flow()
    store.flows.create(flow, 180)
    ctx = multiprocessing.get_context("spawn")
    n = 4
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_save_in_process, args=(url, flow.id, barrier, results))
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=60) for _ in range(n))
    for p in procs:
        p.join(timeout=30)
    assert outcomes == ["conflict"] * (n - 1) + ["won"]
    assert store.flows.load(flow.id).version == 1
    store.close()


def test_open_store_rejects_unknown_urls(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="not supported"):
        open_store("postgres://user:hunter2@db/bff")
    try:
        open_store("postgres://user:hunter2@db/bff")
    except ConfigError as exc:
        assert "hunter2" not in str(exc)
    with pytest.raises(StoreError):
        open_store("sqlite:///:memory:")
