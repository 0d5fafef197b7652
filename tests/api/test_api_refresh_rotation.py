"""The BFF with an app client that rotates refresh tokens (COGNITO_REFRESH_ROTATION, set
from the local pool): each refresh, asked for or done when the access token has expired,
stores the new refresh token; the replaced one stops working after the grace period; a
refused refresh ends the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import (
    SpaClient,
    error_of,
    session_record,
    settings_for,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from bff.app import create_app
from bff.local_outbox import OutboxReader
from local_cognito import LocalCognito, LocalCognitoInfo, make_boto3_client
from tests.support.clock import StoreClock


@pytest.fixture(scope="module")
def rotating_cognito() -> Iterator[LocalCognito]:
    """A local Cognito of this module's own: the tests move its clock."""
    server = LocalCognito()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pool(rotating_cognito: LocalCognito) -> LocalCognitoInfo:
    parameters = {"RefreshTokenRotation": "ENABLED", "RefreshTokenRetryGracePeriodSeconds": "10"}
    return rotating_cognito.provision(parameters=parameters)


@pytest.fixture
def store_clock() -> StoreClock:
    return StoreClock()


@pytest.fixture
def app(pool: LocalCognitoInfo, tmp_path: Path, store_clock: StoreClock) -> Iterator[Flask]:
    # An idle limit past the access token's hour: the test waits that hour out.
    config = settings_for(pool, tmp_path, clock=store_clock, BFF_SESSION_IDLE_SECONDS="7200")
    built = create_app(config)
    yield built
    built.extensions["bff"]["store"].close()


def _refresh_token(app: Flask, spa: SpaClient) -> str:
    record = session_record(app, spa)
    assert record is not None
    token: str = record["tokens"]["refresh_token"]
    return token


def _refused_at_cognito(pool: LocalCognitoInfo, token: str, device_key: str) -> str:
    client = make_boto3_client(pool)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_tokens_from_refresh_token(
            RefreshToken=token, ClientId=pool.client_id, DeviceKey=device_key
        )
    code: str = caught.value.response["Error"]["Code"]
    return code


def test_each_refresh_stores_the_new_refresh_token(
    app: Flask,
    pool: LocalCognitoInfo,
    rotating_cognito: LocalCognito,
    store_clock: StoreClock,
    unique_email: str,
) -> None:
    assert app.extensions["bff"]["gateway"].refresh_rotation is True
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, OutboxReader(pool.endpoint_url), unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), rotating_cognito.clock)
    record = session_record(app, spa)
    assert record is not None
    signed_in, device_key = record["tokens"]["refresh_token"], record["device_key"]

    assert spa.post("/api/session/refresh", {}).status_code == 200
    first = _refresh_token(app, spa)
    assert first != signed_in
    # Past the grace period the replaced token is refused at Cognito; the session's works.
    rotating_cognito.clock.advance(11)
    assert _refused_at_cognito(pool, signed_in, device_key) == "RefreshTokenReuseException"

    # An expired access token is refreshed on the next request, and rotated again.
    store_clock.advance(3601)
    assert spa.get("/api/me").status_code == 200
    second = _refresh_token(app, spa)
    assert second not in (signed_in, first)
    rotating_cognito.clock.advance(11)
    assert _refused_at_cognito(pool, first, device_key) == "RefreshTokenReuseException"
    assert spa.post("/api/session/refresh", {}).status_code == 200


def test_a_refused_refresh_ends_the_session(
    app: Flask, pool: LocalCognitoInfo, rotating_cognito: LocalCognito, unique_email: str
) -> None:
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, OutboxReader(pool.endpoint_url), unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), rotating_cognito.clock)
    make_boto3_client(pool).revoke_token(Token=_refresh_token(app, spa), ClientId=pool.client_id)
    assert error_of(spa.post("/api/session/refresh", {}), 401)["code"] == "session_expired"
    assert session_record(app, spa) is None
