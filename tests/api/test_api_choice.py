"""Choice-based sign-in through the BFF's HTTP API against the local Cognito: the start
with and without a preferred factor, SELECT_CHALLENGE, passwords (plain and SRP), emailed
codes as a first factor and as MFA, and what an unknown user sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import SpaClient, error_of, flow_of
from flask import Flask

from tests.support.choice_pool import ChoicePool, confirmed_user, create_choice_pool
from tests.support.passwords import PASSWORD


@pytest.fixture(scope="module")
def choice_pool(cognito_client: Any) -> ChoicePool:
    return create_choice_pool(cognito_client)


@pytest.fixture
def choice_app(make_app: Callable[..., Flask], choice_pool: ChoicePool) -> Flask:
    return make_app(
        COGNITO_USER_POOL_ID=choice_pool.user_pool_id, COGNITO_CLIENT_ID=choice_pool.client_id
    )


@pytest.fixture
def spa(choice_app: Flask) -> SpaClient:
    return SpaClient(choice_app.test_client())


@pytest.fixture
def user(cognito_client: Any, choice_pool: ChoicePool, unique_email: str) -> str:
    confirmed_user(cognito_client, choice_pool, unique_email)
    return unique_email


def test_start_offers_the_factors_then_a_password_signs_in(spa: SpaClient, user: str) -> None:
    flow = flow_of(spa.post("/api/sign-in/choice", {"username": user}))
    assert flow["state"] == "SELECT_CHALLENGE"
    assert flow["data"]["factors"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    assert "choose_factor" in flow["next_steps"]
    refused = spa.post("/api/sign-in/factor", {"factor": "PASSWORD", "password": "Wrong-pa55!"})
    assert error_of(refused, 401)["code"] == "not_authorized"
    # A wrong password keeps the choice open.
    flow = flow_of(spa.post("/api/sign-in/factor", {"factor": "PASSWORD", "password": PASSWORD}))
    assert flow["state"] == "AUTHENTICATED"
    assert spa.get("/api/me").status_code == 200


def test_password_srp_factor_signs_in(spa: SpaClient, user: str) -> None:
    flow_of(spa.post("/api/sign-in/choice", {"username": user}))
    body = {"factor": "PASSWORD_SRP", "password": PASSWORD}
    flow = flow_of(spa.post("/api/sign-in/factor", body))
    assert flow["state"] == "AUTHENTICATED"


def test_preferred_password_at_the_start(spa: SpaClient, user: str) -> None:
    body = {"username": user, "factor": "PASSWORD", "password": PASSWORD}
    flow = flow_of(spa.post("/api/sign-in/choice", body))
    assert flow["state"] == "AUTHENTICATED"


def test_a_password_factor_without_a_password_is_422(spa: SpaClient, user: str) -> None:
    response = spa.post("/api/sign-in/choice", {"username": user, "factor": "PASSWORD"})
    assert response.status_code == 422
    assert "password" in str(response.get_json())


def test_email_code_signs_in_without_a_password(spa: SpaClient, user: str, outbox: Any) -> None:
    flow = flow_of(spa.post("/api/sign-in/choice", {"username": user, "factor": "EMAIL_OTP"}))
    assert flow["state"] == "EMAIL_OTP"
    assert "email_code" in flow["next_steps"]
    assert flow["data"]["destination"].startswith(user[0])
    code = outbox.latest_email_otp(user)
    wrong = "000000" if code != "000000" else "111111"
    assert error_of(spa.post("/api/sign-in/email-code", {"code": wrong}), 400)
    flow = flow_of(spa.post("/api/sign-in/email-code", {"code": code}))
    assert flow["state"] == "AUTHENTICATED"
    assert spa.get("/api/me").get_json()["user"]["email"] == user


def test_email_code_chosen_at_select_challenge(spa: SpaClient, user: str, outbox: Any) -> None:
    flow_of(spa.post("/api/sign-in/choice", {"username": user}))
    flow = flow_of(spa.post("/api/sign-in/factor", {"factor": "EMAIL_OTP"}))
    assert flow["state"] == "EMAIL_OTP"
    flow = flow_of(spa.post("/api/sign-in/email-code", {"code": outbox.latest_email_otp(user)}))
    assert flow["state"] == "AUTHENTICATED"


def test_three_wrong_codes_end_the_sign_in(spa: SpaClient, user: str, outbox: Any) -> None:
    flow_of(spa.post("/api/sign-in/choice", {"username": user, "factor": "EMAIL_OTP"}))
    code = outbox.latest_email_otp(user)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [spa.post("/api/sign-in/email-code", {"code": wrong}).status_code for _ in range(3)]
    assert statuses[:2] == [400, 400]
    assert statuses[2] == 401
    flow = spa.get("/api/flow").get_json()["flow"]
    assert flow["state"] == "EXPIRED"
    assert "sign_in_choice" in flow["next_steps"]


def test_an_unknown_user_is_answered_like_anyone(spa: SpaClient, unique_email: str) -> None:
    flow = flow_of(spa.post("/api/sign-in/choice", {"username": unique_email}))
    assert flow["state"] == "SELECT_CHALLENGE" and flow["data"]["factors"]
    flow = flow_of(
        spa.post("/api/sign-in/choice", {"username": unique_email, "factor": "EMAIL_OTP"})
    )
    assert flow["state"] == "EMAIL_OTP"
    assert error_of(spa.post("/api/sign-in/email-code", {"code": "123456"}), 400)


def test_email_mfa_after_the_password(
    spa: SpaClient, user: str, outbox: Any, cognito_client: Any, choice_app: Flask
) -> None:
    flow = flow_of(
        spa.post(
            "/api/sign-in/choice", {"username": user, "factor": "PASSWORD", "password": PASSWORD}
        )
    )
    assert flow["state"] == "AUTHENTICATED"
    record = choice_app.extensions["bff"]["store"].sessions.get(spa.cookie())
    access_token = record["tokens"]["access_token"]
    cognito_client.set_user_mfa_preference(
        AccessToken=access_token, EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    other = SpaClient(choice_app.test_client())
    flow = flow_of(other.post("/api/sign-in", {"username": user, "password": PASSWORD}))
    assert flow["state"] == "EMAIL_OTP"
    flow = flow_of(other.post("/api/sign-in/email-code", {"code": outbox.latest_email_otp(user)}))
    assert flow["state"] == "AUTHENTICATED"


def test_the_account_reads_the_sign_in_factors(
    spa: SpaClient, user: str, cognito_client: Any, choice_app: Flask
) -> None:
    body = {"username": user, "factor": "PASSWORD", "password": PASSWORD}
    flow = flow_of(spa.post("/api/sign-in/choice", body))
    assert "auth_factors" in flow["next_steps"]
    read = flow_of(spa.get("/api/account/factors"))
    assert read["state"] == "AUTHENTICATED"
    assert read["data"]["auth_factors"] == {
        "configured": ["PASSWORD", "EMAIL_OTP"],
        "mfa_enabled": [],
        "mfa_preferred": None,
    }
    record = choice_app.extensions["bff"]["store"].sessions.get(spa.cookie())
    cognito_client.set_user_mfa_preference(
        AccessToken=record["tokens"]["access_token"],
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    factors = flow_of(spa.get("/api/account/factors"))["data"]["auth_factors"]
    assert factors["mfa_enabled"] == ["EMAIL_OTP"] and factors["mfa_preferred"] == "EMAIL_OTP"


def test_the_sign_in_factors_need_a_signed_in_session(spa: SpaClient) -> None:
    assert error_of(spa.get("/api/account/factors"), 401)["code"] == "not_signed_in"


def test_a_wrong_password_with_srp_keeps_the_choice_open(spa: SpaClient, user: str) -> None:
    flow_of(spa.post("/api/sign-in/choice", {"username": user}))
    wrong = {"factor": "PASSWORD_SRP", "password": "Wrong-pa55!"}
    assert error_of(spa.post("/api/sign-in/factor", wrong), 401)["code"] == "not_authorized"
    assert spa.get("/api/flow").get_json()["flow"]["state"] == "SELECT_CHALLENGE"
    right = {"factor": "PASSWORD_SRP", "password": PASSWORD}
    assert flow_of(spa.post("/api/sign-in/factor", right))["state"] == "AUTHENTICATED"
