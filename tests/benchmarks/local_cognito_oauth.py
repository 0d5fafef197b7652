"""Benchmark: what a sign-in through the local Cognito's managed login costs, next to the
API sign-in, and what the local identity provider adds.

Prints, from one run:
- a LocalCognito's start without and with the local identity provider (its RSA key and
  server thread);
- a sign-in through the managed login over loopback HTTP (authorize page, password form,
  code at the token endpoint with PKCE; no MFA: the pool's MFA is OPTIONAL and the user has
  none) against InitiateAuth USER_PASSWORD_AUTH with boto3 for a user of a pool from the
  same template (its client without a secret), interleaved;
- a federated sign-in through LocalIdP (authorize, the provider's page and answer,
  /oauth2/idpresponse with its token exchange and ID-token check, the token endpoint).

Run: .venv/bin/python tests/benchmarks/local_cognito_oauth.py [--rounds N]
Not collected by pytest (no test_ prefix). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from local_cognito_bench import PASSWORD, summary, timed

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.managed_login import ManagedLogin, pkce_pair, token_request  # noqa: E402

CALLBACK = "http://localhost:5000/api/oauth/callback"


def starts(rounds: int) -> tuple[list[float], list[float]]:
    from local_cognito import LocalCognito

    plain: list[float] = []
    with_idp: list[float] = []
    for _ in range(rounds):
        for federating, samples in ((False, plain), (True, with_idp)):
            server = LocalCognito(identity_provider=federating)
            samples += timed(server.start, 1)
            server.stop()
    return plain, with_idp


def managed_sign_in(info: Any, provider: str | None = None) -> None:
    browser = ManagedLogin(info.endpoint_url)
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": info.client_id,
        "redirect_uri": CALLBACK,
        "state": "s",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if provider:
        page = browser.authorize(**params, identity_provider=provider)
        back = browser.at_provider(page, "alice@idp.example")
    else:
        back = browser.sign_in(browser.authorize(**params), "bench@example.com", PASSWORD)
    response = token_request(
        info.endpoint_url,
        info.client_id,
        info.client_secret,
        grant_type="authorization_code",
        code=back.query["code"],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds

    from local_cognito import LocalCognito

    plain, with_idp = starts(max(rounds // 6, 3))
    print(f"start, no identity provider      {summary(plain)}")
    print(f"start, with LocalIdP             {summary(with_idp)}")

    server = LocalCognito(identity_provider=True)
    server.start()
    try:
        info = server.provision(
            with_client_secret=True, CallbackURLs=[CALLBACK], MfaConfiguration="OPTIONAL"
        )
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
        public = server.provision(CallbackURLs=[CALLBACK], MfaConfiguration="OPTIONAL")
        for username in ("bench@example.com",):
            client.admin_create_user(
                UserPoolId=public.user_pool_id,
                Username=username,
                TemporaryPassword=PASSWORD,
                MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": username}],
            )
            client.admin_set_user_password(
                UserPoolId=public.user_pool_id, Username=username, Password=PASSWORD, Permanent=True
            )

        def api_sign_in() -> None:
            client.initiate_auth(
                ClientId=public.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "bench@example.com", "PASSWORD": PASSWORD},
            )

        managed: list[float] = []
        api: list[float] = []
        federated: list[float] = []
        managed_sign_in(info)  # warm-up: connections, first discovery
        managed_sign_in(info, "LocalIdP")
        for _ in range(rounds):  # interleaved: all three see the same load
            managed += timed(lambda: managed_sign_in(info), 1)
            api += timed(api_sign_in, 1)
            federated += timed(lambda: managed_sign_in(info, "LocalIdP"), 1)
    finally:
        server.stop()
    print(f"managed login, password + token  {summary(managed)}")
    print(f"InitiateAuth USER_PASSWORD_AUTH  {summary(api)}")
    print(f"federated via LocalIdP + token   {summary(federated)}")
    ratio = statistics.median(managed) / statistics.median(api)
    print(f"managed login / API sign-in: {ratio:.1f}x (4 HTTP requests against 1)")
    fed_ratio = statistics.median(federated) / statistics.median(managed)
    print(f"federated / managed login: {fed_ratio:.1f}x")


if __name__ == "__main__":
    main()
