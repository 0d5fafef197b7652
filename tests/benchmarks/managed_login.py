"""Benchmark: what a managed-login sign-in costs the BFF, next to a step-by-step one.

Run: .venv/bin/python tests/benchmarks/managed_login.py [--sign-ins N]

One local Cognito (in this process, its OAuth endpoints on loopback), one app client with
a secret, MFA off; the real app (create_app) through Flask's test client. For each user,
alternately:

- managed login: ``GET /api/oauth/sign-in`` (a pre-sign-in record written), the local
  Cognito's sign-in page answered over HTTP, then ``GET /api/oauth/callback`` (the record
  taken, ``/oauth2/token`` over HTTP, the ID token checked against the cached JWKS, a flow
  and a session written). The BFF's two requests are timed; the page is not the BFF's;
- step-by-step: ``POST /api/sign-in`` (InitiateAuth USER_PASSWORD_AUTH → tokens, a flow
  and a session written).

Then the ID-token check alone (joserfc, keys cached), many times. Wall-clock medians from
the same run, and the ratio of the callback to the step-by-step sign-in. Prints figures,
asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bff.app import create_app  # noqa: E402
from bff.cognito.id_tokens import verify_id_token  # noqa: E402
from bff.cognito.oauth_endpoints import PoolDomain  # noqa: E402
from local_cognito import LocalCognito  # noqa: E402
from tests.support.managed_login import ManagedLogin  # noqa: E402
from tests.support.passwords import PASSWORD  # noqa: E402

CALLBACK = "http://localhost/api/oauth/callback"


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.2f} ms"


def measure(sign_ins: int = 40, checks: int = 2000) -> dict[str, float]:
    local = LocalCognito()
    local.start()
    try:
        info = local.provision(
            with_client_secret=True, CallbackURLs=[CALLBACK], MfaConfiguration="OFF"
        )
        admin = local.client()
        with tempfile.TemporaryDirectory() as instance:
            app = create_app(
                {
                    **info.as_environment(),
                    "BFF_RATELIMIT_ENABLED": "false",
                    "instance_path": instance,
                }  # fmt: skip
            )
            start: list[float] = []
            callback: list[float] = []
            step: list[float] = []
            id_token = ""
            for i in range(sign_ins):
                email = f"bench-{i}@example.com"
                admin.admin_create_user(
                    UserPoolId=info.user_pool_id, Username=email, MessageAction="SUPPRESS"
                )
                admin.admin_set_user_password(
                    UserPoolId=info.user_pool_id, Username=email, Password=PASSWORD,
                    Permanent=True,
                )  # fmt: skip
                client = app.test_client()
                began = time.perf_counter()
                started = client.get("/api/oauth/sign-in")
                start.append(time.perf_counter() - began)
                browser = ManagedLogin(info.endpoint_url)
                landed = browser.sign_in(browser.get(started.headers["Location"]), email, PASSWORD)
                assert landed.left_to is not None
                parts = urlsplit(landed.left_to)
                began = time.perf_counter()
                done = client.get(f"{parts.path}?{parts.query}")
                callback.append(time.perf_counter() - began)
                assert done.status_code == 302, done.get_data(as_text=True)

                other = app.test_client()
                began = time.perf_counter()
                answer = other.post("/api/sign-in", json={"username": email, "password": PASSWORD},
                                    headers={"X-CSRF": "1"})  # fmt: skip
                step.append(time.perf_counter() - began)
                assert answer.get_json()["flow"]["state"] == "AUTHENTICATED", answer.get_json()
                record = app.extensions["bff"]["store"].sessions.get(
                    client.get_cookie("bff_session").value  # type: ignore[union-attr]
                )
                id_token = record["tokens"]["id_token"]  # the last managed sign-in's
            domain = PoolDomain(info.endpoint_url, app.extensions["bff"]["settings"].cognito)
            domain.keys()
            nonce = _claims(id_token)["nonce"]
            began = time.perf_counter()
            for _ in range(checks):
                verify_id_token(id_token, domain=domain, nonce=nonce, now=local.clock.now)
            check = (time.perf_counter() - began) / checks
            app.extensions["bff"]["store"].close()
    finally:
        local.stop()
    figures = {
        "start": statistics.median(start),
        "callback": statistics.median(callback),
        "step": statistics.median(step),
        "check": check,
    }
    print(f"managed login, {sign_ins} sign-ins (median wall time, BFF requests only)")
    print(f"  GET /api/oauth/sign-in     {_ms(start)}")
    print(f"  GET /api/oauth/callback    {_ms(callback)}  (token endpoint + ID token + session)")
    print(f"  POST /api/sign-in          {_ms(step)}  (step-by-step, MFA off)")
    print(f"  callback / step-by-step    {figures['callback'] / figures['step']:7.2f}x")
    print(f"  ID token check, keys cached {check * 1e6:6.0f} us  ({checks} checks)")
    return figures


def _claims(token: str) -> dict[str, Any]:
    from bff.flows.tokens import claims

    return claims(token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sign-ins", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the app's request log lines are not the figures
    measure(sign_ins=args.sign_ins)


if __name__ == "__main__":
    main()
