"""Benchmark: what per-pool signing keys cost, and what verifying a token costs an API.

Prints, from one run:
- provision() of a pool with a key of its own (RSA 2048, made at creation) against the same
  with one key reused for every pool (what the cost would be without generating keys);
- the example notes API over loopback HTTP with keep-alive: GET /notes (the access token
  verified against the cached JWKS: RS256 signature, claims) against GET /healthz (no
  token), so the difference is what verification adds per request.

Run: .venv/bin/python tests/benchmarks/local_cognito_keys.py [--rounds N]
Not collected by pytest (no test_ prefix). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
from typing import Any

from local_cognito_bench import PASSWORD, summary, timed


def provisioning(server: Any, rounds: int) -> tuple[list[float], list[float]]:
    from local_cognito import fidelity, keys

    fixed = keys.new_signing_key()
    original = fidelity.keys.new_signing_key
    own, reused = [], []
    for _ in range(rounds):  # interleaved: both see the same load
        own += timed(server.provision, 1)
        fidelity.keys.new_signing_key = lambda: fixed  # type: ignore[assignment]
        try:
            reused += timed(server.provision, 1)
        finally:
            fidelity.keys.new_signing_key = original  # type: ignore[assignment]
    return own, reused


def access_token(server: Any, info: Any) -> str:
    client = server.client()
    client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username="bench@example.com",
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "bench@example.com"}],
    )
    client.admin_set_user_password(
        UserPoolId=info.user_pool_id,
        Username="bench@example.com",
        Password=PASSWORD,
        Permanent=True,
    )
    result = client.initiate_auth(
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bench@example.com", "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def verification(server: Any, rounds: int) -> tuple[list[float], list[float]]:
    from examples.notes_api import serve

    info = server.provision(MfaConfiguration="OFF", DeviceConfiguration=None)
    token = access_token(server, info)
    notes = serve(f"{info.endpoint_url}/{info.user_pool_id}", info.client_id)
    host, port = notes.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, with_token: bool) -> None:
        connection.request("GET", path, headers=headers if with_token else {})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status

    try:
        get("/notes", True)  # the first fetches the JWKS
        verified, plain = [], []
        for _ in range(rounds):
            verified += timed(lambda: get("/notes", True), 1)
            plain += timed(lambda: get("/healthz", False), 1)
    finally:
        connection.close()
        notes.stop()
    return verified, plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds

    from local_cognito import LocalCognito

    server = LocalCognito()
    server.start()
    try:
        own, reused = provisioning(server, max(rounds // 2, 3))
        verified, plain = verification(server, rounds * 20)
    finally:
        server.stop()
    added = statistics.median(own) - statistics.median(reused)
    print(f"provision(), a key of its own  {summary(own)}")
    print(f"provision(), one reused key    {summary(reused)}")
    print(
        f"  a key per pool adds {added:.0f} ms to each pool "
        f"({statistics.median(own) / statistics.median(reused):.2f}x)"
    )
    print(f"notes API GET /notes (verified) {summary(verified)}")
    print(f"notes API GET /healthz (no token) {summary(plain)}")
    added_ms = statistics.median(verified) - statistics.median(plain)
    print(f"  verifying the access token adds {added_ms:.2f} ms per request")


if __name__ == "__main__":
    main()
