"""Federation through the local OIDC identity provider, over HTTP: the managed login sends
the browser to LocalIdP, /oauth2/idpresponse makes the pool's user ``LocalIdP_<sub>`` once
and finds it again on the next sign-in (also after a restart), and every way the provider's
answer can go wrong ends at the client's callback or an error page, with nothing made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from local_cognito import LocalCognito
from local_cognito.local_idp import load_users
from tests.support.managed_login import ManagedLogin, Page, pkce_pair, token_request

CALLBACK = "http://localhost:5173/api/oauth/callback"
ALICE = load_users()[0]


@pytest.fixture(scope="module")
def federating() -> Any:
    server = LocalCognito(identity_provider=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pool(federating: Any) -> Any:
    return federating.provision(with_client_secret=True, CallbackURLs=[CALLBACK])


def _authorize(pool: Any, browser: ManagedLogin, **extra: str) -> tuple[Page, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": pool.client_id,
        "redirect_uri": CALLBACK,
        "state": "client-state",
        "nonce": "client-nonce",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return browser.authorize(**params), verifier


def _federated_tokens(pool: Any, email: str, **extra: str) -> dict[str, Any]:
    browser = ManagedLogin(pool.endpoint_url)
    page, verifier = _authorize(pool, browser, identity_provider="LocalIdP", **extra)
    back = browser.at_provider(page, email)
    assert back.query["state"] == "client-state", back.response.text
    response = token_request(
        pool.endpoint_url,
        pool.client_id,
        pool.client_secret,
        grant_type="authorization_code",
        code=back.query["code"],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _id_claims(pool: Any, token: str) -> dict[str, Any]:
    issuer = f"{pool.endpoint_url}/{pool.user_pool_id}"
    key = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=issuer, audience=pool.client_id
    )
    return claims


def _users_named(federating: Any, pool: Any, username: str) -> list[dict[str, Any]]:
    users = federating.client().list_users(UserPoolId=pool.user_pool_id)["Users"]
    return [u for u in users if u["Username"] == username]


def test_first_sign_in_creates_the_user_and_the_next_finds_it(federating: Any, pool: Any) -> None:
    username = f"LocalIdP_{ALICE.sub}"
    first = _id_claims(pool, _federated_tokens(pool, ALICE.email)["id_token"])
    assert first["cognito:username"] == username
    assert first["nonce"] == "client-nonce"
    assert first["email"] == ALICE.email and first["name"] == ALICE.name
    (identity,) = first["identities"]
    assert identity["userId"] == ALICE.sub and identity["providerName"] == "LocalIdP"
    assert identity["providerType"] == "OIDC"

    (user,) = _users_named(federating, pool, username)
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert attributes["email"] == ALICE.email and attributes["given_name"] == ALICE.given_name
    assert json.loads(attributes["identities"])[0]["userId"] == ALICE.sub

    second = _id_claims(pool, _federated_tokens(pool, ALICE.email)["id_token"])
    assert second["sub"] == first["sub"]
    assert len(_users_named(federating, pool, username)) == 1
    assert second["identities"][0]["dateCreated"] == identity["dateCreated"]


def test_the_page_offers_the_provider(pool: Any) -> None:
    browser = ManagedLogin(pool.endpoint_url)
    page, verifier = _authorize(pool, browser)
    went = browser.submit(page, "/login/provider", provider="LocalIdP")
    bob = load_users()[1]
    back = browser.at_provider(went, bob.email)
    assert back.query["code"] and back.query["state"] == "client-state"


def test_provider_denial_reaches_the_client_with_its_state(federating: Any, pool: Any) -> None:
    before = len(federating.client().list_users(UserPoolId=pool.user_pool_id)["Users"])
    browser = ManagedLogin(pool.endpoint_url)
    page, _ = _authorize(pool, browser, identity_provider="LocalIdP")
    back = browser.at_provider(page, None)
    assert back.query["error"] == "access_denied"
    assert back.query["state"] == "client-state" and "code" not in back.query
    assert len(federating.client().list_users(UserPoolId=pool.user_pool_id)["Users"]) == before


def test_idpresponse_refuses_unknown_state_and_another_browser(pool: Any) -> None:
    stray = requests.get(
        f"{pool.endpoint_url}/oauth2/idpresponse?code=x&state=made-up",
        allow_redirects=False,
        timeout=10,
    )
    assert stray.status_code == 400 and "Location" not in stray.headers

    browser = ManagedLogin(pool.endpoint_url)
    page, _ = _authorize(pool, browser, identity_provider="LocalIdP")
    state = page.left_to.split("state=")[1].split("&")[0] if page.left_to else ""
    other_browser = requests.get(
        f"{pool.endpoint_url}/oauth2/idpresponse?code=x&state={state}",
        allow_redirects=False,
        timeout=10,
    )
    assert other_browser.status_code == 403 and "Location" not in other_browser.headers


def test_a_provider_whose_issuer_does_not_match_is_refused(federating: Any, pool: Any) -> None:
    """The discovery document must name the configured issuer (OpenID Connect Discovery
    4.3): a provider configured with another issuer URL never gets the browser."""
    admin = federating.client()
    details = admin.describe_identity_provider(
        UserPoolId=pool.user_pool_id, ProviderName="LocalIdP"
    )
    provider_details = details["IdentityProvider"]["ProviderDetails"]
    admin.create_identity_provider(
        UserPoolId=pool.user_pool_id,
        ProviderName="Mismatch",
        ProviderType="OIDC",
        ProviderDetails={**provider_details, "oidc_issuer": provider_details["oidc_issuer"] + "/"},
    )
    admin.update_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientId=pool.client_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO", "LocalIdP", "Mismatch"],
    )
    page, _ = _authorize(pool, ManagedLogin(pool.endpoint_url), identity_provider="Mismatch")
    assert page.left_to is None and page.response.status_code == 502
    assert "another issuer" in page.response.text


def test_federated_user_and_provider_survive_a_restart(tmp_path: Path) -> None:
    first = LocalCognito(identity_provider=True, state_dir=tmp_path)
    info = first.start()
    client = first.client()
    client.update_user_pool_client(
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO", "LocalIdP"],
    )
    try:
        before = _id_claims(info, _public_tokens(info, ALICE.email)["id_token"])
    finally:
        first.stop()
    second = LocalCognito(identity_provider=True, state_dir=tmp_path)
    again = second.start()
    try:
        assert second.restored
        after = _id_claims(again, _public_tokens(again, ALICE.email)["id_token"])
    finally:
        second.stop()
    assert after["sub"] == before["sub"]
    assert after["cognito:username"] == f"LocalIdP_{ALICE.sub}"


def _public_tokens(info: Any, email: str) -> dict[str, Any]:
    """The flow for the primary pool's public client (no secret)."""
    browser = ManagedLogin(info.endpoint_url)
    page, verifier = _authorize(info, browser, identity_provider="LocalIdP")
    back = browser.at_provider(page, email)
    response = token_request(
        info.endpoint_url,
        info.client_id,
        None,
        grant_type="authorization_code",
        code=back.query["code"],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.slow
def test_bff_serve_runs_the_identity_provider_and_registers_its_own_urls(tmp_path: Path) -> None:
    """`bff serve` on free ports: LocalIdP is up, and the BFF's own callback (on the port it
    got) is a callback URL of the pool's client, so federation reaches it."""
    import boto3

    from tests.support.serve import bff_serve

    with bff_serve(tmp_path) as urls:
        idp = requests.get(f"{urls['local IdP']}/.well-known/openid-configuration", timeout=10)
        assert idp.json()["issuer"] == urls["local IdP"]
        endpoint = urls["local Cognito"]
        pool_id = urls["OIDC"].split("/")[3]
        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=endpoint,
            region_name=pool_id.split("_")[0],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        (client,) = cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
        described = cognito.describe_user_pool_client(
            UserPoolId=pool_id, ClientId=client["ClientId"]
        )["UserPoolClient"]
        bff = urls["BFF"].removesuffix("/api")
        callback = f"{bff}/api/oauth/callback"
        assert callback in described["CallbackURLs"]
        assert f"{bff}/" in described["LogoutURLs"]
        assert "LocalIdP" in described["SupportedIdentityProviders"]

        browser = ManagedLogin(endpoint)
        page = browser.authorize(
            response_type="code",
            client_id=client["ClientId"],
            redirect_uri=callback,
            state="s",
            identity_provider="LocalIdP",
        )
        back = browser.at_provider(page, ALICE.email)
        assert back.left_to is not None and back.left_to.startswith(callback + "?code=")


@pytest.mark.slow
def test_bff_local_cognito_with_idp_serves_both() -> None:
    import signal
    import subprocess
    import sys

    bff = Path(sys.executable).with_name("bff")
    command = [bff, "local-cognito", "--port", "0", "--json", "--with-idp", "--idp-port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        document = requests.get(
            f"{info['identity_provider']}/.well-known/openid-configuration", timeout=10
        ).json()
        assert document["issuer"] == info["identity_provider"]
        admin = boto3_client(info)
        provider = admin.describe_identity_provider(
            UserPoolId=info["user_pool_id"], ProviderName="LocalIdP"
        )["IdentityProvider"]
        assert provider["ProviderDetails"]["oidc_issuer"] == info["identity_provider"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0 and "Traceback" not in stderr


def boto3_client(info: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "cognito-idp",
        endpoint_url=info["endpoint_url"],
        region_name=info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
