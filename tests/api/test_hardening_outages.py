"""Outages are 503 with Retry-After, within one bound, and leave nothing half-done.

Real faults only: a loopback proxy in front of the local Cognito that blackholes, delays or
answers 500; a closed port; a private redis-server frozen with SIGSTOP and killed; a SQLite
file held under an exclusive lock. No test asserts a duration: each asserts what the client
got and what reached Cognito (the proxy counts every request it received). The waits are
measured by tests/benchmarks/outages.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import ADMIN_KEY, SpaClient, error_of, flow_of
from flask import Flask

from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock
from tests.support.faults import FaultProxy, RedisProcess, closed_port, private_redis, sqlite_locked
from tests.support.passwords import PASSWORD
from tests.support.totp import fresh_totp

__all__ = ["private_redis"]  # the fixture, used by name below


@pytest.fixture
def proxy(local_cognito: LocalCognitoInfo) -> Iterator[FaultProxy]:
    fault = FaultProxy(local_cognito.endpoint_url)
    yield fault
    fault.close()


def confirmed_user(cognito_client: Any, info: LocalCognitoInfo, email: str) -> None:
    """A confirmed user with a permanent password and no MFA yet (sign-in → MFA_SETUP)."""
    cognito_client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito_client.admin_set_user_password(
        UserPoolId=info.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )


def outage(response: Any, code: str) -> dict[str, Any]:
    error = error_of(response, 503)
    assert error["code"] == code, error
    assert int(response.headers["Retry-After"]) > 0
    return error


def sign_in(spa: SpaClient, email: str) -> Any:
    return spa.post("/api/sign-in", {"username": email, "password": PASSWORD})


def test_closed_port_is_503_with_retry_after(make_app: Any, unique_email: str) -> None:
    app = make_app(COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}")
    outage(sign_in(SpaClient(app.test_client()), unique_email), "cognito_unavailable")


def test_a_blackholed_cognito_is_one_try_then_503(
    make_app: Any, proxy: FaultProxy, unique_email: str
) -> None:
    app = make_app(
        COGNITO_ENDPOINT_URL=proxy.url, COGNITO_READ_TIMEOUT="0.5", COGNITO_CONNECT_TIMEOUT="0.5"
    )
    proxy.mode = "blackhole"
    outage(sign_in(SpaClient(app.test_client()), unique_email), "cognito_unavailable")
    # InitiateAuth is not idempotent: a read timeout is never sent again.
    assert proxy.actions == ["InitiateAuth"]


def test_one_request_shares_one_deadline_across_its_cognito_calls(
    make_app: Any, proxy: FaultProxy, cognito_client: Any, local_cognito: LocalCognitoInfo,
    unique_email: str,
) -> None:  # fmt: skip
    # Each answer comes 1.2 s late, under the 2 s read timeout, so no single call times out;
    # a sign-in to MFA_SETUP makes two calls (InitiateAuth, AssociateSoftwareToken), 2.4 s
    # in all, past the request's deadline of 2 + 0.1 s: the second call is cut off.
    confirmed_user(cognito_client, local_cognito, unique_email)
    app = make_app(
        COGNITO_ENDPOINT_URL=proxy.url, COGNITO_READ_TIMEOUT="2", COGNITO_CONNECT_TIMEOUT="0.1"
    )
    proxy.delay = 1.2
    error = outage(sign_in(SpaClient(app.test_client()), unique_email), "cognito_unavailable")
    assert error["details"]["reason"] == "deadline_exceeded"
    assert "cognito_code" not in error["details"]  # Cognito never answered
    assert proxy.actions == ["InitiateAuth", "AssociateSoftwareToken"]
    # Without the delay the same sign-in goes through (the limit was the deadline).
    proxy.delay = 0
    assert flow_of(sign_in(SpaClient(app.test_client()), unique_email))["state"] == "MFA_SETUP"


def test_cognitos_own_500_is_503_never_502(
    make_app: Any, proxy: FaultProxy, unique_email: str
) -> None:
    app = make_app(COGNITO_ENDPOINT_URL=proxy.url)
    proxy.mode = "error500"
    error = outage(sign_in(SpaClient(app.test_client()), unique_email), "cognito_unavailable")
    assert error["details"]["cognito_code"] == "InternalErrorException"
    assert proxy.actions == ["InitiateAuth"]  # not idempotent: not retried
    # A read-only action is retried (COGNITO_MAX_ATTEMPTS=3), then 503 too.
    proxy.actions.clear()
    response = app.test_client().get("/api/admin/users", headers={"X-Admin-Key": ADMIN_KEY})
    outage(response, "cognito_unavailable")
    assert proxy.actions == ["ListUsers"] * 3


def _to_mfa_setup(spa: SpaClient, cognito_client: Any, info: LocalCognitoInfo, email: str) -> str:
    confirmed_user(cognito_client, info, email)
    flow = flow_of(sign_in(spa, email))
    assert flow["state"] == "MFA_SETUP"
    return str(flow["data"]["secret"])


def test_a_frozen_then_killed_redis_is_503_and_the_flow_continues_after(
    make_app: Any, private_redis: RedisProcess, cognito_client: Any,
    local_cognito: LocalCognitoInfo, unique_email: str, cognito_clock: Clock,
) -> None:  # fmt: skip
    app = make_app(
        store_url=private_redis.url, BFF_STORE_TIMEOUT_SECONDS="0.5", BFF_RATELIMIT_ENABLED="true"
    )
    spa = SpaClient(app.test_client())
    secret = _to_mfa_setup(spa, cognito_client, local_cognito, unique_email)
    used: set[str] = set()

    private_redis.freeze()  # SIGSTOP: connections hang, nothing answers
    try:
        code = fresh_totp(secret, used, cognito_clock)
        outage(spa.post("/api/sign-in/mfa-setup", {"code": code}), "store_unavailable")
        outage(spa.get("/api/flow"), "store_unavailable")
    finally:
        private_redis.thaw()
    flow = flow_of(
        spa.post("/api/sign-in/mfa-setup", {"code": fresh_totp(secret, used, cognito_clock)})
    )
    assert flow["state"] == "AUTHENTICATED"

    private_redis.kill()  # connections refused
    outage(spa.get("/api/me"), "store_unavailable")
    outage(sign_in(spa, unique_email), "store_unavailable")
    private_redis.start()  # an empty Redis: the session is gone, the app answers again
    assert error_of(spa.get("/api/me"), 401)["code"] == "not_signed_in"


def test_a_locked_sqlite_file_is_503_and_the_flow_continues_after(
    make_app: Any,
    cognito_client: Any,
    local_cognito: LocalCognitoInfo,
    unique_email: str,
    cognito_clock: Clock,
) -> None:
    app: Flask = make_app(BFF_STORE_TIMEOUT_SECONDS="0.3")
    spa = SpaClient(app.test_client())
    secret = _to_mfa_setup(spa, cognito_client, local_cognito, unique_email)
    used: set[str] = set()
    with sqlite_locked(app.extensions["bff"]["store"].path):
        code = fresh_totp(secret, used, cognito_clock)
        outage(spa.post("/api/sign-in/mfa-setup", {"code": code}), "store_unavailable")
    flow = flow_of(
        spa.post("/api/sign-in/mfa-setup", {"code": fresh_totp(secret, used, cognito_clock)})
    )
    assert flow["state"] == "AUTHENTICATED"
    assert flow_of(spa.get("/api/flow"))["state"] == "AUTHENTICATED"
