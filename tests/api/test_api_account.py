"""The signed-in user's own account through the HTTP API against the local Cognito: change
the password, the MFA status, replace the authenticator app, sign out everywhere; and the
flow read back with no flow."""

from __future__ import annotations

from typing import Any

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

from bff.cognito.totp import PERIOD
from local_cognito.clock import Clock
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.totp import CognitoClock, fresh_totp, totp_code

ADMIN = {"X-Admin-Key": ADMIN_KEY}


def second_browser(
    app: Flask, email: str, secret: str, used: set[str], clock: CognitoClock
) -> SpaClient:
    """Another browser signed in as the same user (MFA code asked)."""
    browser = SpaClient(app.test_client())
    flow = flow_of(browser.post("/api/sign-in", {"username": email, "password": PASSWORD}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    flow = flow_of(browser.post("/api/sign-in/mfa", {"code": fresh_totp(secret, used, clock)}))
    assert flow["state"] == "AUTHENTICATED"
    return browser


def steps_of(secret: str, codes: set[str], clock: CognitoClock) -> set[int]:
    """The absolute 30-second steps (around the local Cognito's now) whose code for
    ``secret`` is in ``codes``."""
    now = int(clock.now() // PERIOD)
    return {now + d for d in (-1, 0, 1) if totp_code(secret, d, clock=clock) in codes}


def code_at_unused_step(
    secret: str, used_steps: set[int], clock: CognitoClock, *, consume: bool = True
) -> str:
    """A code for ``secret`` at a step (now ±1 on the local Cognito's clock) no code of this
    user was accepted at: the local Cognito, like Cognito, accepts one code per step and user,
    whatever the secret."""
    now = int(clock.now() // PERIOD)
    for delta in (0, 1, -1):
        if now + delta not in used_steps:
            if consume:
                used_steps.add(now + delta)
            return totp_code(secret, delta, clock=clock)
    raise AssertionError("every step around now was used")


def journal_of(app: Flask, flow_id: str) -> list[dict[str, Any]]:
    answer = app.test_client().get(f"/api/admin/flows/{flow_id}/journal", headers=ADMIN)
    return answer.get_json()["journal"]  # type: ignore[no-any-return]


def last_trigger(app: Flask, flow_id: str) -> str:
    answer = app.test_client().get(f"/api/admin/flows/{flow_id}/journal", headers=ADMIN)
    return str(answer.get_json()["journal"][-1]["trigger"])


def test_change_password_checks_both_passwords_and_ends_the_other_sessions(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)
    other = second_browser(app, unique_email, flow["secret"], used, cognito_clock)

    wrong = {"previous_password": "Wr0ng-password!", "new_password": NEW_PASSWORD}
    error = error_of(spa.post("/api/account/password", wrong), 400)
    assert error["code"] == "incorrect_password"
    assert error["details"]["fields"]["previous_password"]
    weak = {"previous_password": PASSWORD, "new_password": "short"}
    error = error_of(spa.post("/api/account/password", weak), 400)
    assert error["code"] == "invalid_password" and error["details"]["fields"]["new_password"]

    before = spa.cookie()
    body = {"previous_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = flow_of(spa.post("/api/account/password", body))
    assert changed["state"] == "AUTHENTICATED" and changed["data"]["password_changed"] is True
    assert changed["data"]["sessions_ended"] == 1
    assert spa.cookie() != before  # a credential changed: new session id
    assert spa.get("/api/me").status_code == 200
    assert error_of(other.get("/api/me"), 401)["code"] == "not_signed_in"
    assert last_trigger(app, flow["id"]) == "password_changed"

    spa.post("/api/sign-out", {})
    again = spa.post("/api/sign-in", {"username": unique_email, "password": NEW_PASSWORD})
    assert flow_of(again)["state"] == "SOFTWARE_TOKEN_MFA"


def test_mfa_status_and_replacing_the_authenticator_app(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    old_secret = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)["secret"]

    before = journal_of(app, flow_of(spa.get("/api/flow"))["id"])
    status = flow_of(spa.get("/api/account/mfa"))
    assert status["data"]["mfa"] == {
        "enabled": ["SOFTWARE_TOKEN_MFA"],
        "preferred": "SOFTWARE_TOKEN_MFA",
        "authenticator_app": True,
        "factors": [
            {"factor": "SOFTWARE_TOKEN_MFA", "enabled": True, "preferred": True, "available": True},
            {"factor": "SMS_MFA", "enabled": False, "preferred": False, "available": False},
            {"factor": "EMAIL_OTP", "enabled": False, "preferred": False, "available": True},
        ],
    }
    assert status["state"] == "AUTHENTICATED" and "mfa_status" in status["next_steps"]
    assert journal_of(app, status["id"]) == before  # a read journals nothing

    used_steps = steps_of(old_secret, used, cognito_clock)
    started = flow_of(spa.post("/api/account/mfa/authenticator", {"password": PASSWORD}))
    new_secret = started["data"]["secret"]
    assert new_secret != old_secret and started["data"]["qr_svg"].startswith("<svg")
    assert "secret" not in flow_of(spa.get("/api/flow"))["data"]  # shown once
    wrong = spa.post("/api/account/mfa/authenticator/verify", {"code": "000000"})
    assert error_of(wrong, 400)["code"] == "code_mismatch"

    before = spa.cookie()
    code = code_at_unused_step(new_secret, used_steps, cognito_clock)
    done = flow_of(spa.post("/api/account/mfa/authenticator/verify", {"code": code}))
    assert done["data"]["authenticator_replaced"] is True
    assert spa.cookie() != before
    assert last_trigger(app, done["id"]) == "mfa_preference_set"

    spa.post("/api/sign-out", {})
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    # The old app's code at a step no code was accepted at: only the secret can fail it.
    old_code = code_at_unused_step(old_secret, used_steps, cognito_clock, consume=False)
    old = spa.post("/api/sign-in/mfa", {"code": old_code})
    assert error_of(old, 400)["code"] == "code_mismatch"
    new_code = code_at_unused_step(new_secret, used_steps, cognito_clock)
    flow = flow_of(spa.post("/api/sign-in/mfa", {"code": new_code}))
    assert flow["state"] == "AUTHENTICATED"


def test_sign_out_everywhere_ends_every_session_and_revokes_at_cognito(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    cognito_clock: Clock,
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)
    other = second_browser(app, unique_email, flow["secret"], used, cognito_clock)
    other_tokens = (session_record(app, other) or {})["tokens"]

    answer = spa.post("/api/account/sign-out-everywhere", {}).get_json()
    assert answer["signed_out"] is True and answer["sessions_ended"] == 2
    assert answer["flow"]["state"] == "SIGNED_OUT"
    assert spa.cookie() is None
    for browser in (spa, other):
        assert error_of(browser.get("/api/me"), 401)["code"] == "not_signed_in"
    assert last_trigger(app, flow["id"]) == "signed_out_everywhere"
    error = error_of(other.post("/api/session/refresh", {}), 401)
    assert error["code"] == "not_signed_in"
    try:
        cognito_client.get_user(AccessToken=other_tokens["access_token"])
    except cognito_client.exceptions.NotAuthorizedException:
        pass
    else:
        raise AssertionError("the other browser's access token still works at Cognito")


def test_signing_out_one_browser_leaves_the_others_signed_in(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    cognito_clock: Clock,
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)
    other = second_browser(app, unique_email, flow["secret"], used, cognito_clock)
    assert spa.post("/api/sign-out", {}).get_json()["flow"]["state"] == "SIGNED_OUT"
    assert last_trigger(app, flow["id"]) == "signed_out"
    assert other.get("/api/me").status_code == 200
    tokens = (session_record(app, other) or {})["tokens"]
    assert cognito_client.get_user(AccessToken=tokens["access_token"])["Username"]


def test_account_steps_need_a_signed_in_browser(spa: SpaClient) -> None:
    assert error_of(spa.get("/api/account/mfa"), 401)["code"] == "not_signed_in"
    body = {"previous_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert error_of(spa.post("/api/account/password", body), 401)["code"] == "not_signed_in"
    answer = spa.post("/api/account/sign-out-everywhere", {})
    assert error_of(answer, 401)["code"] == "not_signed_in"


def test_the_flow_of_a_fresh_browser_is_null(spa: SpaClient) -> None:
    answer = spa.get("/api/flow")
    assert answer.status_code == 200 and answer.get_json() == {"flow": None}


def test_the_openapi_document_is_markdown_not_restructuredtext(app: Flask) -> None:
    document = app.test_client().get("/api/openapi.json").get_data(as_text=True)
    assert "``" not in document


def test_a_revoked_access_token_ends_the_session_at_the_next_account_step(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    cognito_clock: Clock,
) -> None:
    """Signed out everywhere by another client (GlobalSignOut at Cognito): the next account
    step answers session_expired, and this browser's session ends with it."""
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    tokens = (session_record(app, spa) or {})["tokens"]
    cognito_client.global_sign_out(AccessToken=tokens["access_token"])
    before = journal_of(app, flow["id"])
    assert error_of(spa.get("/api/account/mfa"), 401)["code"] == "session_expired"
    assert spa.cookie() is None
    assert error_of(spa.get("/api/me"), 401)["code"] == "not_signed_in"
    # The session ended; the read wrote nothing to the flow (reads are not transitions).
    assert journal_of(app, flow["id"]) == before
    body = {"previous_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert error_of(spa.post("/api/account/password", body), 401)["code"] == "not_signed_in"
