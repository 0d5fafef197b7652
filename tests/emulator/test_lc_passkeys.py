"""Passkey registration, listing and deletion in the local Cognito, through the wire
(boto3), with a software authenticator: the attestation is verified for real, and each of
Cognito's refusals answers with its error code."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from lc_support import cognito_error, confirmed_sign_in

from local_cognito import LocalCognito
from local_cognito.webauthn import CHALLENGE_TTL, LOCAL_RELYING_PARTY_ID, RELYING_PARTY_MISMATCH
from tests.support.passkeys import SoftwarePasskey, b64url, flip_signature_byte, with_challenge


def _email() -> str:
    return f"passkey-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture(scope="module")
def pool(private_cognito: LocalCognito) -> Any:
    """A pool without MFA: a password signs in at once (the template's pool requires MFA)."""
    return private_cognito.provision(MfaConfiguration="OFF")


@pytest.fixture
def client(private_cognito: LocalCognito) -> Any:
    return private_cognito.client()


def _register(client: Any, token: str, passkey: SoftwarePasskey) -> dict[str, Any]:
    options = client.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    client.complete_web_authn_registration(AccessToken=token, Credential=passkey.create(options))
    return options


def test_pools_start_with_localhost_as_relying_party(
    cognito_client: Any, local_cognito: Any
) -> None:
    config = cognito_client.get_user_pool_mfa_config(UserPoolId=local_cognito.user_pool_id)
    assert config["MfaConfiguration"] == "ON"
    assert config["WebAuthnConfiguration"] == {
        "RelyingPartyId": LOCAL_RELYING_PARTY_ID,
        "UserVerification": "preferred",
    }


def test_register_list_and_delete(client: Any, pool: Any) -> None:
    token = confirmed_sign_in(client, pool, _email())["AccessToken"]
    options = client.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"] == {"id": "localhost", "name": "localhost"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["excludeCredentials"] == []
    assert {p["alg"] for p in options["pubKeyCredParams"]} >= {-7, -257}
    passkey = SoftwarePasskey()
    client.complete_web_authn_registration(AccessToken=token, Credential=passkey.create(options))

    listed = client.list_web_authn_credentials(AccessToken=token)
    (credential,) = listed["Credentials"]
    assert credential["CredentialId"] == passkey.create(options)["id"]
    assert credential["RelyingPartyId"] == "localhost"
    assert credential["AuthenticatorAttachment"] == "platform"
    assert credential["AuthenticatorTransports"] == ["internal"]
    assert credential["FriendlyCredentialName"].startswith("This device's passkey")
    assert "NextToken" not in listed

    # A second registration excludes the first passkey (the browser refuses to re-register).
    again = client.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert [c["id"] for c in again["excludeCredentials"]] == [credential["CredentialId"]]

    client.delete_web_authn_credential(AccessToken=token, CredentialId=credential["CredentialId"])
    assert client.list_web_authn_credentials(AccessToken=token)["Credentials"] == []
    assert (
        cognito_error(
            client.delete_web_authn_credential,
            AccessToken=token,
            CredentialId=credential["CredentialId"],
        )[0]
        == "ResourceNotFoundException"
    )


def test_list_pages_with_next_token(client: Any, pool: Any) -> None:
    token = confirmed_sign_in(client, pool, _email())["AccessToken"]
    ids = []
    for _ in range(3):
        passkey = SoftwarePasskey()
        _register(client, token, passkey)
        ids.append(
            passkey.create({"rp": {"id": "localhost"}, "user": {"id": ""}, "challenge": ""})["id"]
        )
    first = client.list_web_authn_credentials(AccessToken=token, MaxResults=2)
    assert [c["CredentialId"] for c in first["Credentials"]] == ids[:2]
    second = client.list_web_authn_credentials(
        AccessToken=token, MaxResults=2, NextToken=first["NextToken"]
    )
    assert [c["CredentialId"] for c in second["Credentials"]] == ids[2:]
    assert "NextToken" not in second
    code, _ = cognito_error(
        client.list_web_authn_credentials, AccessToken=token, NextToken="bm90LWEtdG9rZW4"
    )
    assert code == "InvalidParameterException"


def test_tampered_or_foreign_registrations_are_refused(client: Any, pool: Any) -> None:
    token = confirmed_sign_in(client, pool, _email())["AccessToken"]

    def refused(answer: Any) -> str:
        return cognito_error(
            client.complete_web_authn_registration, AccessToken=token, Credential=answer
        )[0]

    options = client.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert refused(with_challenge(SoftwarePasskey().create(options), "AAAA")) == (
        "WebAuthnChallengeNotFoundException"
    )
    assert refused(SoftwarePasskey(rp_id="example.com").create(options)) == (
        "WebAuthnRelyingPartyMismatchException"
    )
    assert refused(SoftwarePasskey(origin="https://evil.example").create(options)) == (
        "WebAuthnOriginNotAllowedException"
    )
    assert refused({"id": "x"}) == "InvalidParameterException"
    # None of these spent the challenge; a good answer still registers, once.
    answer = SoftwarePasskey().create(options)
    client.complete_web_authn_registration(AccessToken=token, Credential=answer)
    assert refused(answer) == "WebAuthnChallengeNotFoundException"
    assert len(client.list_web_authn_credentials(AccessToken=token)["Credentials"]) == 1


def test_required_user_verification(private_cognito: LocalCognito) -> None:
    info = private_cognito.provision(MfaConfiguration="OPTIONAL")
    client = private_cognito.client()
    client.set_user_pool_mfa_config(
        UserPoolId=info.user_pool_id,
        WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"},
    )
    token = confirmed_sign_in(client, info, _email())["AccessToken"]
    options = client.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    code, _ = cognito_error(
        client.complete_web_authn_registration,
        AccessToken=token,
        Credential=SoftwarePasskey(user_verified=False).create(options),
    )
    assert code == "WebAuthnCredentialNotSupportedException"
    # Setting the passkeys alone keeps the MFA settings as they were.
    assert client.get_user_pool_mfa_config(UserPoolId=info.user_pool_id)["MfaConfiguration"] == (
        "OPTIONAL"
    )


def test_registration_challenge_expires(private_cognito: LocalCognito, pool: Any) -> None:
    info = pool
    client = private_cognito.client()
    token = confirmed_sign_in(client, info, _email())["AccessToken"]
    options = client.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    private_cognito.clock.advance(CHALLENGE_TTL + 1)
    code, _ = cognito_error(
        client.complete_web_authn_registration,
        AccessToken=token,
        Credential=SoftwarePasskey().create(options),
    )
    assert code == "WebAuthnChallengeNotFoundException"


def test_lite_pools_have_no_passkeys(private_cognito: LocalCognito) -> None:
    info = private_cognito.provision(UserPoolTier="LITE", MfaConfiguration="OFF")
    client = private_cognito.client()
    assert "WebAuthnConfiguration" not in client.get_user_pool_mfa_config(
        UserPoolId=info.user_pool_id
    )
    code, _ = cognito_error(
        client.set_user_pool_mfa_config,
        UserPoolId=info.user_pool_id,
        WebAuthnConfiguration={"RelyingPartyId": "localhost"},
    )
    assert code == "FeatureUnavailableInTierException"
    token = confirmed_sign_in(client, info, _email())["AccessToken"]
    code, _ = cognito_error(client.start_web_authn_registration, AccessToken=token)
    assert code == "WebAuthnNotEnabledException"


def test_a_pool_without_relying_party(private_cognito: LocalCognito) -> None:
    info = private_cognito.provision(MfaConfiguration="OFF")
    private_cognito.backend.webauthn_settings.pop(info.user_pool_id)
    client = private_cognito.client()
    token = confirmed_sign_in(client, info, _email())["AccessToken"]
    code, _ = cognito_error(client.start_web_authn_registration, AccessToken=token)
    assert code == "WebAuthnConfigurationMissingException"


def test_passkeys_survive_a_restart(tmp_path: Any) -> None:
    first = LocalCognito(state_dir=tmp_path)
    first.start()
    try:
        info = first.provision(MfaConfiguration="OFF")
        client = first.client()
        token = confirmed_sign_in(client, info, _email())["AccessToken"]
        _register(client, token, SoftwarePasskey())
        before = client.list_web_authn_credentials(AccessToken=token)["Credentials"]
    finally:
        first.stop()
    second = LocalCognito(state_dir=tmp_path)
    second.start()
    try:
        assert second.restored
        after = second.client().list_web_authn_credentials(AccessToken=token)["Credentials"]
        assert after == before
        stored = second.backend.webauthn_credentials
        (passkeys,) = stored.values()
        assert isinstance(passkeys[0]["public_key"], bytes)
    finally:
        second.stop()


def test_max_results_is_bounded(client: Any, pool: Any) -> None:
    token = confirmed_sign_in(client, pool, _email())["AccessToken"]
    code, _ = cognito_error(client.list_web_authn_credentials, AccessToken=token, MaxResults=21)
    assert code == "InvalidParameterException"


@pytest.fixture(scope="module")
def passwordless_pool(private_cognito: LocalCognito) -> Any:
    """MFA optional: Cognito offers passwordless first factors only where MFA is not required."""
    return private_cognito.provision(MfaConfiguration="OPTIONAL")


def _with_passkey(client: Any, pool: Any) -> tuple[str, SoftwarePasskey]:
    email = _email()
    token = confirmed_sign_in(client, pool, email)["AccessToken"]
    passkey = SoftwarePasskey()
    _register(client, token, passkey)
    return email, passkey


def _passkey_challenge(client: Any, pool: Any, email: str) -> dict[str, Any]:
    step: dict[str, Any] = client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": email, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    return step


def _answer(client: Any, pool: Any, step: dict[str, Any], email: str, answer: Any) -> Any:
    return client.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="WEB_AUTHN",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": email, "CREDENTIAL": json.dumps(answer)},
    )


def test_sign_in_with_a_passkey(client: Any, passwordless_pool: Any) -> None:
    email, passkey = _with_passkey(client, passwordless_pool)
    step = _passkey_challenge(client, passwordless_pool, email)
    assert step["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(step["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "preferred"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(passkey.credential_id)]
    signed = _answer(client, passwordless_pool, step, email, passkey.get(options))
    assert signed["AuthenticationResult"]["AccessToken"]

    # Through the choice: WEB_AUTHN is among the user's factors, then asked for.
    chosen = client.initiate_auth(
        ClientId=passwordless_pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": email},
    )
    assert chosen["ChallengeName"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" in chosen["AvailableChallenges"]
    asked = client.respond_to_auth_challenge(
        ClientId=passwordless_pool.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=chosen["Session"],
        ChallengeResponses={"USERNAME": email, "ANSWER": "WEB_AUTHN"},
    )
    assert asked["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(asked["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    done = _answer(client, passwordless_pool, asked, email, passkey.get(options))
    assert done["AuthenticationResult"]["IdToken"]
    factors = client.get_user_auth_factors(AccessToken=done["AuthenticationResult"]["AccessToken"])
    assert "WEB_AUTHN" in factors["ConfiguredUserAuthFactors"]


def test_tampered_and_foreign_assertions_are_refused(client: Any, passwordless_pool: Any) -> None:
    email, passkey = _with_passkey(client, passwordless_pool)
    step = _passkey_challenge(client, passwordless_pool, email)
    options = json.loads(step["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])

    def refused(answer: Any) -> tuple[str, str]:
        return cognito_error(_answer, client, passwordless_pool, step, email, answer)

    code, message = refused(flip_signature_byte(passkey.get(options)))
    assert code == "NotAuthorizedException"
    assert "signature" in message
    code, _ = refused(with_challenge(passkey.get(options), b64url(b"another challenge")))
    assert code == "NotAuthorizedException"
    foreign = SoftwarePasskey(
        rp_id="example.com", key=passkey.key, credential_id=passkey.credential_id
    )
    code, message = refused(foreign.get(options))
    assert (code, message) == ("NotAuthorizedException", RELYING_PARTY_MISMATCH)
    code, _ = refused(SoftwarePasskey(origin="https://evil.example").get(options))
    assert code == "NotAuthorizedException"
    code, _ = refused({"id": "x"})
    assert code == "InvalidParameterException"
    # None of these spent the session: the real assertion signs in.
    signed = _answer(client, passwordless_pool, step, email, passkey.get(options))
    assert signed["AuthenticationResult"]["AccessToken"]

    # A counter that did not move past the stored one (a cloned authenticator): refused.
    step = _passkey_challenge(client, passwordless_pool, email)
    options = json.loads(step["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    clone = SoftwarePasskey(key=passkey.key, credential_id=passkey.credential_id)
    assert refused(clone.get(options))[0] == "NotAuthorizedException"
    assert _answer(client, passwordless_pool, step, email, passkey.get(options))[
        "AuthenticationResult"
    ]


def test_no_passkey_no_web_authn(client: Any, passwordless_pool: Any) -> None:
    email = _email()
    confirmed_sign_in(client, passwordless_pool, email)
    chosen = client.initiate_auth(
        ClientId=passwordless_pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": email},
    )
    assert "WEB_AUTHN" not in chosen.get("AvailableChallenges", [])
