"""Store throughput: flow CAS saves, session reads (touch), device vault round trips.

Prints operations per second for the SQLite store (a temp file) and, when ``redis-server``
is on PATH, for a private Redis started here. Figures, not assertions.

    .venv/bin/python tests/benchmarks/store_ops.py [N]
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import redis
from cryptography.fernet import Fernet

from bff.cognito.types import RememberedDevice
from bff.errors import Conflict
from bff.store import Store, open_store
from statemachine.flow import Flow


def rate(label: str, n: int, op: Callable[[int], object]) -> None:
    start = time.perf_counter()
    for i in range(n):
        op(i)
    elapsed = time.perf_counter() - start
    print(f"  {label:<34} {n / elapsed:>10,.0f} ops/s  ({elapsed * 1e6 / n:,.0f} us/op)")


def contended(store: Store, threads: int, rounds: int) -> None:
    """``threads`` writers race on one flow for ``rounds`` versions: wins must equal rounds."""
    flow = Flow()
    store.flows.create(flow, 180)
    wins = 0
    lock = threading.Lock()
    start = time.perf_counter()
    for _ in range(rounds):
        copies = [store.flows.load(flow.id) for _ in range(threads)]
        barrier = threading.Barrier(threads)

        def race(copy: Flow, barrier: threading.Barrier) -> None:
            nonlocal wins
            barrier.wait()
            try:
                store.flows.save(copy, 180)
            except Conflict:
                return
            with lock:
                wins += 1

        workers = [threading.Thread(target=race, args=(c, barrier)) for c in copies]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    elapsed = time.perf_counter() - start
    print(
        f"  contended CAS: {threads} threads x {rounds} rounds -> {wins} wins "
        f"(expected {rounds}), {elapsed * 1000 / rounds:.1f} ms/round"
    )


def bench(store: Store, n: int) -> None:
    flows = [Flow(username=f"u{i}@example.com") for i in range(n)]
    rate("flow create", n, lambda i: store.flows.create(flows[i], 180))
    rate("flow load", n, lambda i: store.flows.load(flows[i].id))
    rate("flow save (CAS, uncontended)", n, lambda i: store.flows.save(flows[i], 180))
    record = {
        "username": "ann",
        "tokens": {"access_token": "a" * 1000, "refresh_token": "r" * 1700},
    }
    sids: list[str] = []
    rate(
        "session create (sealed)",
        n,
        lambda i: sids.append(store.sessions.create(record, 900, 28800)),
    )
    rate("session get (open + touch)", n, lambda i: store.sessions.get(sids[i]))
    rate("session rotate", n, lambda i: store.sessions.rotate(sids[i]))
    device = RememberedDevice("us-east-1_abc", "group", "p" * 40)
    ids: list[str] = []
    rate("device put (sealed)", n, lambda i: ids.append(store.devices.put("ann", device)))
    rate("device get (open)", n, lambda i: store.devices.get(ids[i]))
    rate("webhook first_time", n, lambda i: store.webhook_events.first_time(f"e{i}", 3600))
    contended(store, threads=8, rounds=50)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    key = Fernet.generate_key()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (WAL, file in {tmp}), N={n}")
        store = open_store(f"sqlite:///{tmp}/bench.sqlite3", key=key)
        bench(store, n)
        store.close()
    exe = shutil.which("redis-server")
    if exe is None:
        print("Redis: redis-server not on PATH, skipped")
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        print(f"Redis (loopback, redis-server {port}), N={n}")
        store = open_store(url, key=key)
        bench(store, n)
        store.close()
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
