"""No one can lock a stranger out: per username only failed passwords count, a success
resets them, and the delay grows (1, 2, 4... seconds) to a cap; per-address limits stay."""

from __future__ import annotations

from typing import Any

from api_helpers import error_of, flow_of
from flask import Flask

from bff.security import failure_delay
from local_cognito import LocalCognitoInfo
from tests.support.clock import StoreClock
from tests.support.passwords import PASSWORD

CAP = 2


def _from(app: Flask, address: str, username: str, password: str) -> Any:
    return app.test_client().post(
        "/api/sign-in",
        json={"username": username, "password": password},
        headers={"X-CSRF": "1"},
        environ_base={"REMOTE_ADDR": address},
    )


def _user(cognito_client: Any, info: LocalCognitoInfo, email: str) -> None:
    cognito_client.admin_create_user(
        UserPoolId=info.user_pool_id, Username=email, TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS", UserAttributes=[{"Name": "email", "Value": email}],
    )  # fmt: skip
    cognito_client.admin_set_user_password(
        UserPoolId=info.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )


def test_the_delays_grow_to_the_cap() -> None:
    assert [failure_delay(n, 5, 60) for n in range(1, 14)] == [
        0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60,
    ]  # fmt: skip


def test_after_an_attack_from_many_addresses_the_user_signs_in_within_the_cap(
    make_app: Any, cognito_client: Any, local_cognito: LocalCognitoInfo, unique_email: str,
    store_clock: StoreClock,
) -> None:  # fmt: skip
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_SIGN_IN_DELAY_CAP_SECONDS=str(CAP))
    _user(cognito_client, local_cognito, unique_email)
    statuses = [
        _from(app, f"198.51.100.{i}", unique_email, "Wrong-Passw0rd!").status_code
        for i in range(1, 31)
    ]
    assert set(statuses) <= {401, 429} and 429 in statuses  # the attack was slowed down
    # The real user, from a new address, with the right password: at most one wait of at
    # most the cap, then in.
    response = _from(app, "203.0.113.7", unique_email, PASSWORD)
    if response.status_code == 429:
        wait = int(response.headers["Retry-After"])
        assert wait <= CAP
        store_clock.advance(wait)  # the counters follow the store's clock
        response = _from(app, "203.0.113.7", unique_email, PASSWORD)
    assert flow_of(response)["state"] == "MFA_SETUP"
    # The success reset the count: the next failure costs nothing yet.
    assert _from(app, "203.0.113.8", unique_email, "Wrong-Passw0rd!").status_code == 401
    assert _from(app, "203.0.113.8", unique_email, PASSWORD).status_code == 200


def test_per_address_limits_stay(make_app: Any, unique_email: str) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_SIGN_IN="3 per minute")
    statuses = [
        _from(app, "192.0.2.1", f"{i}-{unique_email}", "Wrong-Passw0rd!").status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_successes_never_count(
    make_app: Any, cognito_client: Any, local_cognito: LocalCognitoInfo, unique_email: str
) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_SIGN_IN="100 per minute")
    _user(cognito_client, local_cognito, unique_email)
    for i in range(12):  # more sign-ins than the old per-username limit of 10 a minute
        assert _from(app, f"192.0.2.{i}", unique_email, PASSWORD).status_code == 200
    error = error_of(_from(app, "192.0.2.99", unique_email, "nope-Passw0rd!"), 401)
    assert error["code"] == "not_authorized"
