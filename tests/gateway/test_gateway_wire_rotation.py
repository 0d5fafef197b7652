"""The gateway against app clients that rotate refresh tokens: COGNITO_REFRESH_ROTATION,
GetTokensFromRefreshToken with and without a client secret, and what a gateway that was not
told gets from such a client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from gateway_wire_support import gateway_for, set_up_mfa, sign_up_confirmed

from bff import errors
from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import CognitoSettings, SettingsError
from bff.local_outbox import OutboxReader
from local_cognito import LocalCognito, LocalCognitoInfo

ROTATING = {"RefreshTokenRotation": "ENABLED", "RefreshTokenRetryGracePeriodSeconds": "10"}


@pytest.fixture(scope="module")
def rotating_cognito() -> Iterator[LocalCognito]:
    """A local Cognito of this module's own: the tests move its clock."""
    server = LocalCognito()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=[False, True], ids=["no_secret", "with_secret"])
def pool(rotating_cognito: LocalCognito, request: pytest.FixtureRequest) -> LocalCognitoInfo:
    return rotating_cognito.provision(with_client_secret=request.param, parameters=ROTATING)


@pytest.mark.parametrize(
    ("raw", "expected"), [("", False), ("false", False), ("0", False), ("true", True), ("ON", True)]
)
def test_the_setting_is_read_from_the_environment(raw: str, expected: bool) -> None:
    environ = {"COGNITO_REFRESH_ROTATION": raw}
    assert CognitoSettings.from_env(environ).refresh_rotation is expected


def test_a_setting_that_is_not_a_flag_is_refused() -> None:
    with pytest.raises(SettingsError, match="COGNITO_REFRESH_ROTATION must be true or false"):
        CognitoSettings.from_env({"COGNITO_REFRESH_ROTATION": "sometimes"})


def test_the_local_pool_says_whether_its_client_rotates(
    pool: LocalCognitoInfo, local_cognito: LocalCognitoInfo
) -> None:
    assert pool.as_environment()["COGNITO_REFRESH_ROTATION"] == "true"
    assert CognitoSettings.from_env(pool.as_environment()).refresh_rotation is True
    assert local_cognito.as_environment()["COGNITO_REFRESH_ROTATION"] == "false"
    assert gateway_for(pool).refresh_rotation is True


def test_refresh_rotates_and_the_old_token_ends_after_the_grace_period(
    rotating_cognito: LocalCognito, pool: LocalCognitoInfo, unique_email: str
) -> None:
    gateway = gateway_for(pool)
    sign_up_confirmed(gateway, OutboxReader(pool.endpoint_url), unique_email)
    user = set_up_mfa(gateway, unique_email, clock=rotating_cognito.clock)
    tokens, device = user.setup.tokens, user.setup.new_device
    assert tokens is not None and tokens.refresh_token and device is not None
    gateway.confirm_device(tokens.access_token, device, device_name="laptop")

    refresh: Any = dict(username=user.username, device_key=device.device_key)
    first = gateway.refresh_tokens(tokens.refresh_token, **refresh).tokens
    assert first is not None and first.refresh_token not in (None, tokens.refresh_token)
    assert gateway.get_user(first.access_token).username
    rotating_cognito.clock.advance(11)
    with pytest.raises(errors.NotAuthorized):
        gateway.refresh_tokens(tokens.refresh_token, **refresh)
    assert first.refresh_token is not None
    second = gateway.get_tokens_from_refresh_token(
        first.refresh_token, device_key=device.device_key
    ).tokens
    assert second is not None and second.refresh_token not in (None, first.refresh_token)

    # A gateway not told that the client rotates uses REFRESH_TOKEN_AUTH, which this
    # client does not allow: Cognito refuses it.
    settings = dataclasses.replace(pool.cognito_settings(), refresh_rotation=False)
    unaware = CognitoGateway.from_settings(settings)
    assert second.refresh_token is not None
    with pytest.raises(errors.InvalidParameter):
        unaware.refresh_tokens(second.refresh_token, **refresh)
