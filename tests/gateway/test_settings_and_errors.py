"""Settings from the environment, the botocore config, and the error translation table."""

from __future__ import annotations

import socket

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from bff import errors
from bff.cognito.error_translation import cognito_call, translate_client_error
from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import (
    CognitoSettings,
    SettingsError,
    botocore_config,
    make_cognito_client,
)


def test_from_env_reads_every_key():
    settings = CognitoSettings.from_env(
        {
            "COGNITO_USER_POOL_ID": "eu-west-2_Abc",
            "COGNITO_CLIENT_ID": "client123",
            "COGNITO_CLIENT_SECRET": "s3cr3t",
            "AWS_REGION": "eu-west-1",
            "COGNITO_ENDPOINT_URL": "http://127.0.0.1:9229",
            "COGNITO_CONNECT_TIMEOUT": "1.5",
            "COGNITO_READ_TIMEOUT": "4",
            "COGNITO_MAX_ATTEMPTS": "5",
        }
    )
    assert settings == CognitoSettings(
        user_pool_id="eu-west-2_Abc",
        client_id="client123",
        client_secret="s3cr3t",
        region="eu-west-1",
        endpoint_url="http://127.0.0.1:9229",
        connect_timeout=1.5,
        read_timeout=4.0,
        max_attempts=5,
    )
    assert settings.is_configured
    assert "s3cr3t" not in repr(settings)


def test_defaults_and_region_from_the_pool_id():
    settings = CognitoSettings.from_env({"COGNITO_USER_POOL_ID": "ap-south-1_Xyz"})
    assert settings.region == "ap-south-1"
    assert settings.endpoint_url is None and settings.client_secret is None
    assert not settings.is_configured  # no client id
    assert not CognitoSettings.from_env({}).is_configured
    assert CognitoSettings.from_env({}).region == "us-east-1"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("COGNITO_CONNECT_TIMEOUT", "soon", "number of seconds"),
        ("COGNITO_READ_TIMEOUT", "-1", "positive"),
        ("COGNITO_MAX_ATTEMPTS", "2.5", "whole number"),
        ("COGNITO_MAX_ATTEMPTS", "0", "at least 1"),
    ],
)
def test_bad_numbers_are_refused_with_the_key_named(key, value, message):
    with pytest.raises(SettingsError, match=message) as caught:
        CognitoSettings.from_env({key: value})
    assert key in str(caught.value)


def test_botocore_config_is_deliberate():
    config = botocore_config(
        CognitoSettings(connect_timeout=1.0, read_timeout=2.0, max_attempts=4, region="eu-west-1")
    )
    assert config.connect_timeout == 1.0
    assert config.read_timeout == 2.0
    # botocore makes one attempt; bff.cognito.resilience retries when it is safe.
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert config.region_name == "eu-west-1"


def test_gateway_needs_pool_and_client():
    with pytest.raises(SettingsError, match="COGNITO_USER_POOL_ID"):
        CognitoGateway.from_settings(CognitoSettings())


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "AnyAction")


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("CodeMismatchException", "Invalid code received for user.", errors.CodeMismatch),
        (
            "ExpiredCodeException",
            "Your software token has already been used once.",
            errors.ExpiredCode,
        ),
        ("NotAuthorizedException", "Incorrect username or password.", errors.NotAuthorized),
        (
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
            errors.SessionExpired,
        ),
        (
            "NotAuthorizedException",
            "Temporary password has expired and must be reset by an administrator.",
            errors.TemporaryPasswordExpired,
        ),
        ("NotAuthorizedException", "Password attempts exceeded", errors.AttemptLimitExceeded),
        ("UserNotConfirmedException", "User is not confirmed.", errors.UserNotConfirmed),
        ("UsernameExistsException", "User already exists", errors.UsernameExists),
        (
            "InvalidPasswordException",
            "Password did not conform with policy: Password not long enough",
            errors.InvalidPassword,
        ),
        ("TooManyRequestsException", "Too many requests", errors.CognitoThrottled),
        (
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time.",
            errors.AttemptLimitExceeded,
        ),
        (
            "TooManyFailedAttemptsException",
            "Too many failed attempts",
            errors.AttemptLimitExceeded,
        ),
        (
            "UnsupportedUserStateException",
            "User is not in FORCE_CHANGE_PASSWORD",
            errors.UnsupportedUserState,
        ),
        ("UserNotFoundException", "User does not exist.", errors.UserNotFound),
        ("InvalidParameterException", "Invalid email address format.", errors.InvalidParameter),
        (
            "PasswordResetRequiredException",
            "Password reset required for the user",
            errors.PasswordResetRequired,
        ),
    ],
)
def test_each_cognito_code_has_its_error(code, message, expected):
    translated = translate_client_error(_client_error(code, message))
    assert type(translated) is expected
    assert translated.cognito_code == code
    assert translated.to_dict()["details"]["cognito_code"] == code


def test_messages_kept_where_they_help_and_replaced_where_ours_is_better():
    policy = "Password did not conform with policy: Password must have symbol characters"
    assert translate_client_error(_client_error("InvalidPasswordException", policy)).message == (
        policy
    )
    expired = translate_client_error(
        _client_error("NotAuthorizedException", "Invalid session for the user, session is expired.")
    )
    assert expired.message == errors.SessionExpired.default_message
    assert expired.code == "session_expired"
    # Cognito's own words stay on the error: the lifecycle reads them.
    assert expired.cognito_message == "Invalid session for the user, session is expired."
    temporary = "Temporary password has expired and must be reset by an administrator."
    translated = translate_client_error(_client_error("NotAuthorizedException", temporary))
    assert translated.code == "temporary_password_expired"
    assert translated.message == translated.cognito_message == temporary


def test_unknown_codes_keep_cognitos_code_and_message():
    translated = translate_client_error(
        _client_error("AliasExistsException", "An account with the email already exists.")
    )
    assert type(translated) is errors.CognitoError
    assert translated.cognito_code == "AliasExistsException"
    assert translated.message == "An account with the email already exists."


@pytest.mark.parametrize(
    "raised",
    [
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_timeouts_become_cognito_unavailable(raised):
    with pytest.raises(errors.CognitoUnavailable) as caught:
        with cognito_call("SignUp"):
            raise raised
    assert caught.value.status == 503


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: nothing listens there


@pytest.mark.slow
def test_closed_endpoint_is_cognito_unavailable_over_the_wire(caplog):
    settings = CognitoSettings(
        user_pool_id="us-east-1_Closed",
        client_id="client",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        connect_timeout=0.5,
        read_timeout=0.5,
        max_attempts=1,
    )
    gateway = CognitoGateway.from_settings(settings)
    with pytest.raises(errors.CognitoUnavailable) as caught:
        gateway.initiate_auth("ada@example.com", "Sup3r-Secret!")
    # Cognito never answered: no cognito_code; the log names botocore's failure.
    assert caught.value.cognito_code is None
    assert caught.value.details["reason"] == "unreachable"
    assert "failed before an answer: EndpointConnectionError" in caplog.text
    assert "Sup3r-Secret!" not in caplog.text


def test_make_cognito_client_targets_the_endpoint():
    client = make_cognito_client(
        CognitoSettings(region="eu-central-1", endpoint_url="http://127.0.0.1:9")
    )
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.config.retries["mode"] == "standard"
