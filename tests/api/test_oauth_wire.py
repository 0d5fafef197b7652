"""Managed login through the wire: the BFF (create_app) against the local Cognito's own
/oauth2/* endpoints and sign-in page, a confidential client with PKCE. The whole flow ends
in the same session as a step-by-step sign-in (journal, rotation, /api/me, refresh, the
token relay); each refusal (replayed state, a code from another sign-in, an expired code,
a tampered nonce, an ID token for another client, a wrong client secret) leaves no
session; sign-out goes through Cognito's /logout."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from api_helpers import ADMIN_KEY, SpaClient, error_of, flow_of
from flask import Flask
from relay_support import Recorder, Served, remote_apis

from bff.cognito.id_tokens import verify_id_token
from bff.cognito.oauth_endpoints import PoolDomain
from bff.cognito.settings import CognitoSettings
from bff.cognito.wire import secret_hash
from bff.errors import IdTokenRejected
from local_cognito import LocalCognito, LocalCognitoInfo
from tests.support.managed_login import ManagedLogin, pkce_pair, token_request
from tests.support.passwords import PASSWORD

#: The Flask test client's origin: the BFF's own callback in local mode (no
#: BFF_OAUTH_REDIRECT_URI), registered on the app client exactly.
CALLBACK = "http://localhost/api/oauth/callback"
LOGOUT = "http://localhost/"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")
SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"]


@pytest.fixture(scope="module")
def pool(local_cognito_server: LocalCognito) -> LocalCognitoInfo:
    """A pool from the template with a confidential client at the BFF's callback."""
    return local_cognito_server.provision(
        with_client_secret=True,
        CallbackURLs=[CALLBACK],
        LogoutURLs=[LOGOUT],
        MfaConfiguration="OPTIONAL",
        AllowedOAuthScopes=SCOPES,
    )


@pytest.fixture(scope="module")
def admin(local_cognito_server: LocalCognito) -> Any:
    return local_cognito_server.client()


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[Recorder, Served]]:
    recording = Recorder()
    served = Served(recording)
    yield recording, served
    recording.release.set()
    served.close()


@pytest.fixture
def oauth_app(
    make_app: Callable[..., Flask], pool: LocalCognitoInfo, recorder: tuple[Recorder, Served]
) -> Flask:
    return make_app(
        **pool.as_environment(),
        BFF_OAUTH_RETURN_PATHS="/,/account",
        BFF_REMOTE_APIS=remote_apis(recorder[1].url),
    )


def _user(admin: Any, pool: LocalCognitoInfo, email: str) -> str:
    admin.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    admin.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    return email


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _with(url: str, **changed: str) -> str:
    """``url`` with some query parameters replaced (what a tampering party would do)."""
    parts = urlsplit(url)
    return parts._replace(query=urlencode({**_query(url), **changed})).geturl()


def _hosted_sign_in(
    spa: SpaClient,
    pool: LocalCognitoInfo,
    email: str,
    *,
    start: str = "/api/oauth/sign-in",
    tamper: Callable[[str], str] = lambda url: url,
    browser: ManagedLogin | None = None,
) -> tuple[str, ManagedLogin]:
    """Start at the BFF, sign in on the local Cognito's page; the callback path and query
    Cognito sent the browser back with (not followed yet), and the page's browser."""
    started = spa.get(start)
    assert started.status_code == 302, started.get_data(as_text=True)
    browser = browser or ManagedLogin(pool.endpoint_url)
    page = browser.get(tamper(started.headers["Location"]))
    landed = page if page.left_to else browser.sign_in(page, email, PASSWORD)
    assert landed.left_to is not None and landed.left_to.startswith(CALLBACK + "?"), (
        landed.response.text[:500]
    )
    parts = urlsplit(landed.left_to)
    return f"{parts.path}?{parts.query}", browser


def _scan_for_tokens(spa: SpaClient) -> None:
    """RFC 10017: no token in any answer the browser got: bodies, headers, Locations."""
    for response in spa.responses:
        seen = response.get_data(as_text=True) + str(response.headers)
        assert not JWT.search(seen), (response.status_code, seen[:300])


def test_the_hosted_page_signs_in_like_a_step_by_step_sign_in(
    oauth_app: Flask,
    pool: LocalCognitoInfo,
    admin: Any,
    unique_email: str,
    recorder: tuple[Recorder, Served],
) -> None:
    email = _user(admin, pool, unique_email)
    spa = SpaClient(oauth_app.test_client())
    assert spa.post("/api/sign-up", {"email": "x" + email, "password": PASSWORD}).status_code
    before = spa.cookie()
    assert before is not None  # a session of this browser before: it must not survive
    callback, _ = _hosted_sign_in(spa, pool, email, start="/api/oauth/sign-in?return_to=/account")
    landed = spa.get(callback)
    assert landed.status_code == 302 and landed.headers["Location"] == "/account"
    cookies = landed.headers.getlist("Set-Cookie")
    assert any(c.startswith("bff_oauth=;") for c in cookies), cookies
    session_cookie = next(c for c in cookies if c.startswith("bff_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    after = spa.cookie()
    assert after and after != before
    assert oauth_app.extensions["bff"]["store"].sessions.get(before) is None

    flow = flow_of(spa.get("/api/flow"))
    assert flow["state"] == "AUTHENTICATED"
    assert flow["data"]["signed_in_with"] == "managed_login"
    assert flow["data"]["identity_provider"] is None
    assert "sign_out" in flow["next_steps"]
    me = spa.get("/api/me").get_json()
    assert me["user"]["email"] == email
    journal = spa.client.get(
        f"/api/admin/flows/{flow['id']}/journal", headers={"X-Admin-Key": ADMIN_KEY}
    ).get_json()["journal"]
    assert [(e["trigger"], e["from"], e["to"], e["action"]) for e in journal] == [
        ("signed_in_with_oauth", "NEW", "AUTHENTICATED", "/oauth2/token")
    ]

    # The session works like any other: refresh (REFRESH_TOKEN_AUTH with the refresh token
    # the token endpoint issued), and the token relay sends the access token upstream.
    refreshed = spa.post("/api/session/refresh", {})
    assert refreshed.status_code == 200, refreshed.get_json()
    relayed = spa.get("/api/remote/notes/notes", headers={"X-CSRF": "1"})
    assert relayed.status_code == 200, relayed.get_data(as_text=True)
    bearer = recorder[0].last.headers["Authorization"]
    record = oauth_app.extensions["bff"]["store"].sessions.get(spa.cookie())
    assert bearer == f"Bearer {record['tokens']['access_token']}"
    _scan_for_tokens(spa)


def test_a_replayed_callback_is_refused(
    oauth_app: Flask, pool: LocalCognitoInfo, admin: Any, unique_email: str
) -> None:
    email = _user(admin, pool, unique_email)
    spa = SpaClient(oauth_app.test_client())
    started = spa.get("/api/oauth/sign-in")
    pre_sign_in = spa.cookie("bff_oauth")
    assert pre_sign_in is not None
    browser = ManagedLogin(pool.endpoint_url)
    landed = browser.sign_in(browser.get(started.headers["Location"]), email, PASSWORD)
    assert landed.left_to is not None
    callback = landed.left_to.removeprefix("http://localhost")
    assert spa.get(callback).status_code == 302
    signed_in = spa.cookie()
    # The same code and state, with the pre-sign-in cookie sent again (an attacker
    # who copied both): the record was taken once, nothing else happens.
    thief = SpaClient(oauth_app.test_client())
    thief.set_cookie("bff_oauth", pre_sign_in)
    assert error_of(thief.get(callback), 400)["code"] == "oauth_state_invalid"
    assert thief.cookie() is None
    assert spa.cookie() == signed_in


def test_a_code_from_another_sign_in_fails_its_pkce_check(
    oauth_app: Flask, pool: LocalCognitoInfo, admin: Any, unique_email: str
) -> None:
    """Code injection: a code obtained in one sign-in, delivered with the state of this
    browser's own sign-in. The state matches, the code's PKCE challenge does not."""
    email = _user(admin, pool, unique_email)
    attacker = SpaClient(oauth_app.test_client())
    stolen, _ = _hosted_sign_in(attacker, pool, email)
    victim = SpaClient(oauth_app.test_client())
    state = _query(victim.get("/api/oauth/sign-in").headers["Location"])["state"]
    injected = urlsplit(stolen).path + "?" + urlencode({**_query(stolen), "state": state})
    refused = error_of(victim.get(injected), 401)
    assert refused["code"] == "oauth_refused" and refused["details"]["error"] == "invalid_grant"
    assert victim.cookie() is None


def test_an_expired_code_is_refused(
    oauth_app: Flask, pool: LocalCognitoInfo, admin: Any, unique_email: str, cognito_clock: Any
) -> None:
    spa = SpaClient(oauth_app.test_client())
    callback, _ = _hosted_sign_in(spa, pool, _user(admin, pool, unique_email))
    cognito_clock.advance(301)  # codes live 5 minutes (Cognito's token endpoint docs)
    refused = error_of(spa.get(callback), 401)
    assert refused["details"]["error"] == "invalid_grant"
    assert spa.cookie() is None


def test_a_tampered_nonce_fails_the_id_token_check(
    oauth_app: Flask, pool: LocalCognitoInfo, admin: Any, unique_email: str
) -> None:
    """The authorization request's nonce changed on the way: Cognito puts the changed one
    in the ID token, which is not this sign-in's. Nothing is kept."""
    spa = SpaClient(oauth_app.test_client())
    callback, _ = _hosted_sign_in(
        spa, pool, _user(admin, pool, unique_email), tamper=lambda url: _with(url, nonce="evil")
    )
    refused = error_of(spa.get(callback), 401)
    assert refused == {
        "code": "id_token_rejected",
        "message": IdTokenRejected.default_message,
        "details": {"check": "nonce"},
    }
    assert spa.cookie() is None
    assert spa.get("/api/flow").get_json() == {"flow": None}


def test_an_id_token_for_another_client_is_rejected(
    local_cognito_server: LocalCognito, pool: LocalCognitoInfo, admin: Any, unique_email: str
) -> None:
    """A real ID token of this pool, issued to another app client (the audience check);
    the same token passes for its own client."""
    other = local_cognito_server.provision(
        with_client_secret=True, CallbackURLs=[CALLBACK], MfaConfiguration="OPTIONAL"
    )
    email = _user(admin, other, unique_email)
    browser = ManagedLogin(other.endpoint_url)
    verifier, challenge = pkce_pair()
    page = browser.authorize(
        response_type="code",
        client_id=other.client_id,
        redirect_uri=CALLBACK,
        state="s",
        nonce="n",
        scope="openid email",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    landed = browser.sign_in(page, email, PASSWORD)
    assert landed.left_to is not None
    tokens = token_request(
        other.endpoint_url,
        other.client_id,
        other.client_secret,
        grant_type="authorization_code",
        code=landed.query["code"],
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    ).json()

    def domain_of(info: LocalCognitoInfo, client_id: str) -> PoolDomain:
        settings = CognitoSettings(
            user_pool_id=info.user_pool_id,
            client_id=client_id,
            client_secret="unused",
            region=info.region,
            endpoint_url=info.endpoint_url,
        )
        return PoolDomain(info.endpoint_url, settings)

    # The local Cognito signs tokens at the real time (its clock moves codes and sessions
    # only); the session's local Cognito may be hours ahead after other tests.
    now = time.time
    claims = verify_id_token(
        tokens["id_token"], domain=domain_of(other, other.client_id), nonce="n", now=now
    )
    assert claims["email"] == email
    with pytest.raises(IdTokenRejected) as refused:
        verify_id_token(
            tokens["id_token"], domain=domain_of(other, pool.client_id), nonce="n", now=now
        )
    assert refused.value.details == {"check": "aud"}
    with pytest.raises(IdTokenRejected) as refused:  # another pool's issuer and keys
        verify_id_token(
            tokens["id_token"], domain=domain_of(pool, other.client_id), nonce="n", now=now
        )
    assert refused.value.details["check"] in ("signature", "iss")


def test_a_wrong_client_secret_is_the_bffs_problem_not_the_users(
    make_app: Callable[..., Flask], pool: LocalCognitoInfo, admin: Any, unique_email: str
) -> None:
    app = make_app(**{**pool.as_environment(), "COGNITO_CLIENT_SECRET": "not-the-secret"})
    spa = SpaClient(app.test_client())
    callback, _ = _hosted_sign_in(spa, pool, _user(admin, pool, unique_email))
    refused = error_of(spa.get(callback), 502)
    assert refused["code"] == "oauth_client_rejected"
    assert refused["details"] == {"error": "invalid_client"}


def test_sign_out_ends_the_hosted_session_through_cognitos_logout(
    oauth_app: Flask, pool: LocalCognitoInfo, admin: Any, unique_email: str
) -> None:
    email = _user(admin, pool, unique_email)
    spa = SpaClient(oauth_app.test_client())
    callback, browser = _hosted_sign_in(spa, pool, email)
    assert spa.get(callback).status_code == 302
    record = oauth_app.extensions["bff"]["store"].sessions.get(spa.cookie())

    def refresh_at_cognito() -> Any:
        username = record["cognito_username"]
        assert pool.client_secret is not None
        return admin.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": record["tokens"]["refresh_token"],
                "SECRET_HASH": secret_hash(username, pool.client_id, pool.client_secret),
            },
        )

    assert refresh_at_cognito()["AuthenticationResult"]["AccessToken"]
    # The hosted pages remember the user: another sign-in in this browser needs no password.
    again, _ = _hosted_sign_in(SpaClient(oauth_app.test_client()), pool, email, browser=browser)
    assert again

    answer = spa.post("/api/oauth/sign-out", {})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["signed_out"] is True and body["flow"]["state"] == "SIGNED_OUT"
    logout = urlsplit(body["logout_url"])
    assert f"{logout.scheme}://{logout.netloc}{logout.path}" == f"{pool.endpoint_url}/logout"
    assert _query(body["logout_url"]) == {"client_id": pool.client_id, "logout_uri": LOGOUT}
    assert spa.get("/api/me").status_code == 401
    with pytest.raises(admin.exceptions.NotAuthorizedException):
        refresh_at_cognito()  # RevokeToken at sign-out
    back = browser.get(body["logout_url"])
    assert back.left_to == LOGOUT
    # The hosted session ended too: the next sign-in shows the page (a password is asked).
    next_start = SpaClient(oauth_app.test_client()).get("/api/oauth/sign-in")
    page = browser.get(next_start.headers["Location"])
    assert page.left_to is None and page.form("/login")
