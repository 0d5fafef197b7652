"""Sign-in over the wire: flows, SECRET_HASH, MFA_SETUP, TOTP, sessions, SRP, devices, tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

import pyotp
import pytest
from lc_support import cognito_error, remember_device
from pycognito.aws_srp import AWSSRP, SoftwareTokenMFAChallengeException

from tests.support.passwords import PASSWORD


def secret_hash(username: str, client_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_unconfirmed_user_cannot_sign_in(accounts: Any, unique_email: str) -> None:
    account = accounts.signed_up(unique_email)
    assert cognito_error(accounts.sign_in, account) == (
        "UserNotConfirmedException",
        "User is not confirmed.",
    )


def test_unknown_user_and_wrong_password_look_the_same(accounts: Any, unique_email: str) -> None:
    account = accounts.confirmed(unique_email)
    account.password = "Wrong-pa55word!"
    wrong = cognito_error(accounts.sign_in, account)
    account.email = "nobody-" + unique_email
    unknown = cognito_error(accounts.sign_in, account)
    assert wrong == unknown == ("NotAuthorizedException", "Incorrect username or password.")


def test_mfa_on_pool_asks_mfa_setup_with_a_json_string(accounts: Any, unique_email: str) -> None:
    account = accounts.confirmed(unique_email)
    step = accounts.sign_in(account)
    assert step["ChallengeName"] == "MFA_SETUP"
    assert step["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    assert "AuthenticationResult" not in step


def test_mfa_setup_cannot_be_answered_without_a_verified_code(
    accounts: Any, unique_email: str
) -> None:
    account = accounts.confirmed(unique_email)
    step = accounts.sign_in(account)
    assert (
        cognito_error(accounts.respond, "MFA_SETUP", step["Session"], USERNAME=unique_email)[0]
        == "InvalidParameterException"
    )


def test_mfa_setup_full_flow_and_single_use_sessions(
    accounts: Any, cognito_client: Any, unique_email: str
) -> None:
    account = accounts.confirmed(unique_email)
    step = accounts.sign_in(account)
    association = cognito_client.associate_software_token(Session=step["Session"])
    secret = association["SecretCode"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert association["Session"] != step["Session"]
    # The first session was used up.
    assert (
        cognito_error(cognito_client.associate_software_token, Session=step["Session"])[0]
        == "NotAuthorizedException"
    )
    assert cognito_error(
        cognito_client.verify_software_token, Session=association["Session"], UserCode="000000"
    ) == (
        "EnableSoftwareTokenMFAException",
        "Code mismatch and fail enable Software Token MFA",
    )
    account.totp_secret = secret
    verified = cognito_client.verify_software_token(
        Session=association["Session"], UserCode=account.totp_code(), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    done = accounts.respond("MFA_SETUP", verified["Session"], USERNAME=unique_email)
    assert set(done["AuthenticationResult"]) >= {"AccessToken", "IdToken", "RefreshToken"}
    assert cognito_error(
        accounts.respond, "MFA_SETUP", verified["Session"], USERNAME=unique_email
    ) == ("NotAuthorizedException", "Invalid session for the user, session can only be used once.")


def test_totp_secrets_are_per_user(accounts: Any, cognito_client: Any, unique_email: str) -> None:
    secrets = set()
    for email in (unique_email, "second-" + unique_email):
        step = accounts.sign_in(accounts.confirmed(email))
        secrets.add(cognito_client.associate_software_token(Session=step["Session"])["SecretCode"])
    assert len(secrets) == 2


def test_software_token_mfa_checks_code_and_refuses_reuse(accounts: Any, unique_email: str) -> None:
    account = accounts.with_mfa(unique_email)
    step = accounts.sign_in(account)
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert cognito_error(
        accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE="12345x",
    ) == ("CodeMismatchException", "Invalid code received for user")
    code = account.totp_code()
    done = accounts.respond(
        "SOFTWARE_TOKEN_MFA", step["Session"], USERNAME=unique_email, SOFTWARE_TOKEN_MFA_CODE=code
    )
    assert "AccessToken" in done["AuthenticationResult"]
    # The Session that produced tokens, reused (Cognito's wording, reported):
    assert cognito_error(
        accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=account.totp_code(),
    ) == ("NotAuthorizedException", "Invalid session for the user, session can only be used once.")
    again = accounts.sign_in(account)
    assert cognito_error(
        accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        again["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=code,
    ) == (
        "ExpiredCodeException",
        "Your software token has already been used once.",
    )


def test_totp_steps_follow_the_local_clock(
    private_cognito: Any, private_accounts: Any, unique_email: str
) -> None:
    """TOTP codes are checked at the local clock's time: once it is ten minutes ahead, the
    code of real time's step is out of the ±1 step window, and its own step's code is in."""
    account = private_accounts.with_mfa(unique_email)
    private_cognito.clock.advance(10 * 60)
    assert account.totp_secret
    real_time_code = pyotp.TOTP(account.totp_secret).at(time.time())
    clock_code = account.totp_code()
    assert real_time_code != clock_code
    step = private_accounts.sign_in(account)
    assert cognito_error(
        private_accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=real_time_code,
    ) == ("CodeMismatchException", "Invalid code received for user")
    done = private_accounts.respond(
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=clock_code,
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_tokens_are_for_the_sessions_user(
    accounts: Any, cognito_client: Any, unique_email: str
) -> None:
    victim = accounts.with_mfa("victim-" + unique_email)
    attacker = accounts.with_mfa(unique_email)
    step = accounts.sign_in(attacker)
    assert cognito_error(
        accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=victim.email,
        SOFTWARE_TOKEN_MFA_CODE=attacker.totp_code(),
    ) == ("NotAuthorizedException", "Invalid session for the user.")


def test_session_expires_after_auth_session_validity(
    private_cognito: Any, private_accounts: Any, unique_email: str
) -> None:
    account = private_accounts.with_mfa(unique_email)
    step = private_accounts.sign_in(account)
    private_cognito.clock.advance(3 * 60 + 1)
    assert cognito_error(
        private_accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=account.totp_code(),
    ) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_longer_auth_session_validity_is_honoured(private_cognito: Any, unique_email: str) -> None:
    info = private_cognito.provision(AuthSessionValidity=5)
    client = private_cognito.client()
    client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=unique_email,
        TemporaryPassword="Temp-pa55word!",
        MessageAction="SUPPRESS",
    )
    step = client.admin_initiate_auth(
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": "Temp-pa55word!"},
    )
    private_cognito.clock.advance(4 * 60)
    nxt = client.admin_respond_to_auth_challenge(
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": unique_email,
            "NEW_PASSWORD": PASSWORD,
            "userAttributes.email": unique_email,
        },
    )
    assert nxt["ChallengeName"] == "MFA_SETUP"
    with pytest.raises(ValueError):
        private_cognito.provision(AuthSessionValidity=16)


def test_explicit_auth_flows_are_enforced(private_cognito: Any, unique_email: str) -> None:
    info = private_cognito.provision(
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    client = private_cognito.client()
    assert cognito_error(
        client.initiate_auth,
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": PASSWORD},
    ) == (
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )
    assert (
        cognito_error(
            client.admin_initiate_auth,
            UserPoolId=info.user_pool_id,
            ClientId=info.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": unique_email, "PASSWORD": PASSWORD},
        )[0]
        == "InvalidParameterException"
    )


def test_secret_hash_is_enforced_when_the_client_has_a_secret(
    private_cognito: Any, unique_email: str
) -> None:
    info = private_cognito.provision(with_client_secret=True)
    assert info.client_secret
    client = private_cognito.client()
    good = secret_hash(unique_email, info.client_id, info.client_secret)
    assert (
        cognito_error(
            client.sign_up,
            ClientId=info.client_id,
            Username=unique_email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": unique_email}],
        )[0]
        == "NotAuthorizedException"
    )
    client.sign_up(
        ClientId=info.client_id,
        Username=unique_email,
        Password=PASSWORD,
        SecretHash=good,
        UserAttributes=[{"Name": "email", "Value": unique_email}],
    )
    assert cognito_error(
        client.initiate_auth,
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": unique_email,
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(unique_email, info.client_id, "wrong"),
        },
    ) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {info.client_id}",
    )
    # Right hash: now the real state shows.
    assert (
        cognito_error(
            client.initiate_auth,
            ClientId=info.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": unique_email, "PASSWORD": PASSWORD, "SECRET_HASH": good},
        )[0]
        == "UserNotConfirmedException"
    )


def _srp(info: Any, client: Any, email: str, password: str, **device: str) -> AWSSRP:
    return AWSSRP(
        username=email,
        password=password,
        pool_id=info.user_pool_id,
        client_id=info.client_id,
        client=client,
        **device,
    )


def test_pycognito_srp_sign_in_verifies_the_password(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    with pytest.raises(SoftwareTokenMFAChallengeException):  # password proven: MFA next
        _srp(local_cognito, cognito_client, unique_email.upper(), PASSWORD).authenticate_user()
    assert cognito_error(
        _srp(local_cognito, cognito_client, unique_email, "Wrong-pa55word!").authenticate_user
    ) == ("NotAuthorizedException", "Incorrect username or password.")
    assert cognito_error(
        _srp(local_cognito, cognito_client, "nobody-" + unique_email, PASSWORD).authenticate_user
    ) == ("NotAuthorizedException", "Incorrect username or password.")
    assert account.totp_secret


def test_remembered_device_signs_in_without_mfa(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    device = remember_device(cognito_client, account)
    listed = cognito_client.list_devices(AccessToken=account.tokens["AccessToken"])["Devices"]
    assert [d["DeviceKey"] for d in listed] == [device["device_key"]]
    tokens = _srp(
        local_cognito, cognito_client, unique_email, PASSWORD, **device
    ).authenticate_user()
    result = tokens["AuthenticationResult"]
    assert "AccessToken" in result and "NewDeviceMetadata" not in result
    wrong = dict(device, device_password=base64.b64encode(b"x" * 40).decode())
    assert cognito_error(
        _srp(local_cognito, cognito_client, unique_email, PASSWORD, **wrong).authenticate_user
    ) == ("NotAuthorizedException", "Incorrect username or password.")
    step = accounts.sign_in(account, DEVICE_KEY=device["device_key"])
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH"


def test_device_not_remembered_still_gets_mfa(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    device = remember_device(cognito_client, account, remember=False)
    with pytest.raises(SoftwareTokenMFAChallengeException):
        _srp(local_cognito, cognito_client, unique_email, PASSWORD, **device).authenticate_user()
    cognito_client.update_device_status(
        AccessToken=account.tokens["AccessToken"],
        DeviceKey=device["device_key"],
        DeviceRememberedStatus="remembered",
    )
    cognito_client.forget_device(
        AccessToken=account.tokens["AccessToken"], DeviceKey=device["device_key"]
    )
    # A forgotten device at sign-in: "Device does not exist."; without it, MFA again.
    assert cognito_error(accounts.sign_in, account, DEVICE_KEY=device["device_key"]) == (
        "ResourceNotFoundException",
        "Device does not exist.",
    )
    assert accounts.sign_in(account)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    admin_listed = cognito_client.admin_list_devices(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email
    )["Devices"]
    assert admin_listed == []


def test_global_sign_out_revokes_access_tokens(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    token = account.tokens["AccessToken"]
    assert cognito_client.get_user(AccessToken=token)["Username"] == unique_email
    cognito_client.global_sign_out(AccessToken=token)
    assert cognito_error(cognito_client.get_user, AccessToken=token) == (
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    assert cognito_error(
        cognito_client.initiate_auth,
        ClientId=local_cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": account.tokens["RefreshToken"]},
    ) == ("NotAuthorizedException", "Refresh Token has been revoked")


def test_admin_disable_user_revokes_access_tokens(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    """AdminDisableUser's API reference: "Deactivates a user and revokes all access tokens
    for the user." A disabled user cannot refresh either."""
    account = accounts.with_mfa(unique_email)
    token = account.tokens["AccessToken"]
    cognito_client.admin_disable_user(UserPoolId=local_cognito.user_pool_id, Username=unique_email)
    assert cognito_error(cognito_client.get_user, AccessToken=token) == (
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    assert (
        cognito_error(
            cognito_client.initiate_auth,
            ClientId=local_cognito.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": account.tokens["RefreshToken"]},
        )[0]
        == "NotAuthorizedException"
    )


def test_revoke_token_revokes_refresh_and_its_access_tokens(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    device = remember_device(cognito_client, account)
    refreshed = cognito_client.initiate_auth(
        ClientId=local_cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": account.tokens["RefreshToken"],
            "DEVICE_KEY": device["device_key"],
        },
    )["AuthenticationResult"]
    cognito_client.revoke_token(
        Token=account.tokens["RefreshToken"], ClientId=local_cognito.client_id
    )
    for token in (account.tokens["AccessToken"], refreshed["AccessToken"]):
        assert cognito_error(cognito_client.get_user, AccessToken=token) == (
            "NotAuthorizedException",
            "Access Token has been revoked",
        )


def test_new_password_required_then_mfa_setup(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    # No email attribute: the required attribute must be given at NEW_PASSWORD_REQUIRED.
    temporary = "Temp-pa55word!"
    cognito_client.admin_create_user(
        UserPoolId=local_cognito.user_pool_id,
        Username=unique_email,
        TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
    )
    assert outbox.messages(to=unique_email) == []
    step = cognito_client.initiate_auth(
        ClientId=local_cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": temporary},
    )
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert json.loads(step["ChallengeParameters"]["requiredAttributes"]) == ["userAttributes.email"]
    assert cognito_error(
        cognito_client.respond_to_auth_challenge,
        ClientId=local_cognito.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": unique_email, "NEW_PASSWORD": PASSWORD},
    ) == (
        "InvalidParameterException",
        "Invalid attributes given, email is missing",
    )
    nxt = cognito_client.respond_to_auth_challenge(
        ClientId=local_cognito.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": unique_email,
            "NEW_PASSWORD": PASSWORD,
            "userAttributes.email": unique_email,
        },
    )
    assert nxt["ChallengeName"] == "MFA_SETUP"
    assert nxt["Session"] != step["Session"]


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_id_token_carries_the_users_attributes(accounts: Any, unique_email: str) -> None:
    # A client with no ReadAttributes reads every attribute (CreateUserPoolClient,
    # "ReadAttributes"): the ID token has email; plain moto puts none in.
    account = accounts.with_mfa(unique_email)
    claims = _claims(account.tokens["IdToken"])
    assert claims["email"] == unique_email.lower()
    assert claims["token_use"] == "id"
    assert "email" not in _claims(account.tokens["AccessToken"])
