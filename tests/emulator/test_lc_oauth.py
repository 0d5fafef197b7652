"""The pool domain's OAuth 2.0 endpoints over HTTP: the authorization code grant with PKCE
for a confidential client through the managed login page, every refusal, the discovery
document an OIDC client library accepts, userInfo, refresh, revoke, logout and
client_credentials."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlencode

import jwt
import pyotp
import pytest
import requests
from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.support.managed_login import ManagedLogin, Page, pkce_pair, token_request
from tests.support.passwords import PASSWORD

CALLBACK = "http://localhost:5173/api/oauth/callback"
LOGOUT = "http://localhost:5173/"


@pytest.fixture(scope="module")
def pool(private_cognito: Any) -> Any:
    """A pool from the template, with a confidential client at CALLBACK (MFA optional)."""
    return private_cognito.provision(
        with_client_secret=True,
        CallbackURLs=[CALLBACK],
        LogoutURLs=[LOGOUT],
        MfaConfiguration="OPTIONAL",
        AllowedOAuthScopes=["openid", "email", "profile", "aws.cognito.signin.user.admin"],
    )


@pytest.fixture(scope="module")
def admin(private_cognito: Any) -> Any:
    return private_cognito.client()


def _user(admin: Any, pool: Any, email: str) -> str:
    admin.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": "Ada <b>Lovelace</b>"},
        ],
    )
    admin.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    return email


def _authorize(pool: Any, browser: ManagedLogin, **extra: str) -> tuple[Page, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": pool.client_id,
        "redirect_uri": CALLBACK,
        "state": "state-1",
        "nonce": "nonce-1",
        "scope": "openid email profile",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return browser.authorize(**{k: v for k, v in params.items() if v}), verifier


def _code(pool: Any, email: str, **extra: str) -> tuple[str, str]:
    """A fresh code for ``email`` (signed in through the page) and its PKCE verifier."""
    browser = ManagedLogin(pool.endpoint_url)
    page, verifier = _authorize(pool, browser, **extra)
    landed = browser.sign_in(page, email, PASSWORD)
    assert landed.left_to is not None, landed.response.text
    assert landed.query["state"] == "state-1"
    return landed.query["code"], verifier


def _redeem(pool: Any, code: str, verifier: str | None, **extra: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    if verifier is not None:
        form["code_verifier"] = verifier
    form.update(extra)
    return token_request(pool.endpoint_url, pool.client_id, pool.client_secret, **form)


def _verify(pool: Any, token: str, **options: Any) -> dict[str, Any]:
    issuer = f"{pool.endpoint_url}/{pool.user_pool_id}"
    key = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=issuer, **options
    )
    return claims


def test_discovery_document_is_complete_and_an_oidc_library_accepts_it(pool: Any) -> None:
    issuer = f"{pool.endpoint_url}/{pool.user_pool_id}"
    document = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    base = pool.endpoint_url
    assert document["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert document["token_endpoint"] == f"{base}/oauth2/token"
    assert document["userinfo_endpoint"] == f"{base}/oauth2/userInfo"
    assert document["revocation_endpoint"] == f"{base}/oauth2/revoke"
    assert document["end_session_endpoint"] == f"{base}/logout"
    assert document["issuer"] == issuer
    # Authlib's RFC 8414 / OpenID Discovery validation: every required member, right shape.
    OpenIDProviderMetadata(document).validate()


def test_code_flow_with_pkce_as_a_confidential_client(pool: Any, admin: Any) -> None:
    email = _user(admin, pool, "flow@example.com")
    code, verifier = _code(pool, email)
    response = _redeem(pool, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "id_token", "refresh_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer"
    identity = _verify(pool, body["id_token"], audience=pool.client_id)
    assert identity["nonce"] == "nonce-1"
    assert identity["email"] == email and identity["token_use"] == "id"
    assert "at_hash" in identity
    access = _verify(pool, body["access_token"])
    assert access["scope"] == "openid email profile"
    assert access["client_id"] == pool.client_id

    info = requests.get(
        f"{pool.endpoint_url}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert info.status_code == 200
    assert info.json()["email"] == email and info.json()["sub"] == identity["sub"]

    refreshed = token_request(
        pool.endpoint_url,
        pool.client_id,
        pool.client_secret,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    assert refreshed.status_code == 200, refreshed.text
    assert _verify(pool, refreshed.json()["access_token"])["scope"] == "openid email profile"
    assert "refresh_token" not in refreshed.json()

    revoked = requests.post(
        f"{pool.endpoint_url}/oauth2/revoke",
        data={"token": body["refresh_token"]},
        auth=(pool.client_id, pool.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200
    again = token_request(
        pool.endpoint_url,
        pool.client_id,
        pool.client_secret,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
    )
    assert again.json()["error"] == "invalid_grant"
    gone = requests.get(
        f"{pool.endpoint_url}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("wrong verifier", "invalid_grant"),
        ("missing verifier", "invalid_request"),
        ("code used twice", "invalid_grant"),
        ("redirect_uri one character off", "invalid_grant"),
        ("wrong client secret", "invalid_client"),
        ("no client authentication", "invalid_client"),
        ("unknown code", "invalid_grant"),
    ],
)
def test_token_endpoint_refusals(pool: Any, admin: Any, case: str, error: str) -> None:
    email = f"refusal-{abs(hash(case))}@example.com"
    _user(admin, pool, email)
    code, verifier = _code(pool, email)
    if case == "wrong verifier":
        response = _redeem(pool, code, pkce_pair()[0])
    elif case == "missing verifier":
        response = _redeem(pool, code, None)
    elif case == "code used twice":
        assert _redeem(pool, code, verifier).status_code == 200
        response = _redeem(pool, code, verifier)
    elif case == "redirect_uri one character off":
        response = _redeem(pool, code, verifier, redirect_uri=CALLBACK + "x")
    elif case == "wrong client secret":
        response = token_request(
            pool.endpoint_url,
            pool.client_id,
            pool.client_secret + "x",
            grant_type="authorization_code",
            code=code,
            redirect_uri=CALLBACK,
            code_verifier=verifier,
        )
    elif case == "no client authentication":
        response = token_request(
            pool.endpoint_url,
            pool.client_id,
            None,
            grant_type="authorization_code",
            code=code,
            redirect_uri=CALLBACK,
            code_verifier=verifier,
        )
    else:
        response = _redeem(pool, "not-a-code", verifier)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert "access_token" not in response.text


def test_code_expires_after_five_minutes_on_the_local_clock(
    pool: Any, admin: Any, private_cognito: Any
) -> None:
    email = _user(admin, pool, "late@example.com")
    fresh, fresh_verifier = _code(pool, email)
    late, late_verifier = _code(pool, email)
    private_cognito.clock.advance(299)
    assert _redeem(pool, fresh, fresh_verifier).status_code == 200
    private_cognito.clock.advance(2)
    response = _redeem(pool, late, late_verifier)
    assert response.json()["error"] == "invalid_grant"


def test_verifier_without_a_challenge_is_refused(pool: Any, admin: Any) -> None:
    """RFC 9700 2.1.1: PKCE downgrade."""
    email = _user(admin, pool, "downgrade@example.com")
    code, _ = _code(pool, email, code_challenge="", code_challenge_method="")
    assert _redeem(pool, code, pkce_pair()[0]).json()["error"] == "invalid_grant"


def test_another_clients_code_is_refused(private_cognito: Any, pool: Any, admin: Any) -> None:
    other = admin.create_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientName="other",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]
    email = _user(admin, pool, "stolen@example.com")
    code, verifier = _code(pool, email)
    response = token_request(
        pool.endpoint_url,
        other["ClientId"],
        other["ClientSecret"],
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert response.json()["error"] == "invalid_grant"


def test_redirect_uri_off_by_one_character_is_never_redirected_to(pool: Any) -> None:
    browser = ManagedLogin(pool.endpoint_url)
    for uri in (CALLBACK + "/", CALLBACK[:-1], CALLBACK.replace("localhost", "evil.example")):
        page, _ = _authorize(pool, browser, redirect_uri=uri)
        assert page.response.status_code == 400
        assert page.left_to is None and "Location" not in page.response.headers
        assert "redirect_mismatch" in page.response.text
        assert not page.forms


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"scope": "openid phone"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"identity_provider": "Nowhere"}, "invalid_request"),
    ],
)
def test_authorize_refusals_go_back_to_the_client_with_state(
    pool: Any, override: dict[str, str], error: str
) -> None:
    page, _ = _authorize(pool, ManagedLogin(pool.endpoint_url), **override)
    assert page.left_to is not None and page.left_to.startswith(CALLBACK + "?")
    assert page.query["error"] == error
    assert page.query["state"] == "state-1"
    assert "code" not in page.query


def test_a_client_without_the_code_flow_is_refused(pool: Any, admin: Any) -> None:
    client = admin.create_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientName="api-only",
        CallbackURLs=[CALLBACK],
        AllowedOAuthFlowsUserPoolClient=False,
    )["UserPoolClient"]
    page, _ = _authorize(pool, ManagedLogin(pool.endpoint_url), client_id=client["ClientId"])
    assert page.query["error"] == "unauthorized_client"


def test_wrong_password_and_unknown_user_get_the_same_answer(pool: Any, admin: Any) -> None:
    _user(admin, pool, "known@example.com")
    answers = []
    for username, password in (("known@example.com", "Wrong-pass1!"), ("nobody@x.org", "X1!")):
        browser = ManagedLogin(pool.endpoint_url)
        page, _ = _authorize(pool, browser)
        after = browser.submit(page, "/login", username=username, password=password)
        assert after.left_to is None and after.response.status_code == 400
        answers.append(after.error)
        # The sign-in goes on: the page asks again with a working form.
        assert after.form("/login").fields["login_request"]
    assert answers == ["Incorrect username or password."] * 2


def test_sign_in_page_is_safe(pool: Any, admin: Any) -> None:
    browser = ManagedLogin(pool.endpoint_url)
    page, _ = _authorize(pool, browser)
    headers = page.response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script" not in page.response.text.lower()
    assert headers["Cache-Control"] == "no-store"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("XSRF-TOKEN=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    # Echoed input is escaped.
    after = browser.submit(page, "/login", username='"><script>alert(1)</script>', password="x")
    assert "<script>alert(1)" not in after.response.text
    assert "&lt;script&gt;" in after.response.text

    # The form without the browser's cookie, or with another token: refused, nothing signed.
    form = after.form("/login")
    stranger = requests.post(
        f"{pool.endpoint_url}/login",
        data={**form.fields, "username": "known@example.com", "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert stranger.status_code == 403 and "Location" not in stranger.headers
    forged = browser.http.post(
        f"{pool.endpoint_url}/login",
        data={**form.fields, "_csrf": "A" * 43, "username": "x", "password": "y"},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403


def test_mfa_on_the_page_then_single_sign_on_until_logout(
    pool: Any, admin: Any, private_cognito: Any
) -> None:
    email = _user(admin, pool, "mfa@example.com")
    # TOTP set up with the tokens of a first managed-login sign-in.
    code, verifier = _code(pool, email, scope="openid aws.cognito.signin.user.admin")
    access = _redeem(pool, code, verifier).json()["access_token"]
    secret = admin.associate_software_token(AccessToken=access)["SecretCode"]
    totp = pyotp.TOTP(secret)
    now = private_cognito.clock.now()
    admin.verify_software_token(AccessToken=access, UserCode=totp.at(now))
    admin.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    private_cognito.clock.advance(30)  # the setup's code is spent

    browser = ManagedLogin(pool.endpoint_url)
    page, _ = _authorize(pool, browser)
    asked = browser.submit(page, "/login", username=email, password=PASSWORD)
    assert asked.left_to is None and asked.form("/login/mfa")
    wrong = browser.submit(asked, "/login/mfa", code="000000")
    assert wrong.response.status_code == 400 and wrong.error == "Invalid code received for user"
    done = browser.submit(wrong, "/login/mfa", code=totp.at(private_cognito.clock.now()))
    assert done.query["code"]
    session_cookie = [c for c in browser.http.cookies if c.name == "cognito"]
    assert session_cookie and session_cookie[0].has_nonstandard_attr("HttpOnly")

    # Signed in at the domain: the next authorization needs no page.
    again, _ = _authorize(pool, browser, state="state-2")
    assert again.query["state"] == "state-2" and again.query["code"]

    # /logout with an unregistered logout_uri: an error page, no redirect, still signed in.
    query = urlencode({"client_id": pool.client_id, "logout_uri": "https://evil.example/"})
    refused = browser.get(f"{pool.endpoint_url}/logout?{query}")
    assert refused.response.status_code == 400 and refused.left_to is None
    query = urlencode({"client_id": pool.client_id, "logout_uri": LOGOUT})
    out = browser.get(f"{pool.endpoint_url}/logout?{query}")
    assert out.left_to == LOGOUT
    after, _ = _authorize(pool, browser, state="state-3")
    assert after.left_to is None and after.form("/login")


def test_client_credentials_for_a_client_that_allows_it(pool: Any, admin: Any) -> None:
    admin.create_resource_server(
        UserPoolId=pool.user_pool_id,
        Identifier="notes",
        Name="notes API",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read notes"}],
    )
    machine = admin.create_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientName="machine",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["notes/read"],
    )["UserPoolClient"]
    response = token_request(
        pool.endpoint_url,
        machine["ClientId"],
        machine["ClientSecret"],
        grant_type="client_credentials",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    claims = _verify(pool, body["access_token"])
    assert claims["scope"] == "notes/read" and claims["sub"] == machine["ClientId"]
    refused = token_request(
        pool.endpoint_url,
        machine["ClientId"],
        machine["ClientSecret"],
        grant_type="client_credentials",
        scope="openid",
    )
    assert refused.json()["error"] == "invalid_scope"
    web = token_request(
        pool.endpoint_url, pool.client_id, pool.client_secret, grant_type="client_credentials"
    )
    assert web.json()["error"] == "unauthorized_client"


def test_token_endpoint_takes_forms_only(pool: Any) -> None:
    response = requests.post(
        f"{pool.endpoint_url}/oauth2/token",
        data=json.dumps({"grant_type": "client_credentials"}),
        headers={"Content-Type": "application/json"},
        auth=(pool.client_id, pool.client_secret),
        timeout=10,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    wrong_method = requests.get(f"{pool.endpoint_url}/oauth2/token", timeout=10)
    assert wrong_method.status_code == 405


def test_userinfo_needs_a_bearer_token_with_openid(pool: Any, admin: Any) -> None:
    assert requests.get(f"{pool.endpoint_url}/oauth2/userInfo", timeout=10).status_code == 401
    email = _user(admin, pool, "scopes@example.com")
    code, verifier = _code(pool, email, scope="email")
    body = _redeem(pool, code, verifier).json()
    assert "id_token" not in body  # no openid scope: no ID token
    response = requests.get(
        f"{pool.endpoint_url}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


CRAFTED = [
    ("GET", "/oauth2/authorize", {"client_id": "\x00\xff", "redirect_uri": "javascript:alert(1)"}),
    ("GET", "/oauth2/authorize", {"client_id": "x" * 5000}),
    ("GET", "/oauth2/authorize", {"response_type": ["code", "token"], "client_id": ["a", "b"]}),
    ("POST", "/login", {"login_request": "../../etc", "_csrf": "x"}),
    ("POST", "/login/mfa", {"login_request": "", "code": "1" * 10000}),
    ("POST", "/login/provider", {"provider": "<script>"}),
    ("GET", "/oauth2/idpresponse", {"state": "\u2028", "code": "%00"}),
    ("POST", "/oauth2/token", {"grant_type": "authorization_code", "code": ["a", "b"]}),
    ("POST", "/oauth2/token", "grant_type=%FF%FE&code=%C0%AF&redirect_uri=%00"),
    ("POST", "/oauth2/revoke", {"token": "a.b.c"}),
    ("GET", "/oauth2/userInfo", {}),
    ("GET", "/logout", {"client_id": "", "logout_uri": "//evil.example"}),
    ("DELETE", "/oauth2/token", {}),
    ("PUT", "/login", {}),
]


@pytest.mark.parametrize(("method", "path", "params"), CRAFTED)
def test_crafted_input_gets_a_clear_refusal_and_no_redirect_off_site(
    pool: Any, method: str, path: str, params: dict[str, Any] | str
) -> None:
    send = {"params": params} if method in ("GET", "DELETE") else {"data": params}
    headers = {"Authorization": "Basic !!!not-base64"} if path == "/oauth2/token" else {}
    if isinstance(params, str):  # a raw form body: bytes that are not UTF-8, percent-encoded
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = requests.request(
        method,
        f"{pool.endpoint_url}{path}",
        allow_redirects=False,
        timeout=10,
        headers=headers,
        **send,  # type: ignore[arg-type]
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "Location" not in response.headers
    assert "Traceback" not in response.text


def test_a_temporary_password_is_replaced_on_the_page(pool: Any, admin: Any) -> None:
    email = "temporary@example.com"
    admin.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    browser = ManagedLogin(pool.endpoint_url)
    page, verifier = _authorize(pool, browser)
    asked = browser.submit(page, "/login", username=email, password=PASSWORD)
    assert asked.left_to is None and asked.form("/login/new-password")
    mismatch = browser.submit(
        asked, "/login/new-password", new_password="N3w-Pass!x", confirm_password="other"
    )
    assert mismatch.response.status_code == 400 and mismatch.error == "The passwords do not match."
    weak = browser.submit(
        mismatch, "/login/new-password", new_password="weakweak", confirm_password="weakweak"
    )
    assert weak.response.status_code == 400
    assert weak.error.startswith("Password did not conform with policy")
    chosen = "N3w-Battery-Staple!"
    done = browser.submit(weak, "/login/new-password", new_password=chosen, confirm_password=chosen)
    assert done.query["code"]
    user = admin.admin_get_user(UserPoolId=pool.user_pool_id, Username=email)
    assert user["UserStatus"] == "CONFIRMED"
    assert _redeem(pool, done.query["code"], verifier).status_code == 200


def test_mfa_is_set_up_on_the_page_when_the_pool_requires_it(
    private_cognito: Any, admin: Any
) -> None:
    required = private_cognito.provision(with_client_secret=True, CallbackURLs=[CALLBACK])
    email = _user(admin, required, "setup@example.com")
    browser = ManagedLogin(required.endpoint_url)
    page, _ = _authorize(required, browser)
    setup = browser.submit(page, "/login", username=email, password=PASSWORD)
    assert setup.left_to is None and setup.form("/login/mfa-setup")
    secret = forms_text(setup, "secret")
    assert f"secret={secret}" in forms_text(setup, "otpauth")
    wrong = browser.submit(setup, "/login/mfa-setup", code="000000")
    assert wrong.response.status_code == 400
    assert wrong.error == "Code mismatch and fail enable Software Token MFA"
    totp = pyotp.TOTP(secret)
    done = browser.submit(wrong, "/login/mfa-setup", code=totp.at(private_cognito.clock.now()))
    assert done.query["code"]
    user = admin.admin_get_user(UserPoolId=required.user_pool_id, Username=email)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]

    private_cognito.clock.advance(30)
    again = ManagedLogin(required.endpoint_url)
    page, _ = _authorize(required, again)
    asked = again.submit(page, "/login", username=email, password=PASSWORD)
    assert asked.form("/login/mfa")
    signed = again.submit(asked, "/login/mfa", code=totp.at(private_cognito.clock.now()))
    assert signed.query["code"]


def forms_text(page: Page, element_id: str) -> str:
    """The text of the ``<code id=...>`` element of a page."""
    text = page.response.text
    start = text.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return html.unescape(text[start : text.index("</code>", start)])


def test_email_mfa_on_the_page(private_cognito: Any, admin: Any) -> None:
    from bff.local_outbox import OutboxReader

    emailing = private_cognito.provision(
        with_client_secret=True,
        CallbackURLs=[CALLBACK],
        MfaConfiguration="OPTIONAL",
        AllowedOAuthScopes=["openid", "email", "aws.cognito.signin.user.admin"],
    )
    admin.set_user_pool_mfa_config(
        UserPoolId=emailing.user_pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Subject": "Your code", "Message": "Your code is {####}."},
    )
    email = _user(admin, emailing, "emailed@example.com")
    code, verifier = _code(emailing, email, scope="openid aws.cognito.signin.user.admin")
    access = _redeem(emailing, code, verifier).json()["access_token"]
    admin.set_user_mfa_preference(
        AccessToken=access, EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
    )

    browser = ManagedLogin(emailing.endpoint_url)
    page, _ = _authorize(emailing, browser, scope="openid email")
    asked = browser.submit(page, "/login", username=email, password=PASSWORD)
    assert asked.left_to is None and asked.form("/login/email-mfa")
    assert "Code we emailed to" in asked.response.text
    wrong = browser.submit(asked, "/login/email-mfa", code="000000")
    assert wrong.response.status_code == 400 and wrong.error == "Invalid code received for user"
    sent = OutboxReader(emailing.endpoint_url).latest_email_otp(email)
    done = browser.submit(wrong, "/login/email-mfa", code=sent)
    assert done.query["code"]


def test_a_client_with_no_sign_in_option_gets_an_error_page(pool: Any, admin: Any) -> None:
    bare = admin.create_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientName="bare",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=[CALLBACK],
    )["UserPoolClient"]
    page, _ = _authorize(
        pool, ManagedLogin(pool.endpoint_url), client_id=bare["ClientId"], scope="openid"
    )
    assert page.response.status_code == 400 and page.left_to is None
    assert "no sign-in option" in page.response.text
