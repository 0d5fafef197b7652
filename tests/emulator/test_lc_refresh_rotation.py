"""Refresh-token rotation over the wire: the app client's RefreshTokenRotation setting,
GetTokensFromRefreshToken, the grace period on the local clock, and REFRESH_TOKEN_AUTH
refused while a client rotates. docs/local-cognito.md says which rules Cognito documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lc_support import cognito_error, confirmed_sign_in
from pycognito.aws_srp import generate_hash_device

from bff.cognito.gateway import secret_hash
from local_cognito import LocalCognito, LocalCognitoInfo, make_boto3_client
from local_cognito.rotation import TOKEN_ROTATED, USE_GET_TOKENS
from local_cognito.state import STATE_FILE
from tests.support.passwords import PASSWORD

ROTATING = {"RefreshTokenRotation": "ENABLED", "RefreshTokenRetryGracePeriodSeconds": "10"}
NO_MFA: dict[str, Any] = {"MfaConfiguration": "OFF", "DeviceConfiguration": None}


def _get_tokens(client: Any, info: LocalCognitoInfo, token: str, **extra: Any) -> dict[str, Any]:
    if info.client_secret:
        extra.setdefault("ClientSecret", info.client_secret)
    answer = client.get_tokens_from_refresh_token(
        RefreshToken=token, ClientId=info.client_id, **extra
    )
    result: dict[str, Any] = answer["AuthenticationResult"]
    return result


def _rotation(client: Any, info: LocalCognitoInfo) -> dict[str, Any]:
    described = client.describe_user_pool_client(
        UserPoolId=info.user_pool_id, ClientId=info.client_id
    )["UserPoolClient"]
    setting: dict[str, Any] = described["RefreshTokenRotation"]
    return setting


@pytest.fixture(scope="module")
def rotating(private_cognito: LocalCognito) -> LocalCognitoInfo:
    """A pool whose client rotates with a 10-second grace period, from the template."""
    return private_cognito.provision(parameters=ROTATING, **NO_MFA)


def test_the_template_sets_rotation_and_drops_refresh_token_auth(
    private_cognito: LocalCognito, rotating: LocalCognitoInfo
) -> None:
    client = make_boto3_client(rotating)
    assert _rotation(client, rotating) == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}
    flows = client.describe_user_pool_client(
        UserPoolId=rotating.user_pool_id, ClientId=rotating.client_id
    )["UserPoolClient"]["ExplicitAuthFlows"]
    assert "ALLOW_REFRESH_TOKEN_AUTH" not in flows
    # The template's default: no rotation.
    default = private_cognito.info
    assert _rotation(private_cognito.client(), default)["Feature"] == "DISABLED"


def test_rotation_gives_a_new_refresh_token_and_the_old_one_lasts_the_grace_period(
    private_cognito: LocalCognito, rotating: LocalCognitoInfo, unique_email: str
) -> None:
    client = make_boto3_client(rotating)
    first = confirmed_sign_in(client, rotating, unique_email)["RefreshToken"]
    rotated = _get_tokens(client, rotating, first)
    second = rotated["RefreshToken"]
    assert second != first
    assert client.get_user(AccessToken=rotated["AccessToken"])["Username"] == unique_email
    # A retry within the grace period (the answer was lost): new tokens again.
    private_cognito.clock.advance(9)
    retried = _get_tokens(client, rotating, first)
    assert retried["RefreshToken"] not in (first, second)
    # Past the 10 seconds counted from the first rotation: refused.
    private_cognito.clock.advance(2)
    assert cognito_error(_get_tokens, client, rotating, first) == (
        "RefreshTokenReuseException",
        TOKEN_ROTATED,
    )
    # The replacement rotates in turn, and the chain ends when the sign-in's refresh token
    # would have: 30 days (user-pool.yaml's RefreshTokenValidity) after the sign-in.
    third = _get_tokens(client, rotating, second)["RefreshToken"]
    private_cognito.clock.advance(30 * 86400)
    assert cognito_error(_get_tokens, client, rotating, third) == (
        "NotAuthorizedException",
        "Refresh Token has expired",
    )


def test_without_a_grace_period_the_old_token_is_refused_at_once(
    private_cognito: LocalCognito, unique_email: str
) -> None:
    info = private_cognito.provision(
        parameters={"RefreshTokenRotation": "ENABLED", "RefreshTokenRetryGracePeriodSeconds": "0"},
        **NO_MFA,
    )
    client = make_boto3_client(info)
    first = confirmed_sign_in(client, info, unique_email)["RefreshToken"]
    second = _get_tokens(client, info, first)["RefreshToken"]
    assert cognito_error(_get_tokens, client, info, first)[0] == "RefreshTokenReuseException"
    assert _get_tokens(client, info, second)["RefreshToken"]


def test_refresh_token_auth_is_refused_while_the_client_rotates(
    rotating: LocalCognitoInfo, unique_email: str
) -> None:
    client = make_boto3_client(rotating)
    token = confirmed_sign_in(client, rotating, unique_email)["RefreshToken"]

    def refresh() -> Any:
        return client.initiate_auth(
            ClientId=rotating.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": token},
        )

    # The template's rotating client does not allow the flow at all.
    assert cognito_error(refresh) == (
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )
    # A client that lists the flow and rotates is refused too, saying what to use.
    client.update_user_pool_client(
        UserPoolId=rotating.user_pool_id,
        ClientId=rotating.client_id,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
    )
    try:
        assert cognito_error(refresh) == ("InvalidParameterException", USE_GET_TOKENS)
    finally:
        client.update_user_pool_client(
            UserPoolId=rotating.user_pool_id,
            ClientId=rotating.client_id,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"],
            RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
        )


def test_without_rotation_get_tokens_keeps_the_refresh_token(
    local_cognito_server: LocalCognito, unique_email: str
) -> None:
    info = local_cognito_server.provision(**NO_MFA)
    client = make_boto3_client(info)
    token = confirmed_sign_in(client, info, unique_email)["RefreshToken"]
    for _ in range(2):
        result = _get_tokens(client, info, token, ClientMetadata={"source": "test"})
        assert "RefreshToken" not in result
        assert set(result) == {"AccessToken", "IdToken", "ExpiresIn", "TokenType"}
    # REFRESH_TOKEN_AUTH works as before on this client.
    refreshed = client.initiate_auth(
        ClientId=info.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": token},
    )
    assert "AccessToken" in refreshed["AuthenticationResult"]


def test_the_setting_is_checked_and_an_update_without_it_turns_it_off(
    local_cognito_server: LocalCognito,
) -> None:
    info = local_cognito_server.provision(**NO_MFA)
    client = make_boto3_client(info)
    ids = {"UserPoolId": info.user_pool_id, "ClientId": info.client_id}
    for setting, member in (
        ({"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}, "retryGracePeriodSeconds"),
        ({"Feature": "SOMETIMES"}, "feature"),
    ):
        code, message = cognito_error(
            client.update_user_pool_client, **ids, RefreshTokenRotation=setting
        )
        assert code == "InvalidParameterException"
        assert f"at 'refreshTokenRotation.{member}' failed to satisfy constraint" in message
        assert _rotation(client, info)["Feature"] == "DISABLED"  # nothing changed
    client.update_user_pool_client(**ids, RefreshTokenRotation={"Feature": "ENABLED"})
    assert _rotation(client, info) == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    # UpdateUserPoolClient sets what it is not given to its default (API reference).
    client.update_user_pool_client(**ids, ClientName="renamed")
    assert _rotation(client, info) == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
    # A client created without the setting is described as Cognito describes it.
    plain = client.create_user_pool_client(UserPoolId=info.user_pool_id, ClientName="plain")
    assert plain["UserPoolClient"]["RefreshTokenRotation"] == {
        "Feature": "DISABLED",
        "RetryGracePeriodSeconds": 0,
    }
    created = client.create_user_pool_client(
        UserPoolId=info.user_pool_id,
        ClientName="rotating",
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 60},
    )["UserPoolClient"]
    assert created["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}


def test_refusals_unknown_token_client_secret_device_and_revocation(
    local_cognito_server: LocalCognito, unique_email: str
) -> None:
    info = local_cognito_server.provision(
        with_client_secret=True,
        MfaConfiguration="OFF",
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 30},
    )
    client = make_boto3_client(info)
    # With a client secret, the user signs in with SECRET_HASH; refresh sends ClientSecret.
    assert info.client_secret is not None
    client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=unique_email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": unique_email}],
    )
    client.admin_set_user_password(
        UserPoolId=info.user_pool_id, Username=unique_email, Password=PASSWORD, Permanent=True
    )
    signed_in = client.initiate_auth(
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": unique_email,
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(unique_email, info.client_id, info.client_secret),
        },
    )["AuthenticationResult"]
    first = signed_in["RefreshToken"]
    metadata = signed_in["NewDeviceMetadata"]
    _, verifier = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    client.confirm_device(
        AccessToken=signed_in["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=verifier,
        DeviceName="laptop",
    )
    device = {"DeviceKey": metadata["DeviceKey"]}

    invalid = ("NotAuthorizedException", "Invalid Refresh Token")
    assert cognito_error(_get_tokens, client, info, "not-a-token", **device) == invalid
    wrong_secret = cognito_error(_get_tokens, client, info, first, ClientSecret="w" * 36, **device)
    assert wrong_secret == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {info.client_id}",
    )
    # Tokens bound to a device refresh only with that device's key.
    assert cognito_error(_get_tokens, client, info, first) == invalid
    second = _get_tokens(client, info, first, **device)["RefreshToken"]
    assert cognito_error(_get_tokens, client, info, second) == invalid  # still bound
    assert (
        cognito_error(client.get_tokens_from_refresh_token, RefreshToken=first, ClientId="nope")[0]
        == "ResourceNotFoundException"
    )
    # RevokeToken on the replacement revokes the whole chain, the token in its grace too.
    client.revoke_token(Token=second, ClientId=info.client_id, ClientSecret=info.client_secret)
    revoked = ("NotAuthorizedException", "Refresh Token has been revoked")
    assert cognito_error(_get_tokens, client, info, second, **device) == revoked
    assert cognito_error(_get_tokens, client, info, first, **device) == revoked


def test_rotation_and_the_grace_period_survive_a_restart(tmp_path: Path, unique_email: str) -> None:
    first_run = LocalCognito(state_dir=tmp_path)
    first_run.start()
    try:
        info = first_run.provision(parameters=ROTATING, **NO_MFA)
        client = make_boto3_client(info)
        old = confirmed_sign_in(client, info, unique_email)["RefreshToken"]
        new = _get_tokens(client, info, old)["RefreshToken"]
    finally:
        first_run.stop()
    second_run = LocalCognito(state_dir=tmp_path)
    second_run.start()
    try:
        moved = LocalCognitoInfo(
            second_run.endpoint_url, info.region, info.user_pool_id, info.client_id
        )
        client = make_boto3_client(moved)
        assert _rotation(client, moved)["Feature"] == "ENABLED"
        second_run.clock.advance(11)
        with pytest.raises(ClientError, match="RefreshTokenReuseException"):
            _get_tokens(client, moved, old)
        assert _get_tokens(client, moved, new)["RefreshToken"]
    finally:
        second_run.stop()


def test_a_client_saved_before_rotation_existed_does_not_rotate(
    tmp_path: Path, unique_email: str
) -> None:
    first_run = LocalCognito(state_dir=tmp_path)
    first_run.start()
    first_run.stop()
    state = json.loads((tmp_path / STATE_FILE).read_text())
    for saved in state["pools"][0]["clients"]:
        saved["extended_config"].pop("RefreshTokenRotation")
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    second_run = LocalCognito(state_dir=tmp_path)
    info = second_run.start()
    try:
        assert not info.refresh_rotation
        assert _rotation(second_run.client(), info) == {
            "Feature": "DISABLED",
            "RetryGracePeriodSeconds": 0,
        }
    finally:
        second_run.stop()
