"""Device-bound refresh tokens, unknown devices at sign-in, token claims and lifetimes, the
openid-configuration, and TOTP set up again with an access token, over the wire (boto3).

docs/local-cognito.md says for each rule whether Cognito documents it or users report it.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.request import urlopen

import jwt
import pyotp
import pytest
from lc_support import cognito_error, confirmed_sign_in
from pycognito.aws_srp import AWSSRP, generate_hash_device

from local_cognito import make_boto3_client
from tests.support.passwords import PASSWORD

INVALID_REFRESH = ("NotAuthorizedException", "Invalid Refresh Token")


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _refresh(client: Any, info: Any, refresh_token: str, device_key: str | None = None) -> Any:
    parameters = {"REFRESH_TOKEN": refresh_token}
    if device_key is not None:
        parameters["DEVICE_KEY"] = device_key
    return client.initiate_auth(
        ClientId=info.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=parameters
    )


def _confirm(client: Any, tokens: dict[str, Any], remembered: bool | None = None) -> str:
    """ConfirmDevice the device issued with ``tokens``; then remembered / not_remembered
    as asked (None: the user never answered). Returns the device key."""
    metadata = tokens["NewDeviceMetadata"]
    _, verifier = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    client.confirm_device(
        AccessToken=tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=verifier,
        DeviceName="laptop",
    )
    if remembered is not None:
        client.update_device_status(
            AccessToken=tokens["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceRememberedStatus="remembered" if remembered else "not_remembered",
        )
    return str(metadata["DeviceKey"])


def test_refresh_needs_the_confirmed_device_it_was_issued_to(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    tokens = account.tokens
    device_key = tokens["NewDeviceMetadata"]["DeviceKey"]
    refresh = tokens["RefreshToken"]
    # Never confirmed (the user closed the tab at the remember-device prompt):
    assert cognito_error(_refresh, cognito_client, local_cognito, refresh, device_key) == (
        INVALID_REFRESH
    )
    _confirm(cognito_client, tokens)  # confirmed, remembered status never set
    # No DEVICE_KEY, an unknown one, another device of the same user:
    other = accounts.sign_in(account)
    other_tokens = accounts.respond(
        "SOFTWARE_TOKEN_MFA",
        other["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=account.totp_code(),
    )["AuthenticationResult"]
    other_key = _confirm(cognito_client, other_tokens, remembered=True)
    for wrong in (None, f"eu-west-1_{uuid.uuid4()}", other_key):
        assert cognito_error(_refresh, cognito_client, local_cognito, refresh, wrong) == (
            INVALID_REFRESH
        )
    refreshed = _refresh(cognito_client, local_cognito, refresh, device_key)
    assert "NewDeviceMetadata" not in refreshed["AuthenticationResult"]
    assert _claims(refreshed["AuthenticationResult"]["AccessToken"])["device_key"] == device_key
    # Each device's refresh token works with its own key only.
    _refresh(cognito_client, local_cognito, other_tokens["RefreshToken"], other_key)
    assert (
        cognito_error(
            _refresh, cognito_client, local_cognito, other_tokens["RefreshToken"], device_key
        )
        == INVALID_REFRESH
    )


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "declined"])
def test_a_confirmed_device_refreshes_whatever_the_users_choice(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str, remembered: bool
) -> None:
    account = accounts.with_mfa(unique_email)
    device_key = _confirm(cognito_client, account.tokens, remembered=remembered)
    refreshed = _refresh(cognito_client, local_cognito, account.tokens["RefreshToken"], device_key)
    assert refreshed["AuthenticationResult"]["AccessToken"]


def test_forget_device_ends_its_refresh_tokens(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    device_key = _confirm(cognito_client, account.tokens, remembered=True)
    _refresh(cognito_client, local_cognito, account.tokens["RefreshToken"], device_key)
    cognito_client.admin_forget_device(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email, DeviceKey=device_key
    )
    assert (
        cognito_error(
            _refresh, cognito_client, local_cognito, account.tokens["RefreshToken"], device_key
        )
        == INVALID_REFRESH
    )


def test_tokens_of_a_remembered_device_sign_in_are_bound_to_it(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    metadata = account.tokens["NewDeviceMetadata"]
    password, verifier = generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    cognito_client.confirm_device(
        AccessToken=account.tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=verifier,
    )
    cognito_client.update_device_status(
        AccessToken=account.tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceRememberedStatus="remembered",
    )
    result = AWSSRP(
        username=unique_email,
        password=PASSWORD,
        pool_id=local_cognito.user_pool_id,
        client_id=local_cognito.client_id,
        client=cognito_client,
        device_key=metadata["DeviceKey"],
        device_group_key=metadata["DeviceGroupKey"],
        device_password=password,
    ).authenticate_user()["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert _claims(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    assert cognito_error(_refresh, cognito_client, local_cognito, result["RefreshToken"]) == (
        INVALID_REFRESH
    )
    _refresh(cognito_client, local_cognito, result["RefreshToken"], metadata["DeviceKey"])


def test_without_device_tracking_refresh_needs_no_device(
    local_cognito_server: Any, unique_email: str
) -> None:
    info = local_cognito_server.provision(DeviceConfiguration=None, MfaConfiguration="OFF")
    client = make_boto3_client(info)
    tokens = confirmed_sign_in(client, info, unique_email)
    assert "NewDeviceMetadata" not in tokens
    assert "device_key" not in _claims(tokens["AccessToken"])
    assert _refresh(client, info, tokens["RefreshToken"])["AuthenticationResult"]["AccessToken"]


def test_unknown_device_key_at_password_sign_in_does_not_exist(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    forgotten = _confirm(cognito_client, account.tokens, remembered=True)
    cognito_client.forget_device(AccessToken=account.tokens["AccessToken"], DeviceKey=forgotten)
    for device_key in (forgotten, f"eu-west-1_{uuid.uuid4()}"):
        params = {"USERNAME": unique_email, "PASSWORD": PASSWORD, "DEVICE_KEY": device_key}
        assert cognito_error(accounts.sign_in, account, DEVICE_KEY=device_key) == (
            "ResourceNotFoundException",
            "Device does not exist.",
        )
        assert cognito_error(
            cognito_client.initiate_auth,
            ClientId=local_cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters=params,
        ) == ("ResourceNotFoundException", "Device does not exist.")
    # A wrong password still says so first: the device is looked at once the user is known.
    assert cognito_error(
        cognito_client.initiate_auth,
        ClientId=local_cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": unique_email,
            "PASSWORD": "Wrong-pa55!",
            "DEVICE_KEY": forgotten,
        },
    ) == ("NotAuthorizedException", "Incorrect username or password.")


def test_unknown_device_key_at_srp_sign_in_then_the_same_session_without_it(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    """As amazon-cognito-identity-js does: on "Device does not exist." it sends the same
    PASSWORD_VERIFIER answer again on the same Session, without the device."""
    account = accounts.with_mfa(unique_email)
    srp = AWSSRP(
        username=unique_email,
        password=PASSWORD,
        pool_id=local_cognito.user_pool_id,
        client_id=local_cognito.client_id,
        client=cognito_client,
        device_key=f"eu-west-1_{uuid.uuid4()}",
        device_group_key="-abcdefghi",
        device_password="unused",
    )
    auth_parameters = srp.get_auth_params()
    step = cognito_client.initiate_auth(
        ClientId=local_cognito.client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=auth_parameters,
    )
    answer = srp.process_challenge(step["ChallengeParameters"], auth_parameters)
    assert "DEVICE_KEY" in answer

    def respond(responses: dict[str, str]) -> Any:
        return cognito_client.respond_to_auth_challenge(
            ClientId=local_cognito.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=step["Session"],
            ChallengeResponses=responses,
        )

    assert cognito_error(respond, answer) == ("ResourceNotFoundException", "Device does not exist.")
    del answer["DEVICE_KEY"]
    nxt = respond(answer)
    assert nxt["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = accounts.respond(
        "SOFTWARE_TOKEN_MFA",
        nxt["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=account.totp_code(),
    )
    assert "NewDeviceMetadata" in done["AuthenticationResult"]


def test_tokens_carry_cognitos_claims(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    tokens = account.tokens
    access, identity = _claims(tokens["AccessToken"]), _claims(tokens["IdToken"])
    device_key = tokens["NewDeviceMetadata"]["DeviceKey"]
    assert access["version"] == 2
    assert access["device_key"] == device_key
    assert access["token_use"] == "access" and identity["token_use"] == "id"
    for claims in (access, identity):
        assert set(claims) >= {"event_id", "jti", "origin_jti", "auth_time", "iat", "exp", "iss"}
        uuid.UUID(claims["event_id"]), uuid.UUID(claims["jti"]), uuid.UUID(claims["origin_jti"])
        assert claims["iss"] == f"{local_cognito.endpoint_url}/{local_cognito.user_pool_id}"
    # One sign-in: one event and one refresh token for both; each token its own jti.
    assert access["event_id"] == identity["event_id"]
    assert access["origin_jti"] == identity["origin_jti"]
    assert access["jti"] != identity["jti"]
    _confirm(cognito_client, tokens)
    refreshed = _refresh(cognito_client, local_cognito, tokens["RefreshToken"], device_key)
    again = _claims(refreshed["AuthenticationResult"]["AccessToken"])
    again_id = _claims(refreshed["AuthenticationResult"]["IdToken"])
    # Refreshed tokens keep the refresh token's origin_jti and the sign-in's auth_time.
    assert again["origin_jti"] == again_id["origin_jti"] == access["origin_jti"]
    assert again["auth_time"] == again_id["auth_time"] == access["auth_time"]
    assert again["jti"] != access["jti"]


def test_token_validity_settings_are_applied(
    private_cognito: Any, private_accounts: Any, unique_email: str
) -> None:
    info = private_cognito.provision(
        MfaConfiguration="OFF",
        AccessTokenValidity=5,
        IdTokenValidity=2,
        RefreshTokenValidity=90,
        TokenValidityUnits={
            "AccessToken": "minutes",
            "IdToken": "hours",
            "RefreshToken": "minutes",
        },
    )
    client = make_boto3_client(info)
    tokens = confirmed_sign_in(client, info, unique_email)
    access, identity = _claims(tokens["AccessToken"]), _claims(tokens["IdToken"])
    assert tokens["ExpiresIn"] == 300
    assert access["exp"] - access["iat"] == 300
    assert identity["exp"] - identity["iat"] == 2 * 3600
    device_key = _confirm(client, tokens)
    # The refresh token's 90 minutes run on the local clock: 89 minutes on, it refreshes.
    private_cognito.clock.advance(89 * 60)
    fresh = _refresh(client, info, tokens["RefreshToken"], device_key)["AuthenticationResult"]
    assert client.get_user(AccessToken=fresh["AccessToken"])["Username"] == unique_email
    # 90 minutes after the sign-in the refresh token has expired.
    private_cognito.clock.advance(61)
    assert cognito_error(_refresh, client, info, tokens["RefreshToken"], device_key) == (
        "NotAuthorizedException",
        "Refresh Token has expired",
    )


def test_the_templates_validity_applies_to_the_default_pool(
    accounts: Any, unique_email: str
) -> None:
    # user-pool.yaml: AccessTokenValidity 60 / IdTokenValidity 60 minutes.
    tokens = accounts.with_mfa(unique_email).tokens
    assert tokens["ExpiresIn"] == 3600
    identity = _claims(tokens["IdToken"])
    assert identity["exp"] - identity["iat"] == 3600


def test_id_token_verifies_through_the_openid_configuration(
    accounts: Any, local_cognito: Any, unique_email: str
) -> None:
    """A verifier pointed at the local endpoint: discovery → JWKS → signature and issuer."""
    id_token = accounts.with_mfa(unique_email).tokens["IdToken"]
    issuer = f"{local_cognito.endpoint_url}/{local_cognito.user_pool_id}"
    with urlopen(f"{issuer}/.well-known/openid-configuration") as response:  # noqa: S310
        discovery = json.load(response)
    assert discovery["issuer"] == issuer
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(
        id_token,
        signing_key.key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=local_cognito.client_id,
        issuer=discovery["issuer"],
    )
    assert claims["email"] == unique_email.lower()


def test_openid_configuration_of_an_unknown_pool_is_not_found(local_cognito: Any) -> None:
    from urllib.error import HTTPError

    url = f"{local_cognito.endpoint_url}/eu-west-1_nope/.well-known/openid-configuration"
    with pytest.raises(HTTPError) as caught:
        urlopen(url)  # noqa: S310
    with caught.value as error:
        assert error.code == 404
        assert json.load(error)["__type"] == "ResourceNotFoundException"


def test_verify_software_token_with_an_access_token(
    accounts: Any, cognito_client: Any, unique_email: str
) -> None:
    """Associate and verify a new secret with the access token of a sign-in whose MFA code
    was the current one: the new secret's current code is a different code, and verifies."""
    account = accounts.with_mfa(unique_email)
    token = account.tokens["AccessToken"]
    association = cognito_client.associate_software_token(AccessToken=token)
    assert set(association) - {"ResponseMetadata"} == {"SecretCode"}
    code = pyotp.TOTP(association["SecretCode"]).at(account.clock.now())
    verified = cognito_client.verify_software_token(AccessToken=token, UserCode=code)
    assert verified["Status"] == "SUCCESS"
    account.totp_secret, account._used_steps = association["SecretCode"], set()
    step = accounts.sign_in(account)
    assert cognito_error(
        accounts.respond,
        "SOFTWARE_TOKEN_MFA",
        step["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=code,
    ) == ("ExpiredCodeException", "Your software token has already been used once.")
