"""Benchmark: the shipped worker (BffThreadWorker) against gunicorn's own gthread, with and
without slow clients.

Run: .venv/bin/python tests/benchmarks/slow_clients.py [--slow 64] [--seconds 8]

Both run the shipped configuration (bff.gunicorn_conf: 2 workers of 4 threads, Redis store,
a local Cognito in its own process); the second with ``--worker-class gthread``. For each:

* requests/s of a client sending 16 KB JSON bodies on one kept-alive connection (the
  event loop reads each request before a thread parses it: what that costs), and of
  ``GET /healthz``: both instances run at once and are measured in turn, five rounds,
  the median of each (the shared machine's load moves during a run);
* ``GET /healthz`` probes (one at a time, each given up after 5 s) while ``--slow``
  connections trickle their headers (half) or bodies (half) a byte every 0.5 s: how many
  were answered, and their latency.

Prints figures and the ratios of the two workers, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.production import (  # noqa: E402
    Instance,
    bff_environment,
    gunicorn,
    local_cognito_process,
    redis_server,
)

PROBE_TIMEOUT = 5.0
TRICKLE = 0.5
BODY = json.dumps({"username": "u" * 16000, "password": "p"}).encode()


def _rate(address: tuple[str, int], method: str, path: str, body: bytes, seconds: float) -> float:
    connection = http.client.HTTPConnection(*address, timeout=10)
    headers = {"Content-Type": "application/json", "X-CSRF": "1"} if body else {}
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        connection.request(method, path, body=body or None, headers=headers)
        connection.getresponse().read()
        done += 1
    connection.close()
    return done / seconds


def _trickle(address: tuple[str, int], count: int, stop: threading.Event) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: b\r\nX-Slow: " + b"a" * 100000
    body_head = (
        b"POST /api/sign-in HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
        b"X-CSRF: 1\r\nContent-Length: 100000\r\n\r\n"
    )
    with selectors.DefaultSelector() as selector:
        sockets: list[socket.socket] = []

        def open_one(number: int) -> None:
            sock = socket.create_connection(address)
            if number % 2:
                sock.sendall(body_head)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
            sockets.append(sock)

        for number in range(count):
            open_one(number)
        while not stop.is_set():
            for key, _ in selector.select(timeout=TRICKLE):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:  # cut off by the server: a new slow client takes its place
                    selector.unregister(sock)
                    sockets.remove(sock)
                    sock.close()
                    open_one(len(sockets))
            for sock in list(sockets):
                try:
                    sock.send(head[:1])
                except OSError:
                    pass
        for sock in sockets:
            sock.close()


def _probes(address: tuple[str, int], seconds: float) -> tuple[int, int, list[float]]:
    sent = answered = 0
    latencies = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sent += 1
        began = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(*address, timeout=PROBE_TIMEOUT)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                answered += 1
                latencies.append(time.perf_counter() - began)
            connection.close()
        except OSError:
            pass
    return sent, answered, latencies


def _address(instance: Instance) -> tuple[str, int]:
    host, port = instance.base_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def rates(
    instances: dict[str, Instance], seconds: float, rounds: int
) -> dict[str, dict[str, float]]:
    """Requests/s of each instance, the median of ``rounds`` rounds taken in turn (the
    machine's load moves; both see the same)."""
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in instances}
    for _ in range(rounds):
        for name, instance in instances.items():
            address = _address(instance)
            for key, method, path, body in (
                ("body_rps", "POST", "/api/sign-in", BODY),
                ("healthz_rps", "GET", "/healthz", b""),
            ):
                rate = _rate(address, method, path, body, seconds / rounds / 2)
                samples[name].setdefault(key, []).append(rate)
    return {
        name: {key: statistics.median(values) for key, values in by_key.items()}
        for name, by_key in samples.items()
    }


def under_slow_clients(instance: Instance, slow: int, seconds: float) -> dict[str, float]:
    address = _address(instance)
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(address, slow, stop), daemon=True)
    trickler.start()
    try:
        sent, answered, latencies = _probes(address, seconds)
    finally:
        stop.set()
        trickler.join(timeout=30)
    return {
        "probes_sent": sent,
        "probes_answered": answered,
        "probe_p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "probe_max_ms": max(latencies) * 1000 if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        with local_cognito_process(workdir) as cognito, redis_server() as redis_url:
            env = bff_environment(
                cognito,
                workdir,
                BFF_STORE_URL=redis_url,
                BFF_RATELIMIT_ENABLED="false",
                BFF_LOG_LEVEL="WARNING",
            )
            with (
                gunicorn(env, workdir, "bff-worker") as bff_worker,
                gunicorn(env, workdir, "gthread", "--worker-class", "gthread") as gthread,
            ):
                instances = {"ours": bff_worker, "theirs": gthread}
                figures = rates(instances, options.seconds, rounds=5)
                for name, instance in instances.items():
                    slow = under_slow_clients(instance, options.slow, options.seconds)
                    figures[name].update(slow)
            ours, theirs = figures["ours"], figures["theirs"]
    print(
        f"slow clients: {options.slow}, a byte every {TRICKLE} s; probes time out at "
        f"{PROBE_TIMEOUT} s"
    )
    print(f"{'':22} {'BffThreadWorker':>16} {'gthread':>12} {'ratio':>8}")
    for key in ours:
        ratio = ours[key] / theirs[key] if theirs[key] else float("inf")
        print(f"{key:22} {ours[key]:16.1f} {theirs[key]:12.1f} {ratio:8.2f}")


if __name__ == "__main__":
    main()
