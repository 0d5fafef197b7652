"""Choice-based sign-in keeps the sign-in delay whole: a password given as a factor at
SELECT_CHALLENGE counts per username like one given at sign-in, and a start that proves no
password (factors offered, an emailed code chosen) never resets what wrong passwords
counted. The counters' clock stands still (the store's, frozen), so no delay ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import SpaClient, error_of, flow_of
from flask import Flask

from tests.support.choice_pool import ChoicePool, confirmed_user, create_choice_pool
from tests.support.clock import FakeClock
from tests.support.passwords import PASSWORD

WRONG = "Wrong-Passw0rd!"


@pytest.fixture(scope="module")
def choice_pool(cognito_client: Any) -> ChoicePool:
    return create_choice_pool(cognito_client)


@pytest.fixture
def choice_app(make_app: Callable[..., Flask], choice_pool: ChoicePool) -> Flask:
    return make_app(
        COGNITO_USER_POOL_ID=choice_pool.user_pool_id,
        COGNITO_CLIENT_ID=choice_pool.client_id,
        BFF_RATELIMIT_ENABLED="true",
        BFF_SIGN_IN_FREE_FAILURES="3",
        clock=FakeClock(),
    )


@pytest.fixture
def user(cognito_client: Any, choice_pool: ChoicePool, unique_email: str) -> str:
    confirmed_user(cognito_client, choice_pool, unique_email)
    return unique_email


def _browser(app: Flask, address: str) -> SpaClient:
    spa = SpaClient(app.test_client())
    spa.client.environ_base["REMOTE_ADDR"] = address
    return spa


def test_wrong_passwords_at_select_challenge_are_delayed_per_username(
    choice_app: Flask, user: str
) -> None:
    statuses = []
    for i in range(6):  # each guess from a new browser and address: a new sign-in
        spa = _browser(choice_app, f"198.51.100.{i}")
        start = spa.post("/api/sign-in/choice", {"username": user})
        if start.status_code == 429:
            statuses.append(error_of(start, 429)["code"])
            continue
        assert flow_of(start)["state"] == "SELECT_CHALLENGE"
        guess = spa.post("/api/sign-in/factor", {"factor": "PASSWORD", "password": WRONG})
        statuses.append(guess.get_json()["error"]["code"])
    # The third failure arms the delay: every try after it waits, at the start or at the
    # factor, whichever browser it comes from.
    assert statuses == ["not_authorized"] * 3 + ["sign_in_delayed"] * 3


def test_a_start_that_proves_no_password_resets_nothing(choice_app: Flask, user: str) -> None:
    def sign_in(address: str, password: str) -> Any:
        return _browser(choice_app, address).post(
            "/api/sign-in", {"username": user, "password": password}
        )

    assert [sign_in(f"198.51.100.{i}", WRONG).status_code for i in range(2)] == [401, 401]
    # A stranger's start (no password) and an emailed code chosen: both succeed.
    stranger = _browser(choice_app, "198.51.100.50")
    assert flow_of(stranger.post("/api/sign-in/choice", {"username": user}))
    chosen = stranger.post("/api/sign-in/choice", {"username": user, "factor": "EMAIL_OTP"})
    assert flow_of(chosen)["state"] == "EMAIL_OTP"
    # The count went on: the third wrong password arms the delay.
    assert sign_in("198.51.100.3", WRONG).status_code == 401
    delayed = sign_in("198.51.100.4", PASSWORD)
    assert error_of(delayed, 429)["code"] == "sign_in_delayed"


def test_a_right_password_as_a_factor_resets_the_count(choice_app: Flask, user: str) -> None:
    spa = _browser(choice_app, "198.51.100.1")
    for _ in range(2):
        spa.post("/api/sign-in/choice", {"username": user})
        assert (
            spa.post("/api/sign-in/factor", {"factor": "PASSWORD", "password": WRONG}).status_code
            == 401
        )
    flow_of(spa.post("/api/sign-in/choice", {"username": user}))
    right = spa.post("/api/sign-in/factor", {"factor": "PASSWORD", "password": PASSWORD})
    assert flow_of(right)["state"] == "AUTHENTICATED"
    # Two more wrong ones are free again (the third would arm the delay).
    other = _browser(choice_app, "198.51.100.2")
    for _ in range(2):
        other.post("/api/sign-in/choice", {"username": user})
        assert (
            other.post("/api/sign-in/factor", {"factor": "PASSWORD", "password": WRONG}).status_code
            == 401
        )
