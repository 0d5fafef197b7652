"""Account recovery through the HTTP API against the local Cognito: forgot password, an
administrator's reset, an expired temporary password. Codes and passwords come from the
local Cognito's outbox; every error the steps can answer is checked, with the state kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_helpers import (
    ADMIN_KEY,
    SpaClient,
    error_of,
    flow_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from bff_tools.local_clock import LocalClock
from local_cognito.clock import Clock
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.totp import fresh_totp

ADMIN = {"X-Admin-Key": ADMIN_KEY, "X-CSRF": "1"}
MASKED = re.compile(r"[a-z]\*\*\*@[a-z]\*\*\*")
TEMPORARY_PASSWORD_EXPIRED = "Temporary password has expired and must be reset by an administrator."


def advance_cognito_clock(local_cognito: Any, seconds: float) -> None:
    """Move the local Cognito's clock (codes, temporary passwords, TOTP steps)."""
    LocalClock(local_cognito.endpoint_url).advance(seconds)


def journal_triggers(app: Flask, flow_id: str) -> list[str]:
    answer = app.test_client().get(f"/api/admin/flows/{flow_id}/journal", headers=ADMIN)
    return [entry["trigger"] for entry in answer.get_json()["journal"]]


def test_forgot_password_reset_ends_the_users_sessions_and_keeps_mfa(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    secret = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)["secret"]
    assert spa.get("/api/me").status_code == 200

    other = SpaClient(app.test_client())  # another browser: the user forgot the password
    flow = flow_of(other.post("/api/password/forgot", {"username": unique_email}))
    assert flow["state"] == "RESET_CODE_SENT"
    assert flow["next_steps"] == [
        "sign_in",
        "sign_in_choice",
        "forgot_password",
        "reset_password",
        "sign_out",
    ]
    assert flow["data"]["code_delivery"]["medium"] == "EMAIL"
    assert MASKED.fullmatch(flow["data"]["code_delivery"]["destination"])
    code = outbox.latest_reset_code(unique_email)

    wrong = "000000" if code != "000000" else "111111"
    body = {"code": wrong, "new_password": NEW_PASSWORD}
    assert error_of(other.post("/api/password/reset", body), 400)["code"] == "code_mismatch"
    assert flow_of(other.get("/api/flow"))["state"] == "RESET_CODE_SENT"
    weak = error_of(other.post("/api/password/reset", {"code": code, "new_password": "short"}), 400)
    assert weak["code"] == "invalid_password"
    assert weak["details"]["fields"]["new_password"], weak
    assert flow_of(other.get("/api/flow"))["state"] == "RESET_CODE_SENT"

    flow = flow_of(other.post("/api/password/reset", {"code": code, "new_password": NEW_PASSWORD}))
    assert flow["state"] == "CONFIRMED" and flow["data"]["password_reset"] is True
    assert flow["data"]["sessions_ended"] == 1
    # The browser that was signed in with the old password is signed out.
    assert error_of(spa.get("/api/me"), 401)["code"] == "not_signed_in"
    assert journal_triggers(app, flow["id"]) == [
        "reset_code_sent",
        "code_rejected",
        "password_rejected",
        "password_reset",
    ]

    old = error_of(
        other.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}), 401
    )
    assert old["code"] == "not_authorized"
    # The MFA setting stays as Cognito leaves it: the authenticator app is still asked for.
    flow = flow_of(other.post("/api/sign-in", {"username": unique_email, "password": NEW_PASSWORD}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    flow = flow_of(
        other.post("/api/sign-in/mfa", {"code": fresh_totp(secret, used, cognito_clock)})
    )
    assert flow["state"] == "AUTHENTICATED"


def test_an_unknown_user_gets_the_same_forgot_password_answer(
    spa: SpaClient, outbox: Any, unique_email: str
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    known = flow_of(SpaClient(spa.client.application.test_client()).post(
        "/api/password/forgot", {"username": unique_email}))  # fmt: skip
    nobody = "nobody-" + unique_email
    unknown = flow_of(spa.post("/api/password/forgot", {"username": nobody}))
    for flow in (known, unknown):
        assert flow["state"] == "RESET_CODE_SENT"
        assert set(flow["data"]) == {"username", "code_delivery"}
        assert flow["data"]["code_delivery"]["medium"] == "EMAIL"
        assert flow["data"]["code_delivery"]["attribute"] == "email"
        assert MASKED.fullmatch(flow["data"]["code_delivery"]["destination"])
    assert outbox.messages(to=nobody) == []
    # A code for the unknown user is simply wrong.
    answer = spa.post("/api/password/reset", {"code": "123456", "new_password": NEW_PASSWORD})
    assert error_of(answer, 400)["code"] == "code_mismatch"


def test_an_unconfirmed_user_gets_the_same_forgot_password_answer(
    spa: SpaClient, outbox: Any, unique_email: str
) -> None:
    """No verified email: Cognito says InvalidParameterException; the client is not told."""
    flow_of(spa.post("/api/sign-up", {"email": unique_email, "password": PASSWORD}))
    flow = flow_of(spa.post("/api/password/forgot", {"username": unique_email}))
    assert flow["state"] == "RESET_CODE_SENT" and set(flow["data"]) == {
        "username",
        "code_delivery",
    }
    assert outbox.messages(to=unique_email, kind="password_reset_code") == []


def test_an_expired_reset_code_and_too_many_wrong_codes_keep_the_state(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, local_cognito: Any
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = flow_of(spa.post("/api/password/forgot", {"username": unique_email}))
    code = outbox.latest_reset_code(unique_email)
    advance_cognito_clock(local_cognito, 3601)  # reset codes live one hour
    body = {"code": code, "new_password": NEW_PASSWORD}
    expired = error_of(spa.post("/api/password/reset", body), 400)
    # Answered like a wrong code: "no code pending" would tell who has an account.
    assert expired["code"] == "code_mismatch"
    assert expired["message"] == "Invalid code provided, please request a code again."
    assert flow_of(spa.get("/api/flow"))["state"] == "RESET_CODE_SENT"
    assert journal_triggers(app, flow["id"])[-1] == "code_rejected"

    flow_of(spa.post("/api/password/forgot", {"username": unique_email}))  # a new code
    code = outbox.latest_reset_code(unique_email)
    wrong = {"code": "000000" if code != "000000" else "111111", "new_password": NEW_PASSWORD}
    answers = [spa.post("/api/password/reset", wrong) for _ in range(6)]
    # Cognito's limit (the sixth) never applies to an unknown user: answered alike.
    assert [error_of(a, 400)["code"] for a in answers] == ["code_mismatch"] * 6
    assert flow_of(spa.get("/api/flow"))["state"] == "RESET_CODE_SENT"
    triggers = journal_triggers(app, flow["id"])
    assert triggers[-1] == "attempts_exceeded" and triggers.count("code_rejected") == 6


def test_an_administrators_reset_sends_sign_in_to_the_reset_path(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_client: Any
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    gateway = app.extensions["bff"]["gateway"]
    gateway.admin_reset_user_password(unique_email)
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "RESET_CODE_SENT"
    assert flow["data"]["reason"] == "password_reset_required"
    assert "administrator reset your password" in flow["data"]["message"]
    assert "reset_password" in flow["next_steps"]
    code = outbox.latest_reset_code(unique_email)
    flow = flow_of(spa.post("/api/password/reset", {"code": code, "new_password": NEW_PASSWORD}))
    assert flow["state"] == "CONFIRMED"
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": NEW_PASSWORD}))
    assert flow["state"] == "MFA_SETUP"
    triggers = journal_triggers(app, flow["id"])
    assert triggers[-4:-1] == ["password_reset_required", "password_reset", "mfa_setup_required"]


def test_an_expired_temporary_password_has_its_error_and_a_self_service_resend(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, local_cognito: Any
) -> None:
    created = app.test_client().post(
        "/api/admin/users", json={"email": unique_email}, headers=ADMIN
    )
    assert created.status_code == 201
    first = outbox.latest_temporary_password(unique_email)
    advance_cognito_clock(local_cognito, 8 * 86400)  # TemporaryPasswordValidityDays: 7

    expired = spa.post("/api/sign-in", {"username": unique_email, "password": first})
    error = error_of(expired, 401)
    assert error["code"] == "temporary_password_expired"
    assert error["message"] == TEMPORARY_PASSWORD_EXPIRED
    assert error["details"]["state"] == "TEMPORARY_PASSWORD_EXPIRED"
    assert "resend_temporary_password" in error["details"]["next_steps"]
    # The browser's flow moved on with the error: a reload shows where it is.
    assert flow_of(spa.get("/api/flow"))["state"] == "TEMPORARY_PASSWORD_EXPIRED"

    body = {"username": unique_email}
    flow = flow_of(spa.post("/api/sign-in/resend-temporary-password", body))
    assert flow["state"] == "TEMPORARY_PASSWORD_SENT"
    assert flow["next_steps"] == [
        "sign_in",
        "sign_in_choice",
        "forgot_password",
        "resend_temporary_password",
        "sign_out",
    ]
    second = outbox.latest_temporary_password(unique_email)
    assert second != first
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": second}))
    assert flow["state"] == "NEW_PASSWORD_REQUIRED"
    assert journal_triggers(app, flow["id"]) == [
        "temporary_password_expired",
        "temporary_password_resent",
        "new_password_required",
    ]


@pytest.mark.parametrize("who", ["unknown", "confirmed"])
def test_resending_a_temporary_password_answers_the_same_for_anyone(
    spa: SpaClient, outbox: Any, unique_email: str, who: str
) -> None:
    if who == "confirmed":
        sign_up_and_confirm(SpaClient(spa.client.application.test_client()), outbox, unique_email)
    flow = flow_of(spa.post("/api/sign-in/resend-temporary-password", {"username": unique_email}))
    assert flow["state"] == "TEMPORARY_PASSWORD_SENT"
    assert flow["data"] == {"username": unique_email}
    assert outbox.messages(to=unique_email, kind="temporary_password") == []


@pytest.mark.parametrize(
    ("path", "body", "setting"),
    [
        ("/api/password/forgot", {"username": "limited@example.com"}, "BFF_RATELIMIT_RESEND"),
        (
            "/api/sign-in/resend-temporary-password",
            {"username": "limited@example.com"},
            "BFF_RATELIMIT_RESEND",
        ),
        (
            "/api/password/reset",
            {"code": "123456", "new_password": NEW_PASSWORD, "username": "limited@example.com"},
            "BFF_RATELIMIT_MFA",
        ),
    ],
)
def test_recovery_steps_are_rate_limited(
    make_app: Any, path: str, body: dict[str, Any], setting: str
) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", **{setting: "1 per minute"})
    spa = SpaClient(app.test_client())
    assert spa.post(path, body).status_code != 429
    limited = spa.post(path, body)
    assert error_of(limited, 429)["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0


def test_cognitos_limit_on_reset_codes_is_not_told(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str
) -> None:
    """Cognito refuses a sixth reset code within the hour (LimitExceededException), for
    existing users only: answering 429 would tell who has an account, so the answer is the
    usual one; the journal has it."""
    sign_up_and_confirm(spa, outbox, unique_email)
    answers = [spa.post("/api/password/forgot", {"username": unique_email}) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 6
    assert flow_of(answers[-1])["data"] == flow_of(answers[0])["data"]
    assert len(outbox.messages(to=unique_email, kind="password_reset_code")) == 5
    flow = flow_of(spa.get("/api/flow"))
    assert flow["state"] == "RESET_CODE_SENT"
    assert journal_triggers(app, flow["id"])[-2:] == ["attempts_exceeded", "reset_code_sent"]
