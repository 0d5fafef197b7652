"""Benchmark: what the reads of one signed-in session cost, and what they leave behind.

Run: .venv/bin/python tests/benchmarks/reads.py [--reads N] [--seconds S]

The real app against an in-process local Cognito, one user signed in with MFA:

1. ``--reads`` GETs of ``/api/account/mfa`` (rate limits off): the stored flow record's
   version and size before and after (each read used to journal an entry: 4,841 reads
   made a 525 KB record and took latency from 10 to 50 ms), and the median latency of the
   first and the last 200 reads;
2. one session reading ``/api/account/mfa`` and ``/api/devices`` as fast as it can for
   ``--seconds``, with the default read budget (``BFF_RATELIMIT_READ``) and with the rate
   limits off: Cognito calls a second (each 200 is one GetUser or ListDevices; a 429 is
   answered before Cognito is called).

Wall time of this process's requests through Flask's test client; figures and ratios from
the same run. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flask import Flask  # noqa: E402

from bff.app import create_app  # noqa: E402
from bff.local_outbox import OutboxReader  # noqa: E402
from local_cognito import LocalCognito  # noqa: E402
from tests.support.totp import fresh_totp  # noqa: E402

PASSWORD = "Bench-Passw0rd!"
CSRF = {"X-CSRF": "1"}


def _signed_in(app: Flask, server: LocalCognito, email: str) -> tuple[Any, str]:
    client = app.test_client()
    outbox = OutboxReader(server.info.endpoint_url)
    client.post("/api/sign-up", json={"email": email, "password": PASSWORD}, headers=CSRF)
    code = outbox.latest_code(email)
    client.post("/api/sign-up/confirm", json={"code": code}, headers=CSRF)
    flow = client.post(
        "/api/sign-in", json={"username": email, "password": PASSWORD}, headers=CSRF
    ).get_json()["flow"]
    totp = fresh_totp(flow["data"]["secret"], set(), server.clock)
    answer = client.post("/api/sign-in/mfa-setup", json={"code": totp}, headers=CSRF)
    flow = answer.get_json()["flow"]
    assert flow["state"] == "AUTHENTICATED", flow
    return client, flow["id"]


def _record(app: Flask, flow_id: str) -> tuple[int, int]:
    flow = app.extensions["bff"]["store"].flows.load(flow_id)
    return flow.version, len(json.dumps(flow.to_dict()))


def journal_growth(app: Flask, server: LocalCognito, reads: int, echo: Any) -> dict[str, float]:
    client, flow_id = _signed_in(app, server, "bench-journal@example.com")
    before = _record(app, flow_id)
    latencies = []
    for _ in range(reads):
        began = time.perf_counter()
        answer = client.get("/api/account/mfa")
        latencies.append(time.perf_counter() - began)
        assert answer.status_code == 200, answer.get_json()
    after = _record(app, flow_id)
    window = min(200, reads // 2)
    first = statistics.median(latencies[:window]) * 1000
    last = statistics.median(latencies[-window:]) * 1000
    echo(
        f"{reads} reads of GET /api/account/mfa: flow record version {before[0]} -> "
        f"{after[0]}, size {before[1]} -> {after[1]} bytes; median latency first "
        f"{window} {first:.2f} ms, last {window} {last:.2f} ms (ratio {last / first:.2f})"
    )
    return {"record_growth_bytes": after[1] - before[1], "latency_ratio": last / first}


def cognito_rate(app: Flask, server: LocalCognito, email: str, seconds: float) -> float:
    client, _ = _signed_in(app, server, email)
    calls = refused = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        for path in ("/api/account/mfa", "/api/devices"):
            status = client.get(path).status_code
            calls += status == 200
            refused += status == 429
    elapsed = time.perf_counter() - began
    return calls / elapsed


def measure(reads: int = 2000, seconds: float = 5.0, echo: Any = print) -> dict[str, float]:
    server = LocalCognito()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-reads-") as folder:
            environment = {**server.info.as_environment(), "BFF_LOG_LEVEL": "WARNING"}
            unlimited = create_app(
                {**environment, "instance_path": folder + "/a", "BFF_RATELIMIT_ENABLED": "false"}
            )
            limited = create_app({**environment, "instance_path": folder + "/b"})
            result = journal_growth(unlimited, server, reads, echo)
            free = cognito_rate(unlimited, server, "bench-free@example.com", seconds)
            budget = cognito_rate(limited, server, "bench-budget@example.com", seconds)
            echo(
                f"one session reading for {seconds:.0f} s: {free:.0f} Cognito calls/s with the "
                f"rate limits off, {budget:.1f} with the default read budget "
                f"(ratio {free / budget:.0f}x)"
            )
            result.update(unlimited_calls_per_s=free, budget_calls_per_s=budget)
            for app in (unlimited, limited):
                app.extensions["bff"]["store"].close()
            return result
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args()
    measure(options.reads, options.seconds)
