"""Canaries: plain moto (in-process ``mock_aws``, no fidelity layer) still misbehaves.

Each test asserts one departure of moto 5.2.5 from Cognito that the local Cognito corrects
(the matching passing test against the local Cognito lives in the other test files). When a
moto upgrade fixes one, its canary fails: drop the override in fidelity.py and the canary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cognitoidp.models import COGNITO_TOTP_MFA_SECRET, cognitoidp_backends
from moto.cognitoidp.utils import cognito_totp
from pycognito.aws_srp import AWSSRP

from local_cognito.fidelity import LocalCognitoBackend
from tests.support.passwords import PASSWORD

pytestmark = pytest.mark.slow  # a plain moto backend (or server) per test

REGION = "eu-west-1"


class MotoPool:
    def __init__(self, client: Any, mfa: str = "OFF", **client_kwargs: Any) -> None:
        self.client = client
        self.pool_id = client.create_user_pool(
            PoolName="canary",
            AutoVerifiedAttributes=["email"],
            DeviceConfiguration={
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": True,
            },
        )["UserPool"]["Id"]
        if mfa != "OFF":
            client.set_user_pool_mfa_config(
                UserPoolId=self.pool_id,
                MfaConfiguration=mfa,
                SoftwareTokenMfaConfiguration={"Enabled": True},
            )
        created = client.create_user_pool_client(
            UserPoolId=self.pool_id, ClientName="canary", **client_kwargs
        )["UserPoolClient"]
        self.client_id = created["ClientId"]

    def sign_up(self, username: str, confirm: bool = True) -> None:
        self.client.sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": username}],
        )
        if confirm:
            self.client.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=username)

    def admin_sign_in(self, username: str, password: str = PASSWORD, **extra: str) -> Any:
        return self.client.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
        )

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        return self.client.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )

    def to_mfa_setup(self, username: str) -> Any:
        self.client.admin_create_user(
            UserPoolId=self.pool_id,
            Username=username,
            TemporaryPassword="Temp-pa55word!",
            MessageAction="SUPPRESS",
        )
        step = self.admin_sign_in(username, "Temp-pa55word!")
        return self.client.admin_respond_to_auth_challenge(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            Session=step["Session"],
            ChallengeName="NEW_PASSWORD_REQUIRED",
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD},
        )


@pytest.fixture
def moto_client() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


def claims(token: str) -> dict[str, Any]:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_overrides_are_not_in_plain_moto(moto_client: Any) -> None:
    # The fidelity layer lives in a subclass that moto's registry never instantiates.
    backend = cognitoidp_backends["123456789012"][REGION]
    assert type(backend) is not LocalCognitoBackend


def test_moto_confirm_sign_up_accepts_any_code(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com", confirm=False)
    moto_client.confirm_sign_up(
        ClientId=pool.client_id, Username="a@example.com", ConfirmationCode="not-a-code"
    )
    user = moto_client.admin_get_user(UserPoolId=pool.pool_id, Username="a@example.com")
    assert user["UserStatus"] == "CONFIRMED"


def test_moto_has_no_resend_confirmation_code(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com", confirm=False)
    with pytest.raises(NotImplementedError):
        moto_client.resend_confirmation_code(ClientId=pool.client_id, Username="a@example.com")


def test_moto_admin_create_user_neither_generates_nor_checks_temporary_password(
    moto_client: Any,
) -> None:
    pool = MotoPool(moto_client)
    moto_client.admin_create_user(
        UserPoolId=pool.pool_id, Username="weak", TemporaryPassword="password"
    )
    moto_client.admin_create_user(UserPoolId=pool.pool_id, Username="none")
    users = cognitoidp_backends["123456789012"][REGION].user_pools[pool.pool_id].users
    assert users["weak"].password == "password"
    assert users["none"].password is None


def test_moto_resend_overwrites_a_confirmed_user(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    before = moto_client.admin_get_user(UserPoolId=pool.pool_id, Username="a@example.com")
    moto_client.admin_create_user(
        UserPoolId=pool.pool_id, Username="a@example.com", MessageAction="RESEND"
    )
    after = moto_client.admin_get_user(UserPoolId=pool.pool_id, Username="a@example.com")
    sub = {a["Name"]: a["Value"] for a in before["UserAttributes"]}["sub"]
    assert {a["Name"]: a["Value"] for a in after["UserAttributes"]}["sub"] != sub
    assert after["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_moto_gives_tokens_without_mfa_setup_when_mfa_is_on(moto_client: Any) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    pool.sign_up("a@example.com")
    assert "AuthenticationResult" in pool.admin_sign_in("a@example.com")


def test_moto_gives_an_unconfirmed_user_tokens(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com", confirm=False)
    assert "AuthenticationResult" in pool.admin_sign_in("a@example.com")


def test_moto_refuses_a_disabled_users_token_without_saying_revoked(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    token = pool.admin_sign_in("a@example.com")["AuthenticationResult"]["AccessToken"]
    moto_client.admin_disable_user(UserPoolId=pool.pool_id, Username="a@example.com")
    with pytest.raises(ClientError) as caught:
        moto_client.get_user(AccessToken=token)
    # Cognito says "Access Token has been revoked" (the local Cognito does too).
    assert caught.value.response["Error"]["Message"] == "username"


def test_moto_ignores_explicit_auth_flows(moto_client: Any) -> None:
    pool = MotoPool(moto_client, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])
    pool.sign_up("a@example.com")
    assert "AuthenticationResult" in pool.sign_in("a@example.com")


def test_moto_ignores_missing_secret_hash(moto_client: Any) -> None:
    pool = MotoPool(moto_client, GenerateSecret=True)
    moto_client.admin_create_user(
        UserPoolId=pool.pool_id, Username="a", MessageAction="SUPPRESS", TemporaryPassword=PASSWORD
    )
    moto_client.admin_set_user_password(
        UserPoolId=pool.pool_id, Username="a", Password=PASSWORD, Permanent=True
    )
    assert "AuthenticationResult" in pool.admin_sign_in("a")
    assert "AuthenticationResult" in pool.sign_in("a")


def test_moto_mfas_can_setup_is_not_a_json_string(moto_client: Any) -> None:
    step = MotoPool(moto_client, mfa="ON").to_mfa_setup("a")
    assert step["ChallengeName"] == "MFA_SETUP"
    with pytest.raises(json.JSONDecodeError):
        json.loads(step["ChallengeParameters"]["MFAS_CAN_SETUP"])


def test_moto_mfa_setup_gives_tokens_unverified_and_twice(moto_client: Any) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    step = pool.to_mfa_setup("a")
    for _ in range(2):
        done = moto_client.admin_respond_to_auth_challenge(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            Session=step["Session"],
            ChallengeName="MFA_SETUP",
            ChallengeResponses={"USERNAME": "a"},
        )
        assert "AccessToken" in done["AuthenticationResult"]


def test_moto_totp_secret_is_shared_and_any_code_verifies(moto_client: Any) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    secrets = []
    for name in ("a", "b"):
        step = pool.to_mfa_setup(name)
        association = moto_client.associate_software_token(Session=step["Session"])
        secrets.append(association["SecretCode"])
        verified = moto_client.verify_software_token(
            Session=association["Session"], UserCode="000000"
        )
        assert verified["Status"] == "SUCCESS"
    assert secrets[0] == secrets[1] == COGNITO_TOTP_MFA_SECRET


def _user_with_totp(moto_client: Any, pool: MotoPool, name: str) -> None:
    step = pool.to_mfa_setup(name)
    association = moto_client.associate_software_token(Session=step["Session"])
    verified = moto_client.verify_software_token(Session=association["Session"], UserCode="000000")
    tokens = moto_client.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        Session=verified["Session"],
        ChallengeName="MFA_SETUP",
        ChallengeResponses={"USERNAME": name},
    )["AuthenticationResult"]
    moto_client.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )


def test_moto_accepts_a_used_totp_code_again(
    moto_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    _user_with_totp(moto_client, pool, "a")
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    import time

    code = cognito_totp(COGNITO_TOTP_MFA_SECRET).generate(time.time()).decode()
    for _ in range(2):
        step = pool.admin_sign_in("a")
        assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        done = moto_client.admin_respond_to_auth_challenge(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            Session=step["Session"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            ChallengeResponses={"USERNAME": "a", "SOFTWARE_TOKEN_MFA_CODE": code},
        )
        assert "AccessToken" in done["AuthenticationResult"]


def test_moto_issues_tokens_for_the_username_in_the_answer(moto_client: Any) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    _user_with_totp(moto_client, pool, "attacker")
    pool.sign_up("victim@example.com")
    step = pool.admin_sign_in("attacker")
    done = moto_client.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        Session=step["Session"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        ChallengeResponses={"USERNAME": "victim@example.com", "SOFTWARE_TOKEN_MFA_CODE": "1"},
    )
    assert claims(done["AuthenticationResult"]["AccessToken"])["username"] == "victim@example.com"


def test_moto_srp_never_checks_the_password(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    srp = AWSSRP(
        username="a@example.com",
        password="Wrong-pa55word!",
        pool_id=pool.pool_id,
        client_id=pool.client_id,
        client=moto_client,
    )
    assert "AccessToken" in srp.authenticate_user()["AuthenticationResult"]


def test_moto_has_no_device_tracking(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    tokens = pool.admin_sign_in("a@example.com")["AuthenticationResult"]
    assert "NewDeviceMetadata" not in tokens
    for call, kwargs in (
        (moto_client.confirm_device, {"DeviceKey": "k"}),
        (moto_client.list_devices, {}),
        (moto_client.forget_device, {"DeviceKey": "k"}),
        (
            moto_client.update_device_status,
            {"DeviceKey": "k", "DeviceRememberedStatus": "remembered"},
        ),
    ):
        with pytest.raises(NotImplementedError):
            call(AccessToken=tokens["AccessToken"], **kwargs)


def test_moto_sessions_record_no_expiry(moto_client: Any) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    step = pool.to_mfa_setup("a")
    username, user_pool = cognitoidp_backends["123456789012"][REGION].sessions[step["Session"]]
    # (username, pool) and nothing else: moto cannot expire a session.
    assert username == "a" and user_pool.id == pool.pool_id


def test_moto_has_no_revoke_token(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    with pytest.raises(NotImplementedError):
        moto_client.revoke_token(ClientId=pool.client_id, Token="refresh")


def test_moto_server_global_sign_out_fails_outside_us_east_1() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client(
            "cognito-idp", region_name=REGION, endpoint_url=f"http://{host}:{port}"
        )
        pool = MotoPool(client)
        client.admin_create_user(
            UserPoolId=pool.pool_id,
            Username="a",
            MessageAction="SUPPRESS",
            TemporaryPassword=PASSWORD,
        )
        client.admin_set_user_password(
            UserPoolId=pool.pool_id, Username="a", Password=PASSWORD, Permanent=True
        )
        tokens = pool.admin_sign_in("a")["AuthenticationResult"]
        with pytest.raises(ClientError) as excinfo:
            client.global_sign_out(AccessToken=tokens["AccessToken"])
        assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"
    finally:
        server.stop()


def test_moto_forgot_password_code_is_a_header_and_any_other_code_confirms(
    moto_client: Any,
) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    answer = moto_client.forgot_password(ClientId=pool.client_id, Username="a@example.com")
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-moto-forgot-password-confirmation-code"].startswith("moto-confirmation-code")
    moto_client.confirm_forgot_password(
        ClientId=pool.client_id,
        Username="a@example.com",
        ConfirmationCode="000000",
        Password="weak",
    )
    assert "AuthenticationResult" in pool.admin_sign_in("a@example.com", "weak")


def test_moto_forgot_password_has_no_limit_and_no_verified_email_check(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com", confirm=False)  # email never verified
    for _ in range(20):
        moto_client.forgot_password(ClientId=pool.client_id, Username="a@example.com")


def test_moto_reset_required_user_gets_new_password_required(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    moto_client.admin_update_user_attributes(
        UserPoolId=pool.pool_id,
        Username="a@example.com",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    moto_client.admin_reset_user_password(UserPoolId=pool.pool_id, Username="a@example.com")
    assert pool.admin_sign_in("a@example.com")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_moto_change_password_wrong_old_password_message_is_the_username(
    moto_client: Any,
) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    token = pool.admin_sign_in("a@example.com")["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        moto_client.change_password(
            AccessToken=token, PreviousPassword="Wrong-h0rse!", ProposedPassword=PASSWORD + "1"
        )
    assert excinfo.value.response["Error"]["Message"] == "a@example.com"
    with pytest.raises(ClientError) as excinfo:
        moto_client.change_password(
            AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="alllowercase1!"
        )
    assert "uppercase" not in excinfo.value.response["Error"]["Message"]


def test_moto_set_user_mfa_preference_turns_on_sms_without_a_phone(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    token = pool.admin_sign_in("a@example.com")["AuthenticationResult"]["AccessToken"]
    moto_client.set_user_mfa_preference(
        AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = moto_client.get_user(AccessToken=token)
    assert user["PreferredMfaSetting"] == "SMS_MFA"


def test_moto_lists_empty_mfa_options(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    user = moto_client.admin_get_user(UserPoolId=pool.pool_id, Username="a@example.com")
    assert user["MFAOptions"] == []
    [listed] = moto_client.list_users(UserPoolId=pool.pool_id)["Users"]
    assert listed["MFAOptions"] == []


def test_moto_pool_ids_are_32_hex_digits(moto_client: Any) -> None:
    import re

    pool = MotoPool(moto_client)
    assert re.fullmatch(r"eu-west-1_[0-9a-f]{32}", pool.pool_id)


def test_moto_wrong_totp_code_message_is_not_cognitos(
    moto_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = MotoPool(moto_client, mfa="ON")
    _user_with_totp(moto_client, pool, "a")
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    step = pool.admin_sign_in("a")
    with pytest.raises(ClientError) as excinfo:
        moto_client.admin_respond_to_auth_challenge(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            Session=step["Session"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            ChallengeResponses={"USERNAME": "a", "SOFTWARE_TOKEN_MFA_CODE": "000000"},
        )
    # Cognito: "Invalid code received for user" (no final period).
    assert excinfo.value.response["Error"]["Message"] == "MFA Code Mismatch"


def test_moto_refresh_is_bound_to_no_device(moto_client: Any) -> None:
    # The canary pool tracks devices; Cognito would refuse a refresh without DEVICE_KEY.
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    tokens = pool.admin_sign_in("a@example.com")["AuthenticationResult"]
    refreshed = moto_client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    assert "AccessToken" in refreshed["AuthenticationResult"]


def test_moto_ignores_an_unknown_device_key_at_sign_in(moto_client: Any) -> None:
    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    # Cognito: ResourceNotFoundException "Device does not exist."
    step = pool.admin_sign_in("a@example.com", DEVICE_KEY=f"{REGION}_not-a-device")
    assert "AccessToken" in step["AuthenticationResult"]


def test_moto_tokens_lack_claims_and_ignore_token_validity(moto_client: Any) -> None:
    pool = MotoPool(
        moto_client,
        AccessTokenValidity=5,
        IdTokenValidity=5,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes"},
    )
    pool.sign_up("a@example.com")
    tokens = pool.admin_sign_in("a@example.com")["AuthenticationResult"]
    access, identity = claims(tokens["AccessToken"]), claims(tokens["IdToken"])
    assert not {"version", "event_id", "device_key"} & set(access)
    assert "event_id" not in identity
    assert tokens["ExpiresIn"] == access["exp"] - access["iat"] == 3600


def test_moto_signs_every_pool_with_its_bundled_key(moto_client: Any) -> None:
    # Cognito: a key per pool. moto: kid "dummy", the private half shipped inside moto, so a
    # token anyone signs with that file verifies.
    import jwt
    from moto.utilities.utils import load_resource

    pool = MotoPool(moto_client)
    pool.sign_up("a@example.com")
    token = pool.admin_sign_in("a@example.com")["AuthenticationResult"]["AccessToken"]
    assert jwt.get_unverified_header(token)["kid"] == "dummy"
    bundled = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
    forged = jwt.encode(claims(token), bundled.key, algorithm="RS256", headers={"kid": "dummy"})
    public = load_resource("cognitoidp/resources/jwks-public.json")["keys"][0]
    options = {"verify_aud": False, "verify_iss": False}
    for signed in (token, forged):
        assert jwt.decode(signed, jwt.PyJWK(public).key, algorithms=["RS256"], options=options)


def test_moto_server_openid_configuration_names_another_issuer() -> None:
    # A verifier pointed at moto server finds an issuer that is not the server's URL.
    from urllib.request import urlopen

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("cognito-idp", region_name=REGION, endpoint_url=endpoint)
        pool_id = MotoPool(client).pool_id
        with urlopen(f"{endpoint}/{pool_id}/.well-known/openid-configuration") as response:
            issuer = json.load(response)["issuer"]
        assert issuer == f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        assert issuer != f"{endpoint}/{pool_id}"
    finally:
        server.stop()
