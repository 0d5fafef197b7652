"""Benchmark: a GET proxied by the BFF's token relay against the same GET sent directly.

Run: .venv/bin/python tests/benchmarks/relay.py [--requests N] [--seconds S]

Set-up, all on loopback: a local Cognito in its own process (`bff local-cognito`), the
example notes API (examples/notes_api, verifying every access token with the pool's JWKS)
under gunicorn (gthread: keep-alive, which werkzeug's development server never keeps),
and the BFF under gunicorn with the shipped config and **one worker** routing
`/api/remote/notes/` to the notes API. A user signs in through the BFF.

* latency: `GET /api/remote/notes/notes` through the BFF (cookie + X-CSRF) and `GET /notes`
  straight to the notes API with the same session's access token, one request at a time
  over one keep-alive connection each, in alternating blocks so both see the same machine.
  The added latency is proxied minus direct, at the median and at p99.
* CPU: the seconds the BFF's processes (gunicorn's master and worker) spent per proxied GET
  and the notes API's per direct GET, from /proc: steadier than wall times on a busy host.
* throughput: proxied GETs/s of the one gunicorn worker, with 8 clients each on its own
  keep-alive connection, for ``--seconds``.

Goals: <= 1 ms added at the median, >= 500 proxied requests/s per worker process.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from journey import PASSWORD, Browser  # noqa: E402

from bff.cognito.totp import current_code  # noqa: E402
from bff.local_outbox import OutboxReader  # noqa: E402
from bff.store import open_store  # noqa: E402
from tests.support.production import (  # noqa: E402
    BIN,
    bff_environment,
    cpu_seconds,
    free_port,
    gunicorn,
    local_cognito_process,
    wait_until_up,
)

GOAL_ADDED_MS = 1.0
GOAL_RPS = 500.0
CLIENTS = 8
BLOCK = 50


def _notes_api(issuer: str, client_id: str, workdir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """The notes API under gunicorn (one gthread worker): its URL and process."""
    port = free_port()
    log = workdir / "notes-api.log"
    factory = f"examples.notes_api:create_app({issuer!r}, {client_id!r})"
    command = [str(BIN / "gunicorn"), "-k", "gthread", "--threads", "8", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--keep-alive", "30", factory]
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/healthz", process, log, 30)
    return url, process


def _remote_apis(url: str) -> str:
    entry = {"name": "notes", "upstream": url, "methods": ["GET", "POST"], "paths": ["/notes"]}
    return json.dumps([entry])


def _connection(url: str) -> http.client.HTTPConnection:
    host, port = url.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=30)


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> float:
    began = time.perf_counter()
    conn.request("GET", path, headers=headers)
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        raise RuntimeError(f"GET {path}: {answer.status}")
    return time.perf_counter() - began


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def _sign_in(base: str, outbox: OutboxReader) -> dict[str, str]:
    """A user signed in through the BFF; its cookies."""
    email = f"bench-relay-{os.getpid()}@example.com"
    spa = Browser(base)
    try:
        spa.post("/api/sign-up", {"email": email, "password": PASSWORD})
        spa.post("/api/sign-up/confirm", {"code": outbox.latest_code(email)})
        flow = spa.post("/api/sign-in", {"username": email, "password": PASSWORD})["flow"]
        flow = spa.post("/api/sign-in/mfa-setup", {"code": current_code(flow["data"]["secret"])})
        assert flow["flow"]["state"] == "AUTHENTICATED", flow
        spa.post("/api/sign-in/remember-device", {"remember": False})
        cookie = "; ".join(f"{k}={v}" for k, v in spa.cookies.items())
        headers = {"X-CSRF": "1", "Cookie": cookie, "Content-Type": "application/json"}
        spa.connection.request("POST", "/api/remote/notes/notes", '{"text": "a note"}', headers)
        answer = spa.connection.getresponse()
        answer.read()
        assert answer.status == 201, answer.status
        return dict(spa.cookies)
    finally:
        spa.close()


def _access_token(env: dict[str, str], workdir: Path, sid: str) -> str:
    """The session's access token, read from the BFF's store (as the BFF itself reads it)."""
    url = "sqlite:///" + str(workdir / "instance" / "bff.sqlite3")
    store = open_store(url, key=env["BFF_DEVICE_ENCRYPTION_KEY"])
    try:
        record = store.sessions.get(sid)
        assert record is not None, "the benchmark's session is not in the store"
        return str(record["tokens"]["access_token"])
    finally:
        store.close()


def _latency(
    bff: str, direct: str, cookie: str, token: str, requests: int, pids: tuple[int, int]
) -> tuple[list[float], list[float], float, float]:
    """Per-request wall times through the BFF and direct, and the CPU seconds the BFF's
    processes and the notes API's spent per request on each path (from /proc)."""
    proxied_conn, direct_conn = _connection(bff), _connection(direct)
    proxied_headers = {"X-CSRF": "1", "Cookie": cookie}
    direct_headers = {"Authorization": f"Bearer {token}"}
    proxied: list[float] = []
    straight: list[float] = []
    for _ in range(20):  # warm both connections and the JWKS cache
        _get(proxied_conn, "/api/remote/notes/notes", proxied_headers)
        _get(direct_conn, "/notes", direct_headers)
    bff_pid, notes_pid = pids
    bff_cpu = notes_cpu = 0.0
    while len(proxied) < requests:
        began = cpu_seconds(bff_pid)
        proxied += [
            _get(proxied_conn, "/api/remote/notes/notes", proxied_headers) for _ in range(BLOCK)
        ]
        bff_cpu += cpu_seconds(bff_pid) - began
        began = cpu_seconds(notes_pid)
        straight += [_get(direct_conn, "/notes", direct_headers) for _ in range(BLOCK)]
        notes_cpu += cpu_seconds(notes_pid) - began
    proxied_conn.close()
    direct_conn.close()
    return proxied, straight, bff_cpu / len(proxied), notes_cpu / len(straight)


def _throughput(bff: str, cookie: str, seconds: float) -> float:
    headers = {"X-CSRF": "1", "Cookie": cookie}
    counts = [0] * CLIENTS
    errors: list[BaseException] = []
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = _connection(bff)
        try:
            while time.monotonic() < stop:
                _get(conn, "/api/remote/notes/notes", headers)
                counts[index] += 1
        except BaseException as exc:  # reported below, after the other clients finish
            errors.append(exc)
        finally:
            conn.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts) / (time.monotonic() - began)


def measure(requests: int = 1000, seconds: float = 10.0, echo: Any = print) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        with local_cognito_process(workdir) as cognito:
            issuer = f"{cognito.endpoint_url}/{cognito.user_pool_id}"
            notes_url, notes = _notes_api(issuer, cognito.client_id, workdir)
            try:
                env = bff_environment(
                    cognito,
                    workdir,
                    BFF_REMOTE_APIS=_remote_apis(notes_url),
                    BFF_RATELIMIT_ENABLED="false",
                    BFF_LOG_LEVEL="WARNING",
                )
                with gunicorn(env, workdir, "relay", "--workers", "1") as bff:
                    cookies = _sign_in(bff.base_url, OutboxReader(cognito.endpoint_url))
                    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
                    token = _access_token(env, workdir, cookies["bff_session"])
                    pids = (bff.process.pid, notes.pid)
                    proxied, direct, bff_cpu, notes_cpu = _latency(
                        bff.base_url, notes_url, cookie, token, requests, pids
                    )
                    rps = _throughput(bff.base_url, cookie, seconds)
            finally:
                notes.terminate()
                notes.wait(timeout=10)
    figures = {
        "proxied_median_ms": statistics.median(proxied) * 1000,
        "direct_median_ms": statistics.median(direct) * 1000,
        "proxied_p99_ms": _p99(proxied) * 1000,
        "direct_p99_ms": _p99(direct) * 1000,
        "rps": rps,
        "bff_cpu_ms": bff_cpu * 1000,
        "notes_cpu_ms": notes_cpu * 1000,
    }
    figures["added_median_ms"] = figures["proxied_median_ms"] - figures["direct_median_ms"]
    figures["added_p99_ms"] = figures["proxied_p99_ms"] - figures["direct_p99_ms"]
    echo(
        f"GET through the relay: median {figures['proxied_median_ms']:.2f} ms, "
        f"p99 {figures['proxied_p99_ms']:.2f} ms ({len(proxied)} requests)"
    )
    echo(
        f"GET direct with the token: median {figures['direct_median_ms']:.2f} ms, "
        f"p99 {figures['direct_p99_ms']:.2f} ms ({len(direct)} requests)"
    )
    echo(
        f"added by the BFF: median {figures['added_median_ms']:.2f} ms "
        f"(goal <= {GOAL_ADDED_MS:g} ms), p99 {figures['added_p99_ms']:.2f} ms"
    )
    echo(
        f"CPU per request: the BFF's own {figures['bff_cpu_ms']:.2f} ms per proxied GET, "
        f"the notes API's {figures['notes_cpu_ms']:.2f} ms per GET"
    )
    echo(
        f"proxied GETs/s, one gunicorn worker, {CLIENTS} keep-alive clients: {rps:.0f} "
        f"(goal >= {GOAL_RPS:g})"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per path, for latency")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput run length")
    arguments = parser.parse_args()
    measure(arguments.requests, arguments.seconds)


if __name__ == "__main__":
    main()
