"""Benchmark: what one BFF step costs beyond Flask itself.

Run: .venv/bin/python tests/benchmarks/step_overhead.py [--requests N]

A sign-in step (POST /api/sign-in → SOFTWARE_TOKEN_MFA) on the real app, with a gateway
that answers at once (no Cognito, no network), against a bare Flask app whose one view
reads a JSON body and answers JSON, both through Flask's test client in this process. The
step's extra work: the CSRF and JSON guards, two rate limits (memory://), validation, a new
flow and a new session written to SQLite (the session sealed with Fernet), the journal,
request id, metrics, security headers and cookies. CPU time of this process
(time.process_time); the two alternate in blocks; medians from the same run. Prints
figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flask import Flask, jsonify, request  # noqa: E402

from bff.app import create_app  # noqa: E402
from bff.cognito.gateway import CognitoGateway  # noqa: E402
from bff.cognito.types import AuthStep  # noqa: E402

GOAL = 1.5
BODY = {"username": "bench@example.com", "password": "Bench-Passw0rd!"}


class InstantGateway(CognitoGateway):
    """Answers InitiateAuth with an MFA challenge at once."""

    def __init__(self) -> None:
        super().__init__(None, user_pool_id="eu-west-1_bench", client_id="bench-client")

    def initiate_auth(
        self, username: str, password: str, *, device_key: str | None = None
    ) -> AuthStep:
        return AuthStep("SOFTWARE_TOKEN_MFA", {"USERNAME": username}, "session-" + username)


def bare_app() -> Flask:
    app = Flask("bare")

    @app.post("/api/sign-in")
    def sign_in() -> Any:
        body = request.get_json()
        return jsonify({"flow": {"state": "SOFTWARE_TOKEN_MFA", "username": body["username"]}})

    return app


def _timed(client: Any, count: int, headers: dict[str, str]) -> list[float]:
    samples = []
    for _ in range(count):
        began = time.process_time()
        response = client.post("/api/sign-in", json=BODY, headers=headers)
        samples.append(time.process_time() - began)
        assert response.status_code == 200, response.get_json()
    return samples


def measure(requests: int = 2000, echo: Any = print) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-step-") as folder:
        bff = create_app(
            {
                "gateway": InstantGateway(),
                "instance_path": folder,
                "BFF_RATELIMIT_SIGN_IN": "1000000 per minute",
                "BFF_LOG_LEVEL": "WARNING",
            }
        )
        bff_client, bare_client = bff.test_client(), bare_app().test_client()
        headers = {"X-CSRF": "1"}
        _timed(bff_client, 50, headers)
        _timed(bare_client, 50, headers)
        step, bare = [], []
        block = 100
        for _ in range(max(requests // block, 1)):
            step += _timed(bff_client, block, headers)
            bare += _timed(bare_client, block, headers)
        bff.extensions["bff"]["store"].close()
    step_us = statistics.median(step) * 1e6
    bare_us = statistics.median(bare) * 1e6
    echo(f"BFF sign-in step, instant gateway: median {step_us:7.0f} us ({len(step)} requests)")
    echo(f"bare Flask JSON POST:              median {bare_us:7.0f} us")
    echo(f"ratio {step_us / bare_us:.2f}x (goal <= {GOAL}x)")
    return {"step_us": step_us, "bare_us": bare_us, "ratio": step_us / bare_us}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    measure(parser.parse_args().requests)
