"""The BFF's half of managed login before any code comes back: the redirect to the pool's
/oauth2/authorize (PKCE S256, state and nonce kept server-side, the pre-sign-in cookie),
the allow-lists (providers, return_to), refused callbacks (no, wrong or replayed state, a
provider's error), the error page browsers get, and the settings refused at start."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from api_helpers import error_of
from flask import Flask
from werkzeug.test import TestResponse

from bff.config import ConfigError, load_settings
from bff.config_checks import validate
from bff.store.pre_sign_ins import pre_sign_in_store
from local_cognito import LocalCognito, LocalCognitoInfo
from tests.support.production import free_port

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def confidential(local_cognito_server: LocalCognito) -> LocalCognitoInfo:
    """A pool whose app client has a secret: the BFF signs in only as a confidential client."""
    return local_cognito_server.provision(with_client_secret=True)


@pytest.fixture
def oauth_app(make_app: Callable[..., Flask], confidential: LocalCognitoInfo) -> Flask:
    return make_app(
        **confidential.as_environment(),
        BFF_OAUTH_PROVIDERS="LocalIdP,Corporate",
        BFF_OAUTH_RETURN_PATHS="/,/account,/docs/*",
    )


def _query(response: TestResponse) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def _pre_sign_in(app: Flask, response: TestResponse) -> dict[str, Any]:
    """The record behind the response's pre-sign-in cookie (taken: it works once)."""
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("bff_oauth="))
    record_id = cookie.split(";")[0].split("=", 1)[1]
    record = pre_sign_in_store(app.extensions["bff"]["store"]).take(record_id)
    assert record is not None
    return record


def test_sign_in_redirects_to_authorize_with_pkce_state_and_nonce(
    oauth_app: Flask, confidential: LocalCognitoInfo
) -> None:
    response = oauth_app.test_client().get("/api/oauth/sign-in?return_to=/account")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == confidential.endpoint_url
    assert location.path == "/oauth2/authorize"
    query = _query(response)
    assert query["response_type"] == "code"
    assert query["client_id"] == confidential.client_id
    assert query["redirect_uri"] == "http://localhost/api/oauth/callback"
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "openid email profile aws.cognito.signin.user.admin"
    assert "identity_provider" not in query
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
    assert response.headers["Cache-Control"] == "no-store"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("bff_oauth="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    record = _pre_sign_in(oauth_app, response)
    assert record["state"] == query["state"] and record["nonce"] == query["nonce"]
    assert record["return_to"] == "/account"
    digest = hashlib.sha256(record["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]
    assert record["code_verifier"] not in response.headers["Location"]


def test_a_named_provider_goes_straight_to_it(oauth_app: Flask) -> None:
    response = oauth_app.test_client().get("/api/oauth/sign-in?provider=LocalIdP")
    assert response.status_code == 302
    assert _query(response)["identity_provider"] == "LocalIdP"


def test_a_provider_off_the_allow_list_is_refused(oauth_app: Flask) -> None:
    client = oauth_app.test_client()
    refused = client.get("/api/oauth/sign-in?provider=Evil")
    assert error_of(refused, 400)["code"] == "unknown_identity_provider"
    assert "Set-Cookie" not in refused.headers
    page = client.get("/api/oauth/sign-in?provider=Evil", headers=BROWSER)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "unknown_identity_provider" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/docs/../admin",
        "/docs/%2e%2e/admin",
        "/%2F%2Fevil.example",
        "/account#fragment",
        "/elsewhere",
        "/account/deeper",
        "account",
        "/account\r\nSet-Cookie: x=1",
    ],
)
def test_return_to_off_the_allow_list_is_refused(oauth_app: Flask, return_to: str) -> None:
    response = oauth_app.test_client().get("/api/oauth/sign-in", query_string={
        "return_to": return_to})  # fmt: skip
    assert error_of(response, 400)["code"] == "return_to_not_allowed"


@pytest.mark.parametrize("return_to", ["/", "/account", "/docs/", "/docs/a/b?x=1"])
def test_return_to_on_the_allow_list_is_kept(oauth_app: Flask, return_to: str) -> None:
    response = oauth_app.test_client().get("/api/oauth/sign-in", query_string={
        "return_to": return_to})  # fmt: skip
    assert response.status_code == 302
    assert _pre_sign_in(oauth_app, response)["return_to"] == return_to


def test_a_callback_without_a_started_sign_in_is_refused(oauth_app: Flask) -> None:
    client = oauth_app.test_client()
    response = client.get("/api/oauth/callback?code=abc&state=forged")
    assert error_of(response, 400)["code"] == "oauth_state_invalid"
    page = client.get("/api/oauth/callback?code=abc&state=forged", headers=BROWSER)
    assert page.status_code == 400 and "oauth_state_invalid" in page.get_data(as_text=True)


def test_a_wrong_state_burns_the_sign_in_and_its_replay_is_refused(oauth_app: Flask) -> None:
    client = oauth_app.test_client()
    state = _query(client.get("/api/oauth/sign-in"))["state"]
    wrong = client.get("/api/oauth/callback", query_string={"code": "c", "state": state + "x"})
    assert error_of(wrong, 400)["code"] == "oauth_state_invalid"
    assert any(c.startswith("bff_oauth=;") for c in wrong.headers.getlist("Set-Cookie"))
    client.set_cookie("bff_oauth", "A" * 43)  # even a cookie sent again names nothing now
    again = client.get("/api/oauth/callback", query_string={"code": "c", "state": state})
    assert error_of(again, 400)["code"] == "oauth_state_invalid"


def test_a_provider_error_is_a_clear_refusal(oauth_app: Flask) -> None:
    client = oauth_app.test_client()
    state = _query(client.get("/api/oauth/sign-in?provider=LocalIdP"))["state"]
    query = {"error": "access_denied", "error_description": "<script>x</script>", "state": state}
    refused = client.get("/api/oauth/callback", query_string=query)
    error = error_of(refused, 401)
    assert error["code"] == "oauth_refused" and error["details"] == {"error": "access_denied"}
    state = _query(client.get("/api/oauth/sign-in?provider=LocalIdP"))["state"]
    page = client.get("/api/oauth/callback", query_string={**query, "state": state},
                      headers=BROWSER)  # fmt: skip
    text = page.get_data(as_text=True)
    assert page.status_code == 401 and "oauth_refused" in text and "<script>" not in text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert client.get("/api/me").status_code == 401


def test_a_pre_sign_in_expires(oauth_app: Flask, store_clock: Any) -> None:
    client = oauth_app.test_client()
    state = _query(client.get("/api/oauth/sign-in"))["state"]
    store_clock.advance(601)
    late = client.get("/api/oauth/callback", query_string={"code": "c", "state": state})
    assert error_of(late, 400)["code"] == "oauth_state_invalid"


def test_managed_login_is_off_without_a_client_secret(app: Flask) -> None:
    response = app.test_client().get("/api/oauth/sign-in")
    error = error_of(response, 404)
    assert error["code"] == "oauth_disabled" and "secret" in error["message"]


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "COGNITO_USER_POOL_ID": "eu-west-1_Example",
        "COGNITO_CLIENT_ID": "client",
        "BFF_SECRET_KEY": "s" * 48,
        "BFF_DEVICE_ENCRYPTION_KEY": "ZmFrZS1mZXJuZXQta2V5LWZvci10ZXN0cy0zMi1ieXQ=",
        "BFF_INSTANCE_PATH": str(tmp_path),
        **extra,
    }


def test_production_refuses_a_domain_without_secret_or_uris(tmp_path: Path) -> None:
    env = _production(tmp_path, BFF_OAUTH_DOMAIN="https://app.auth.eu-west-1.amazoncognito.com")
    with pytest.raises(ConfigError) as refused:
        validate(load_settings(environ=env))
    message = str(refused.value)
    for name in ("COGNITO_CLIENT_SECRET", "BFF_OAUTH_REDIRECT_URI", "BFF_OAUTH_LOGOUT_URI"):
        assert name in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BFF_OAUTH_DOMAIN", "http://app.auth.eu-west-1.amazoncognito.com"),
        ("BFF_OAUTH_DOMAIN", "https://app.auth.eu-west-1.amazoncognito.com/oauth2"),
        ("BFF_OAUTH_REDIRECT_URI", "https://app.example.com/elsewhere"),
        ("BFF_OAUTH_REDIRECT_URI", "http://app.example.com/api/oauth/callback"),
        ("BFF_OAUTH_SCOPES", "email profile"),
        ("BFF_OAUTH_PROVIDERS", "bad name!"),
        ("BFF_OAUTH_RETURN_PATHS", "https://evil.example/"),
        ("BFF_OAUTH_RETURN_PATHS", "//evil.example"),
    ],
)
def test_production_names_each_bad_oauth_setting(tmp_path: Path, name: str, value: str) -> None:
    good = {
        "COGNITO_CLIENT_SECRET": "secret",
        "BFF_OAUTH_DOMAIN": "https://app.auth.eu-west-1.amazoncognito.com",
        "BFF_OAUTH_REDIRECT_URI": "https://app.example.com/api/oauth/callback",
        "BFF_OAUTH_LOGOUT_URI": "https://app.example.com/",
    }
    validate(load_settings(environ=_production(tmp_path, **good)))
    with pytest.raises(ConfigError, match=name):
        validate(load_settings(environ=_production(tmp_path, **{**good, name: value})))


def test_a_state_lifetime_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BFF_OAUTH_STATE_SECONDS"):
        load_settings(environ=_production(tmp_path, BFF_OAUTH_STATE_SECONDS="5"))


def test_cognito_down_at_the_callback_is_503_with_retry_after(
    make_app: Callable[..., Flask], confidential: LocalCognitoInfo
) -> None:
    """The pool domain does not answer (a closed port): the started sign-in cannot finish;
    503 `cognito_unavailable` with Retry-After, as JSON or as a page, and no session."""
    closed = f"http://127.0.0.1:{free_port()}"
    app = make_app(**confidential.as_environment(), BFF_OAUTH_DOMAIN=closed)
    for headers in ({}, BROWSER):
        client = app.test_client()
        started = client.get("/api/oauth/sign-in")
        assert started.headers["Location"].startswith(closed + "/oauth2/authorize?")
        query = {"code": "some-code", "state": _query(started)["state"]}
        down = client.get("/api/oauth/callback", query_string=query, headers=headers)
        assert down.status_code == 503 and int(down.headers["Retry-After"]) > 0
        if headers:
            assert "cognito_unavailable" in down.get_data(as_text=True)
        else:
            assert error_of(down, 503)["code"] == "cognito_unavailable"
        assert client.get("/api/me").status_code == 401
