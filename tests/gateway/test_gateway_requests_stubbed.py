"""Exact request parameters, where they are the point: SECRET_HASH and friends.

botocore's Stubber checks each request against the expected parameters exactly (a missing
or extra key fails). Everything else about the gateway is tested over the wire against the
local Cognito (test_gateway_wire_*.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import boto3
import pytest
from botocore.stub import Stubber

from bff import errors
from bff.cognito.gateway import CognitoGateway, secret_hash
from tests.support.challenges import respond_software_token_mfa

POOL = "us-east-1_StUbPoOl"
CLIENT_ID = "6m1a2b3c4d5e6f7g8h9i0j1k2l"
SECRET = "client-secret-for-tests-0123456789abcdefghijklmnopqrstu"
SESSION = "S" * 40
TOKENS = {
    "AccessToken": "access.jwt.value",
    "IdToken": "id.jwt.value",
    "RefreshToken": "refresh-token",
    "ExpiresIn": 3600,
    "TokenType": "Bearer",
}


def _expected_hash(username: str) -> str:
    digest = hmac.new(SECRET.encode(), (username + CLIENT_ID).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def stubbed():
    client = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    with Stubber(client) as stubber:
        yield (
            stubber,
            CognitoGateway(client, user_pool_id=POOL, client_id=CLIENT_ID, client_secret=SECRET),
        )
        stubber.assert_no_pending_responses()


def test_secret_hash_is_cognitos_formula():
    assert secret_hash("ada", CLIENT_ID, SECRET) == _expected_hash("ada")
    # The AWS documentation's example shape: 44 base64 characters for a SHA-256 HMAC.
    assert len(secret_hash("ada", CLIENT_ID, SECRET)) == 44


def test_sign_up_confirm_and_resend_carry_secret_hash(stubbed):
    stubber, gateway = stubbed
    stubber.add_response(
        "sign_up",
        {"UserSub": "sub-1", "UserConfirmed": False},
        {
            "ClientId": CLIENT_ID,
            "Username": "ada@example.com",
            "Password": "Pw-123456",
            "UserAttributes": [
                {"Name": "name", "Value": "Ada"},
                {"Name": "email", "Value": "ada@example.com"},
            ],
            "SecretHash": _expected_hash("ada@example.com"),
        },
    )
    stubber.add_response(
        "confirm_sign_up",
        {},
        {
            "ClientId": CLIENT_ID,
            "Username": "ada@example.com",
            "ConfirmationCode": "123456",
            "SecretHash": _expected_hash("ada@example.com"),
        },
    )
    stubber.add_response(
        "resend_confirmation_code",
        {"CodeDeliveryDetails": {"Destination": "a***@e***", "DeliveryMedium": "EMAIL"}},
        {
            "ClientId": CLIENT_ID,
            "Username": "ada@example.com",
            "SecretHash": _expected_hash("ada@example.com"),
        },
    )
    result = gateway.sign_up(
        "ada@example.com", "Pw-123456", email="ada@example.com", attributes={"name": "Ada"}
    )
    assert result.user_sub == "sub-1" and result.user_confirmed is False
    gateway.confirm_sign_up("ada@example.com", "123456")
    delivery = gateway.resend_confirmation_code("ada@example.com")
    assert delivery.delivery_medium == "EMAIL"


def test_sign_in_calls_hash_the_typed_name_then_cognitos_name(stubbed):
    stubber, gateway = stubbed
    stubber.add_response(
        "admin_initiate_auth",
        {
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": SESSION,
            "ChallengeParameters": {"USERNAME": "internal-uuid"},
        },
        {
            "UserPoolId": POOL,
            "ClientId": CLIENT_ID,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {
                "USERNAME": "Ada@Example.com",
                "PASSWORD": "Pw-123456",
                "SECRET_HASH": _expected_hash("Ada@Example.com"),
            },
        },
    )
    stubber.add_response(
        "admin_respond_to_auth_challenge",
        {"AuthenticationResult": TOKENS},
        {
            "UserPoolId": POOL,
            "ClientId": CLIENT_ID,
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "Session": SESSION,
            "ChallengeResponses": {
                "USERNAME": "internal-uuid",
                "SOFTWARE_TOKEN_MFA_CODE": "654321",
                "SECRET_HASH": _expected_hash("internal-uuid"),
            },
        },
    )
    step = gateway.admin_initiate_auth("Ada@Example.com", "Pw-123456")
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"
    final = respond_software_token_mfa(
        gateway, step.challenge_parameters["USERNAME"], "654321", step.session, admin=True
    )
    assert final.tokens is not None and final.tokens.refresh_token == "refresh-token"


def test_user_password_auth_with_device_key(stubbed):
    stubber, gateway = stubbed
    stubber.add_response(
        "initiate_auth",
        {"ChallengeName": "DEVICE_SRP_AUTH", "Session": SESSION, "ChallengeParameters": {}},
        {
            "ClientId": CLIENT_ID,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {
                "USERNAME": "ada",
                "PASSWORD": "pw",
                "DEVICE_KEY": "us-east-1_dev",
                "SECRET_HASH": _expected_hash("ada"),
            },
        },
    )
    assert gateway.initiate_auth("ada", "pw", device_key="us-east-1_dev").challenge_name == (
        "DEVICE_SRP_AUTH"
    )


def test_refresh_hashes_the_internal_username_and_revoke_sends_the_secret(stubbed):
    stubber, gateway = stubbed
    stubber.add_response(
        "initiate_auth",
        {"AuthenticationResult": {k: v for k, v in TOKENS.items() if k != "RefreshToken"}},
        {
            "ClientId": CLIENT_ID,
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {
                "REFRESH_TOKEN": "refresh-token",
                "SECRET_HASH": _expected_hash("internal-uuid"),
            },
        },
    )
    stubber.add_response(
        "revoke_token",
        {},
        {"Token": "refresh-token", "ClientId": CLIENT_ID, "ClientSecret": SECRET},
    )
    step = gateway.refresh_tokens("refresh-token", username="internal-uuid")
    assert step.tokens is not None and step.tokens.refresh_token is None
    gateway.revoke_token("refresh-token")


def test_refresh_with_a_secret_but_no_username_is_refused_before_any_call(stubbed):
    _, gateway = stubbed
    with pytest.raises(errors.InvalidParameter, match="username"):
        gateway.refresh_tokens("refresh-token")


def test_without_a_secret_no_hash_is_sent():
    client = boto3.client(
        "cognito-idp", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    gateway = CognitoGateway(client, user_pool_id=POOL, client_id=CLIENT_ID)
    with Stubber(client) as stubber:
        stubber.add_response(
            "confirm_sign_up",
            {},
            {"ClientId": CLIENT_ID, "Username": "ada", "ConfirmationCode": "1"},
        )
        stubber.add_response(
            "initiate_auth",
            {"AuthenticationResult": TOKENS},
            {
                "ClientId": CLIENT_ID,
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "AuthParameters": {"REFRESH_TOKEN": "refresh-token"},
            },
        )
        gateway.confirm_sign_up("ada", "1")
        gateway.refresh_tokens("refresh-token")
        stubber.assert_no_pending_responses()


def test_admin_create_user_resend_sends_only_what_resend_uses(stubbed):
    stubber, gateway = stubbed
    stubber.add_response(
        "admin_create_user",
        {"User": {"Username": "ada@example.com", "UserStatus": "FORCE_CHANGE_PASSWORD"}},
        {
            "UserPoolId": POOL,
            "Username": "ada@example.com",
            "MessageAction": "RESEND",
            "DesiredDeliveryMediums": ["EMAIL"],
        },
    )
    user = gateway.admin_create_user("ada@example.com", email="ada@example.com", resend=True)
    assert user.status == "FORCE_CHANGE_PASSWORD"


def test_stubbed_client_errors_are_translated(stubbed):
    stubber, gateway = stubbed
    stubber.add_client_error(
        "confirm_sign_up",
        service_error_code="ExpiredCodeException",
        service_message="Invalid code provided, please request a code again.",
        http_status_code=400,
    )
    with pytest.raises(errors.ExpiredCode) as caught:
        gateway.confirm_sign_up("ada", "111111")
    assert caught.value.details == {"cognito_code": "ExpiredCodeException"}


def test_list_users_limit_is_checked_before_calling(stubbed):
    _, gateway = stubbed
    with pytest.raises(errors.InvalidParameter, match="between 1 and 60"):
        gateway.list_users(limit=61)


def test_associate_needs_exactly_one_of_session_and_access_token(stubbed):
    _, gateway = stubbed
    with pytest.raises(errors.InvalidParameter):
        gateway.associate_software_token()
    with pytest.raises(errors.InvalidParameter):
        gateway.verify_software_token("123456", session=SESSION, access_token="a")
