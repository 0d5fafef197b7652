"""The API rows of docs/security.md's checklist (6, 8, 11, 13, 14, 15, 16, 18, 19, 21, 24) and
the error shapes (422, 409, 404, 405, 415), on the real app against the local Cognito."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from api_helpers import (
    ADMIN_KEY,
    SpaClient,
    error_of,
    flow_of,
    session_record,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from bff.app import create_app
from bff.cognito.gateway import CognitoGateway
from bff.flows import signin
from bff.flows.steps import STEP_NAMES
from local_cognito.clock import Clock
from statemachine.challenges import SOFTWARE_TOKEN_MFA
from tests.support.passwords import PASSWORD
from tests.support.totp import fresh_totp, totp_code

STEP_ROUTES = [
    "/api/sign-up",
    "/api/sign-up/confirm",
    "/api/sign-up/resend-code",
    "/api/sign-in",
    "/api/sign-in/new-password",
    "/api/sign-in/mfa-setup",
    "/api/sign-in/mfa",
    "/api/sign-in/remember-device",
    "/api/sign-out",
    "/api/session/refresh",
]
ADMIN_ROUTES = [
    ("GET", "/api/admin/users"),
    ("POST", "/api/admin/users"),
    ("GET", "/api/admin/users/someone@example.com"),
    ("POST", "/api/admin/users/someone@example.com/resend-temporary-password"),
    ("GET", "/api/admin/flows/some-flow/journal"),
]


def _state_changing_rules(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            path = rule.rule.replace("<string:", "<").replace("<", "").replace(">", "")
            found.append((method, path))
    return found


def test_row6_every_state_changing_route_needs_the_csrf_header(app: Flask) -> None:
    client = app.test_client()
    routes = _state_changing_rules(app)
    assert len(routes) >= 14
    for method, path in routes:
        response = client.open(path, method=method, json={})
        if path == "/api/webhooks/pandadoc":
            # The one exemption: server-to-server, authenticated by its HMAC signature.
            assert error_of(response, 401)["code"] == "invalid_signature"
            continue
        assert error_of(response, 403)["code"] == "csrf_required", (method, path)


@pytest.mark.parametrize("path", STEP_ROUTES)
def test_row8_get_on_a_step_route_is_405(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_row11_new_session_id_at_sign_in_and_each_privilege_change(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    before_sign_in = spa.cookie()
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    at_sign_in = spa.cookie()
    assert at_sign_in and at_sign_in != before_sign_in
    code = fresh_totp(flow["data"]["secret"], set(), cognito_clock)
    flow_of(spa.post("/api/sign-in/mfa-setup", {"code": code}))
    after_mfa = spa.cookie()
    assert after_mfa and after_mfa != at_sign_in
    store = app.extensions["bff"]["store"]
    assert store.sessions.get(before_sign_in) is None
    assert store.sessions.get(at_sign_in) is None
    old = SpaClient(app.test_client())
    old.set_cookie("bff_session", at_sign_in)
    error_of(old.get("/api/me"), 401)
    assert spa.get("/api/me").status_code == 200


def test_row11_new_session_id_after_new_password(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str
) -> None:
    admin = app.test_client()
    admin.post("/api/admin/users", json={"email": unique_email},
               headers={"X-CSRF": "1", "X-Admin-Key": ADMIN_KEY})  # fmt: skip
    temporary = outbox.latest_temporary_password(unique_email)
    flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": temporary}))
    before = spa.cookie()
    flow = flow_of(spa.post("/api/sign-in/new-password", {"new_password": PASSWORD + "x"}))
    assert flow["state"] == "MFA_SETUP"
    assert spa.cookie() != before
    assert app.extensions["bff"]["store"].sessions.get(before) is None


def test_row13_sign_out_kills_the_session_and_revokes_at_cognito(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    cognito_clock: Clock,
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    record = session_record(app, spa)
    assert record is not None
    access = record["tokens"]["access_token"]
    refresh = record["tokens"]["refresh_token"]
    assert cognito_client.get_user(AccessToken=access)["Username"] == unique_email
    cookie = spa.cookie()

    assert spa.post("/api/sign-out", {}).status_code == 200
    stale = SpaClient(app.test_client())
    stale.set_cookie("bff_session", cookie or "")
    assert error_of(stale.get("/api/me"), 401)["code"] == "not_signed_in"
    with pytest.raises(cognito_client.exceptions.NotAuthorizedException):
        cognito_client.get_user(AccessToken=access)
    with pytest.raises(cognito_client.exceptions.NotAuthorizedException):
        cognito_client.initiate_auth(
            ClientId=app.extensions["bff"]["gateway"].client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        )


def test_row14_a_failed_refresh_ends_the_session(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    cognito_clock: Clock,
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    refreshed = spa.post("/api/session/refresh", {})
    assert refreshed.status_code == 200, refreshed.get_json()
    assert refreshed.get_json()["user"]["cognito:username"] == unique_email

    record = session_record(app, spa)
    assert record is not None
    # Revoked behind the BFF's back (another tab signed out everywhere, an admin...).
    cognito_client.global_sign_out(AccessToken=record["tokens"]["access_token"])
    error = error_of(spa.post("/api/session/refresh", {}), 401)
    assert error["code"] == "session_expired"
    assert app.extensions["bff"]["store"].sessions.get(record["sid"]) is None
    error_of(spa.get("/api/me"), 401)


def test_row15_steps_in_order_single_use_and_expiring(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    store_clock: Any,
    cognito_clock: Clock,
) -> None:
    used: set[str] = set()
    # A step with no flow at all.
    assert error_of(spa.post("/api/sign-in/mfa", {"code": "123456"}), 404)["code"] == "no_flow"
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "MFA_SETUP"

    # Skipped / out-of-order steps: 409 with the state and what is allowed instead.
    for path, body in (
        ("/api/sign-in/mfa", {"code": "123456"}),
        ("/api/sign-in/new-password", {"new_password": PASSWORD}),
        ("/api/sign-up/confirm", {"code": "123456"}),
    ):
        error = error_of(spa.post(path, body), 409)
        assert error["code"] == "illegal_step"
        assert error["details"] == {
            "state": "MFA_SETUP",
            "allowed_steps": ["sign_in", "sign_in_choice", "mfa_setup_verify", "sign_out"],
        }

    # A wrong code is an attempt, not the end: the step can be retried.
    wrong = error_of(spa.post("/api/sign-in/mfa-setup", {"code": "000000"}), 400)
    assert wrong["code"] == "code_mismatch"
    secret = flow["data"]["secret"]
    flow = flow_of(
        spa.post("/api/sign-in/mfa-setup", {"code": fresh_totp(secret, used, cognito_clock)})
    )
    assert flow["state"] == "AUTHENTICATED"
    # Replayed step: refused.
    replay = error_of(
        spa.post("/api/sign-in/mfa-setup", {"code": totp_code(secret, clock=cognito_clock)}), 409
    )
    assert replay["code"] == "illegal_step"

    # Expiry: a challenge flow outlives Cognito's 3-minute session only as EXPIRED.
    spa.post("/api/sign-out", {})
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    store_clock.advance(181)
    expired = error_of(
        spa.post("/api/sign-in/mfa", {"code": fresh_totp(secret, used, cognito_clock)}), 401
    )
    assert expired["code"] == "session_expired"
    assert flow_of(spa.get("/api/flow"))["state"] == "EXPIRED"
    assert flow_of(spa.get("/api/flow"))["next_steps"] == [
        "sign_in",
        "sign_in_choice",
        "forgot_password",
        "sign_out",
    ]
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"


class CountingGateway(CognitoGateway):
    """The real gateway, counting SOFTWARE_TOKEN_MFA answers (how many reached Cognito)."""

    mfa_calls = 0
    lock = threading.Lock()

    def respond(self, challenge: str, *args: Any, **kwargs: Any) -> Any:
        if challenge == SOFTWARE_TOKEN_MFA:
            with self.lock:
                type(self).mfa_calls += 1
        return super().respond(challenge, *args, **kwargs)


def test_row16_concurrent_submissions_advance_the_flow_once(
    make_app: Any, local_cognito: Any, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    from bff.cognito.settings import make_cognito_client

    settings = local_cognito.cognito_settings()
    gateway = CountingGateway(
        make_cognito_client(settings),
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
    )
    app = make_app(gateway=gateway)
    spa = SpaClient(app.test_client())
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    secret = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)["secret"]
    spa.post("/api/sign-out", {})
    flow_id = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))[
        "id"
    ]
    cookie = spa.cookie() or ""
    code = fresh_totp(secret, used, cognito_clock)
    CountingGateway.mfa_calls = 0

    n = 8
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def submit() -> None:
        client = app.test_client()
        client.set_cookie("bff_session", cookie)
        barrier.wait()
        response = client.post("/api/sign-in/mfa", json={"code": code}, headers={"X-CSRF": "1"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One winner. The others are refused: 409 when they read the flow before it advanced;
    # 404 no_flow when they arrived after the winner's sign-in rotated the session id
    # (their cookie names a session that no longer exists).
    assert statuses.count(200) == 1, statuses
    assert all(s in (409, 404) for s in statuses if s != 200), statuses
    assert statuses.count(409) >= 1, statuses
    assert CountingGateway.mfa_calls == 1
    flow = app.extensions["bff"]["store"].flows.load(flow_id)
    assert flow.state == "AUTHENTICATED"
    assert [e.trigger for e in flow.journal].count("authenticated") == 1


def test_row18_unknown_user_and_wrong_password_look_the_same(
    spa: SpaClient, outbox: Any, unique_email: str
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    wrong = spa.post("/api/sign-in", {"username": unique_email, "password": "Wr0ng-password!"})
    unknown = spa.post(
        "/api/sign-in", {"username": "nobody-" + unique_email, "password": "Wr0ng-password!"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_data() == unknown.get_data()
    assert wrong.get_json()["error"]["code"] == "not_authorized"


def test_row19_a_totp_code_works_once(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    secret = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)["secret"]
    spa.post("/api/sign-out", {})
    flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    code = fresh_totp(secret, used, cognito_clock)
    assert flow_of(spa.post("/api/sign-in/mfa", {"code": code}))["state"] == "AUTHENTICATED"
    spa.post("/api/sign-out", {})
    flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    again = error_of(spa.post("/api/sign-in/mfa", {"code": code}), 400)
    assert again["code"] == "expired_code"
    assert flow_of(spa.get("/api/flow"))["state"] == "SOFTWARE_TOKEN_MFA"


def test_row21_an_unexpected_exception_is_a_generic_500(
    app: Flask, spa: SpaClient, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database exploded at /srv/secret/path line 42")

    monkeypatch.setattr(signin, "sign_in", boom)
    response = spa.post("/api/sign-in", {"username": "a@example.com", "password": PASSWORD})
    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    text = response.get_data(as_text=True)
    assert "exploded" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert "Traceback" in caplog.text or "RuntimeError" in caplog.text


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_row24_admin_routes_deny_by_default(
    make_app: Any, app: Flask, method: str, path: str
) -> None:
    client = app.test_client()
    headers = {"X-CSRF": "1"}
    body = {"email": "someone@example.com"} if method == "POST" else None
    missing = client.open(path, method=method, json=body, headers=headers)
    assert error_of(missing, 401)["code"] == "admin_key_required"
    wrong = client.open(path, method=method, json=body, headers={**headers, "X-Admin-Key": "no"})
    assert error_of(wrong, 403)["code"] == "admin_forbidden"
    nearly = ADMIN_KEY[:-1] + "j"
    wrong = client.open(path, method=method, json=body, headers={**headers, "X-Admin-Key": nearly})
    assert error_of(wrong, 403)["code"] == "admin_forbidden"
    disabled = make_app(BFF_ADMIN_API_KEY="").test_client()
    off = disabled.open(path, method=method, json=body,
                        headers={**headers, "X-Admin-Key": ADMIN_KEY})  # fmt: skip
    assert error_of(off, 403)["code"] == "admin_disabled"


def test_row24_every_admin_rule_of_the_url_map_is_covered(app: Flask) -> None:
    """Deny by default holds for routes added later: every /api/admin rule answers 401."""
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/admin"):
            continue
        path = re.sub(r"<[^>]+>", "x", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={}, headers={"X-CSRF": "1"})
            assert error_of(response, 401)["code"] == "admin_key_required", (method, path)
            checked += 1
    assert checked == len(ADMIN_ROUTES)


def test_validation_errors_are_422_with_fields(spa: SpaClient) -> None:
    unknown = error_of(spa.post("/api/sign-in", {"username": "a", "password": "b", "x": 1}), 422)
    assert unknown["code"] == "invalid_input"
    assert "x" in unknown["details"]["fields"]
    missing = error_of(spa.post("/api/sign-up", {"password": PASSWORD}), 422)
    assert "email" in missing["details"]["fields"]
    bad_code = error_of(spa.post("/api/sign-in/mfa", {"code": "12ab56"}), 422)
    assert "code" in bad_code["details"]["fields"]


def test_not_found_method_and_media_type_errors_are_json(app: Flask) -> None:
    client = app.test_client()
    assert error_of(client.get("/api/nothing-here"), 404)["code"] == "not_found"
    assert error_of(client.delete("/api/me", headers={"X-CSRF": "1"}), 405)["code"] == (
        "method_not_allowed"
    )
    plain = client.post("/api/sign-in", data="username=a", content_type="text/plain",
                        headers={"X-CSRF": "1"})  # fmt: skip
    assert error_of(plain, 415)["code"] == "unsupported_media_type"
    not_json = client.post("/api/sign-in", data="{nope", content_type="application/json",
                           headers={"X-CSRF": "1"})  # fmt: skip
    assert error_of(not_json, 400)["code"] == "invalid_json"


#: POST routes without a rate limit, each for a reason: the caller is already signed in
#: and guesses nothing (sign-out, refresh, remembering the device), or is a server holding
#: a key (admin routes, the HMAC-signed webhook).
NOT_RATE_LIMITED = (
    "/api/sign-out",
    "/api/oauth/sign-out",
    "/api/session/refresh",
    "/api/sign-in/remember-device",
    "/api/account/sign-out-everywhere",
    "/api/admin/",
    "/api/webhooks/",
)


def _proxied(app: Flask) -> tuple[str, ...]:
    """The remote APIs' prefixes: their POSTs go to the upstream, which limits its own."""
    return tuple(api.prefix for api in app.extensions["bff"]["settings"].remote_apis)


def test_every_other_post_route_of_the_url_map_is_rate_limited(make_app: Any) -> None:
    """Walks the url_map, so a step added later is covered without being listed here."""
    limits = {
        f"BFF_RATELIMIT_{name}": "1 per minute" for name in ("SIGN_IN", "MFA", "SIGN_UP", "RESEND")
    }
    app = make_app(BFF_RATELIMIT_ENABLED="true", **limits)
    routes = [
        path
        for method, path in _state_changing_rules(app)
        if method == "POST"
        and path.startswith("/api/")
        and not path.startswith(NOT_RATE_LIMITED + _proxied(app))
    ]
    assert {"/api/password/forgot", "/api/password/reset", "/api/account/password"} <= set(routes)
    for path in routes:
        spa = SpaClient(app.test_client())
        spa.post(path, {"username": "limited@example.com"})
        assert error_of(spa.post(path, {"username": "limited@example.com"}), 429), path


def test_rate_limit_applies_to_sign_in(make_app: Any) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_SIGN_IN="2 per minute")
    spa = SpaClient(app.test_client())
    body = {"username": "limited@example.com", "password": "Wr0ng-password!"}
    assert [spa.post("/api/sign-in", body).status_code for _ in range(2)] == [401, 401]
    limited = spa.post("/api/sign-in", body)
    assert error_of(limited, 429)["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0


def test_openapi_document_and_page(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/sign-in/mfa" in spec["paths"]
    sign_in = spec["paths"]["/api/sign-in"]["post"]
    assert "requestBody" in sign_in and "200" in sign_in["responses"]
    schemas = spec["components"]["schemas"]
    assert {"FlowResponse", "Error", "SignIn"} <= set(schemas)
    page = client.get("/docs")
    assert page.status_code == 200 and b"/docs/docs.js" in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/docs/docs.js").status_code == 200


def test_step_names_cover_the_steps_the_api_serves() -> None:
    assert STEP_NAMES == (
        "sign_up",
        "confirm",
        "resend_code",
        "sign_in",
        "sign_in_choice",
        "forgot_password",
        "reset_password",
        "resend_temporary_password",
        "new_password",
        "mfa_setup_verify",
        "mfa_code",
        "sms_mfa_code",
        "select_mfa_type",
        "choose_factor",
        "email_code",
        "sms_code",
        "passkey_assertion",
        "remember_device",
        "change_password",
        "mfa_status",
        "auth_factors",
        "replace_authenticator",
        "verify_authenticator",
        "set_mfa_preference",
        "sign_out",
        "sign_out_everywhere",
    )


def test_production_config_is_refused(local_cognito: Any, tmp_path: Any) -> None:
    from bff.config import ConfigError

    with pytest.raises(ConfigError, match="BFF_SECRET_KEY"):
        create_app(
            {
                "COGNITO_USER_POOL_ID": local_cognito.user_pool_id,
                "COGNITO_CLIENT_ID": local_cognito.client_id,
                "BFF_SECRET_KEY": "short",
                "instance_path": str(tmp_path),
            }
        )
