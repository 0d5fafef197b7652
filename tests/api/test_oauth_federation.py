"""Federation through the wire: the BFF sends the browser to the local Cognito with
``identity_provider=LocalIdP``, the local OIDC identity provider signs the user in, the
local Cognito makes (then finds again) the pool user ``LocalIdP_<sub>`` and sends the
browser back to the BFF, which opens the same session as for any sign-in. The provider
denying the user lands on a clear refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from api_helpers import SpaClient, error_of, flow_of
from flask import Flask

from local_cognito import LocalCognito, LocalCognitoInfo
from local_cognito.local_idp import load_users
from tests.support.managed_login import ManagedLogin

CALLBACK = "http://localhost/api/oauth/callback"
ALICE = load_users()[0]


@pytest.fixture(scope="module")
def federating() -> Iterator[LocalCognito]:
    """A local Cognito with its local identity provider (LocalIdP) running."""
    server = LocalCognito(identity_provider=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pool(federating: LocalCognito) -> LocalCognitoInfo:
    return federating.provision(
        with_client_secret=True, CallbackURLs=[CALLBACK], LogoutURLs=["http://localhost/"]
    )


@pytest.fixture
def oauth_app(make_app: Callable[..., Flask], pool: LocalCognitoInfo) -> Flask:
    return make_app(**pool.as_environment(), BFF_OAUTH_PROVIDERS="LocalIdP")


def _through_the_provider(spa: SpaClient, pool: LocalCognitoInfo, email: str | None) -> str:
    """The BFF's sign-in with LocalIdP, the provider's page answered as ``email`` (None:
    a user the provider denies); the callback path and query Cognito sent back."""
    started = spa.get("/api/oauth/sign-in?provider=LocalIdP")
    assert started.status_code == 302
    browser = ManagedLogin(pool.endpoint_url)
    at_cognito = browser.get(started.headers["Location"])
    assert at_cognito.left_to is not None  # straight on to the provider, no sign-in page
    back = browser.at_provider(at_cognito, email)
    assert back.left_to is not None and back.left_to.startswith(CALLBACK + "?"), back.response.text
    parts = urlsplit(back.left_to)
    return f"{parts.path}?{parts.query}"


def _users(federating: LocalCognito, pool: LocalCognitoInfo, username: str) -> list[Any]:
    found = federating.client().list_users(UserPoolId=pool.user_pool_id)["Users"]
    return [user for user in found if user["Username"] == username]


def test_federation_creates_the_user_once_and_signs_in_like_any_sign_in(
    oauth_app: Flask, federating: LocalCognito, pool: LocalCognitoInfo
) -> None:
    username = f"LocalIdP_{ALICE.sub}"
    subs = []
    for _ in range(2):  # the first sign-in makes the user, the second finds it
        spa = SpaClient(oauth_app.test_client())
        landed = spa.get(_through_the_provider(spa, pool, ALICE.email))
        assert landed.status_code == 302 and landed.headers["Location"] == "/"
        flow = flow_of(spa.get("/api/flow"))
        assert flow["state"] == "AUTHENTICATED"
        assert flow["data"]["identity_provider"] == "LocalIdP"
        assert flow["data"]["username"] == username
        claims = spa.get("/api/me").get_json()["user"]
        assert claims["email"] == ALICE.email
        assert claims["identities"][0]["providerName"] == "LocalIdP"
        subs.append(claims["sub"])
        # The federated session refreshes like any (REFRESH_TOKEN_AUTH, SECRET_HASH of
        # the pool's username LocalIdP_<sub>).
        assert spa.post("/api/session/refresh", {}).status_code == 200
    assert subs[0] == subs[1]
    (user,) = _users(federating, pool, username)
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"


def test_the_provider_denying_the_user_is_a_clear_refusal(
    oauth_app: Flask, pool: LocalCognitoInfo
) -> None:
    spa = SpaClient(oauth_app.test_client())
    refused = error_of(spa.get(_through_the_provider(spa, pool, None)), 401)
    assert refused["code"] == "oauth_refused"
    assert refused["details"]["error"] == "access_denied"
    assert spa.cookie() is None
