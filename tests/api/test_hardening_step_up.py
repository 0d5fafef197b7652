"""Step-up on account changes: a stolen session alone changes neither the password nor the
authenticator app.

Both ask for the current password; wrong ones count against the session (three, see
bff/security/step_up.py) whatever address they come from, and the third ends the session:
its tokens are revoked at Cognito, the flow is SIGNED_OUT. Before, 30 wrong current
passwords from 30 addresses were all answered 400 and never counted, and replacing the
authenticator asked for nothing.
"""

from __future__ import annotations

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

from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import make_cognito_client
from bff.security.step_up import FAILURES
from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock
from tests.support.passwords import NEW_PASSWORD, PASSWORD

WRONG = "Wr0ng-password!"
CHANGE = "/api/account/password"
REPLACE = "/api/account/mfa/authenticator"


def _signed_in(app: Flask, outbox: Any, email: str, clock: Clock) -> tuple[SpaClient, str]:
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, email)
    flow = sign_in_through_mfa_setup(spa, email, set(), clock)
    return spa, flow["id"]


def _triggers(app: Flask, flow_id: str) -> list[str]:
    answer = app.test_client().get(
        f"/api/admin/flows/{flow_id}/journal", headers={"X-Admin-Key": ADMIN_KEY}
    )
    return [entry["trigger"] for entry in answer.get_json()["journal"]]


def _from(spa: SpaClient, address: str, path: str, body: dict[str, Any]) -> Any:
    return spa.post(path, body, environ_base={"REMOTE_ADDR": address})


def _refused_at_cognito(
    cognito_client: Any, info: LocalCognitoInfo, tokens: dict[str, Any]
) -> bool:
    try:
        cognito_client.initiate_auth(
            ClientId=info.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
        )
    except cognito_client.exceptions.NotAuthorizedException:
        return True
    return False


@pytest.mark.parametrize("rate_limits", ["true", "false"])
def test_wrong_current_passwords_from_many_addresses_end_the_session(
    make_app: Any, outbox: Any, unique_email: str, cognito_clock: Clock, cognito_client: Any,
    local_cognito: LocalCognitoInfo, rate_limits: str,
) -> None:  # fmt: skip
    # The step-up budget holds with the rate limits on or off (they count per address).
    app = make_app(BFF_RATELIMIT_ENABLED=rate_limits)
    spa, flow_id = _signed_in(app, outbox, unique_email, cognito_clock)
    tokens = (session_record(app, spa) or {})["tokens"]
    answers = [
        _from(spa, f"203.0.113.{i}", CHANGE, {"previous_password": WRONG,
                                              "new_password": NEW_PASSWORD})
        for i in range(30)
    ]  # fmt: skip
    first = [error_of(answer, 400) for answer in answers[: FAILURES - 1]]
    assert [e["code"] for e in first] == ["incorrect_password"] * (FAILURES - 1)
    assert [e["details"]["attempts_left"] for e in first] == list(range(FAILURES - 1, 0, -1))
    assert first[0]["details"]["fields"]["previous_password"]
    ended = error_of(answers[FAILURES - 1], 401)
    assert ended["code"] == "step_up_failed"
    assert {error_of(a, 401)["code"] for a in answers[FAILURES:]} == {"not_signed_in"}
    assert spa.cookie() is None and session_record(app, spa) is None
    assert _refused_at_cognito(cognito_client, local_cognito, tokens)
    triggers = _triggers(app, flow_id)
    assert triggers[-1] == "signed_out"
    assert triggers.count("credentials_rejected") == FAILURES
    # The password did not change: the user signs in with it (MFA asked).
    again = spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD})
    assert flow_of(again)["state"] == "SOFTWARE_TOKEN_MFA"


def test_a_right_password_resets_the_count_and_other_errors_do_not_count(
    app: Flask, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    spa, _ = _signed_in(app, outbox, unique_email, cognito_clock)
    wrong = {"previous_password": WRONG, "new_password": NEW_PASSWORD}
    for _ in range(FAILURES - 1):
        assert error_of(spa.post(CHANGE, wrong), 400)["code"] == "incorrect_password"
    # A weak new password is not a wrong current one: it costs nothing.
    weak = {"previous_password": PASSWORD, "new_password": "short"}
    for _ in range(3):
        assert error_of(spa.post(CHANGE, weak), 400)["code"] == "invalid_password"
    last = error_of(spa.post(CHANGE, wrong), 401)
    assert last["code"] == "step_up_failed"  # the two wrong ones still counted

    spa, _ = _signed_in(app, outbox, unique_email.replace("@", "-2@"), cognito_clock)
    for _ in range(FAILURES - 1):
        assert error_of(spa.post(CHANGE, wrong), 400)["code"] == "incorrect_password"
    body = {"previous_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert flow_of(spa.post(CHANGE, body))["data"]["password_changed"] is True
    wrong = {"previous_password": PASSWORD, "new_password": NEW_PASSWORD}  # now the old one
    answers = [error_of(spa.post(CHANGE, wrong), 400) for _ in range(FAILURES - 1)]
    assert [a["details"]["attempts_left"] for a in answers] == list(range(FAILURES - 1, 0, -1))


class CountingGateway(CognitoGateway):
    """The real gateway, counting the current-password checks that reach Cognito."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checks = 0
        self.lock = threading.Lock()

    def change_password(self, access_token: str, previous: str, proposed: str) -> None:
        with self.lock:
            self.checks += 1
        super().change_password(access_token, previous, proposed)


def test_a_burst_of_wrong_current_passwords_gets_no_more_tries(
    make_app: Any, local_cognito: LocalCognitoInfo, outbox: Any, unique_email: str,
    cognito_clock: Clock,
) -> None:  # fmt: skip
    settings = local_cognito.cognito_settings()
    gateway = CountingGateway(
        make_cognito_client(settings),
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
    )
    app = make_app(gateway=gateway)
    spa, _ = _signed_in(app, outbox, unique_email, cognito_clock)
    cookie = spa.cookie()
    n = 16
    barrier = threading.Barrier(n)
    codes: list[str] = []

    def guess(i: int) -> None:
        client = app.test_client()
        client.set_cookie("bff_session", cookie or "")
        barrier.wait()
        answer = client.post(
            CHANGE,
            json={"previous_password": f"{WRONG}{i}", "new_password": NEW_PASSWORD},
            headers={"X-CSRF": "1"},
        )
        codes.append(answer.get_json()["error"]["code"])

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gateway.checks <= FAILURES  # reserved before Cognito was asked
    assert codes.count("incorrect_password") <= FAILURES - 1
    assert "step_up_failed" in codes
    # The rest find the session ended: deleted here, or its tokens revoked at Cognito.
    assert set(codes) <= {
        "incorrect_password",
        "step_up_failed",
        "not_signed_in",
        "session_expired",
    }
    assert error_of(spa.get("/api/me"), 401)["code"] == "not_signed_in"


def test_replacing_the_authenticator_needs_the_current_password(
    app: Flask, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    spa, flow_id = _signed_in(app, outbox, unique_email, cognito_clock)
    assert error_of(spa.post(REPLACE, {}), 422)["details"]["fields"]["password"]
    wrong = error_of(spa.post(REPLACE, {"password": WRONG}), 400)
    assert wrong["code"] == "incorrect_password"
    assert wrong["details"]["fields"]["password"] and wrong["details"]["attempts_left"] == 2
    assert "secret" not in flow_of(spa.get("/api/flow"))["data"]
    started = flow_of(spa.post(REPLACE, {"password": PASSWORD}))
    assert started["data"]["secret"] and "verify_authenticator" in started["next_steps"]
    assert _triggers(app, flow_id)[-2:] == ["credentials_rejected", "software_token_associated"]


def test_the_budget_is_shared_by_both_steps(
    app: Flask, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    spa, _ = _signed_in(app, outbox, unique_email, cognito_clock)
    body = {"previous_password": WRONG, "new_password": NEW_PASSWORD}
    for _ in range(FAILURES - 1):
        assert error_of(spa.post(CHANGE, body), 400)["code"] == "incorrect_password"
    assert error_of(spa.post(REPLACE, {"password": WRONG}), 401)["code"] == "step_up_failed"
    assert error_of(spa.post(REPLACE, {"password": PASSWORD}), 401)["code"] == "not_signed_in"
