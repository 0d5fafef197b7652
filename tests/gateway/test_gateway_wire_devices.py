"""Remembered devices over the wire: ConfirmDevice, device SRP sign-in without MFA, and
the same device answered by pycognito's independent implementation."""

from __future__ import annotations

import base64
import functools

import pytest
from pycognito import aws_srp

from bff import errors
from bff.cognito import srp
from bff.cognito.types import RememberedDevice
from tests.support.challenges import (
    initiate_srp_auth,
    respond_device_password_verifier,
    respond_device_srp_auth,
    respond_software_token_mfa,
    sign_in_with_device,
)
from tests.support.totp import totp_code


@pytest.fixture
def remembered(mfa_user, any_gateway):
    """The device offered at MFA setup, confirmed and remembered."""
    tokens, offered = mfa_user.setup.tokens, mfa_user.setup.new_device
    assert offered is not None, "device tracking offers a device key with the tokens"
    device, needs_user_confirmation = any_gateway.confirm_device(
        tokens.access_token, offered, device_name="Ada's laptop"
    )
    # The pool remembers devices only when the user opts in (DeviceOnlyRememberedOnUserPrompt).
    assert needs_user_confirmation is True
    any_gateway.update_device_status(tokens.access_token, device.device_key, remembered=True)
    return device


def test_confirmed_device_is_listed_and_remembered(mfa_user, any_gateway, remembered):
    devices = any_gateway.list_devices(mfa_user.setup.tokens.access_token)
    assert [d.device_key for d in devices] == [remembered.device_key]
    assert devices[0].name == "Ada's laptop"
    assert devices[0].attributes["dev:device_remembered_status"] == "remembered"
    assert devices[0].created is not None
    assert len(base64.b64decode(remembered.device_password)) == 40
    assert remembered.device_password not in repr(remembered)


@pytest.mark.parametrize("flow", ["password", "srp"])
def test_remembered_device_signs_in_without_mfa(mfa_user, any_gateway, remembered, flow):
    start = {
        "password": any_gateway.initiate_auth,
        "srp": functools.partial(initiate_srp_auth, any_gateway),
    }[flow]
    step = start(mfa_user.username, mfa_user.password, device_key=remembered.device_key)
    assert step.challenge_name == "DEVICE_SRP_AUTH"
    done = sign_in_with_device(
        any_gateway, step.challenge_username(mfa_user.username), remembered, step.session
    )
    assert done.challenge_name is None
    assert done.tokens is not None and done.tokens.access_token


def test_admin_sign_in_with_a_remembered_device_asks_for_device_srp(
    mfa_user, any_gateway, remembered
):
    step = any_gateway.admin_initiate_auth(
        mfa_user.username, mfa_user.password, device_key=remembered.device_key
    )
    assert step.challenge_name == "DEVICE_SRP_AUTH"


def test_two_rounds_one_by_one(mfa_user, any_gateway, remembered):
    step = any_gateway.initiate_auth(
        mfa_user.username, mfa_user.password, device_key=remembered.device_key
    )
    challenge = respond_device_srp_auth(
        any_gateway, step.challenge_username(mfa_user.username), remembered, step.session
    )
    assert challenge.step.challenge_name == "DEVICE_PASSWORD_VERIFIER"
    assert {"SRP_B", "SALT", "SECRET_BLOCK"} <= set(challenge.step.challenge_parameters)
    assert str(challenge.srp_small_a) not in repr(challenge)
    assert respond_device_password_verifier(any_gateway, challenge).tokens is not None


def test_wrong_device_password_is_not_authorized(mfa_user, any_gateway, remembered):
    impostor = RememberedDevice(
        device_key=remembered.device_key,
        device_group_key=remembered.device_group_key,
        device_password=base64.b64encode(b"\x00" * 40).decode(),
    )
    step = any_gateway.initiate_auth(
        mfa_user.username, mfa_user.password, device_key=remembered.device_key
    )
    with pytest.raises(errors.NotAuthorized):
        sign_in_with_device(
            any_gateway, step.challenge_username(mfa_user.username), impostor, step.session
        )


def test_device_not_remembered_still_gets_mfa(mfa_user, any_gateway):
    tokens, offered = mfa_user.setup.tokens, mfa_user.setup.new_device
    device, _ = any_gateway.confirm_device(tokens.access_token, offered, device_name="kiosk")
    # Confirmed but never marked remembered: in an opt-in pool it does not skip MFA.
    step = any_gateway.initiate_auth(
        mfa_user.username, mfa_user.password, device_key=device.device_key
    )
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"


def test_forgotten_device_asks_for_mfa_again(mfa_user, any_gateway, remembered, cognito_clock):
    access_token = mfa_user.setup.tokens.access_token
    any_gateway.update_device_status(access_token, remembered.device_key, remembered=False)
    step = any_gateway.initiate_auth(
        mfa_user.username, mfa_user.password, device_key=remembered.device_key
    )
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"
    done = respond_software_token_mfa(
        any_gateway,
        step.challenge_username(mfa_user.username),
        totp_code(mfa_user.totp_secret, clock=cognito_clock),
        step.session,
    )
    any_gateway.forget_device(done.tokens.access_token, remembered.device_key)
    assert any_gateway.list_devices(done.tokens.access_token) == []
    again = any_gateway.initiate_auth(mfa_user.username, mfa_user.password)
    assert again.challenge_name == "SOFTWARE_TOKEN_MFA"


@pytest.mark.parametrize("flow", ["password", "admin", "srp"])
def test_forgotten_device_at_sign_in_does_not_exist(mfa_user, any_gateway, remembered, flow):
    """Cognito answers a forgotten DEVICE_KEY with ResourceNotFoundException on every flow
    (reported); the BFF's sign-in retries without the device on it."""
    any_gateway.forget_device(mfa_user.setup.tokens.access_token, remembered.device_key)
    start = {
        "password": any_gateway.initiate_auth,
        "admin": any_gateway.admin_initiate_auth,
        "srp": functools.partial(initiate_srp_auth, any_gateway),
    }[flow]
    with pytest.raises(errors.CognitoError) as caught:
        start(mfa_user.username, mfa_user.password, device_key=remembered.device_key)
    assert caught.value.cognito_code == "ResourceNotFoundException"
    assert caught.value.message == "Device does not exist."


def test_pycognito_answers_the_same_device_challenge(mfa_user, any_gateway, remembered):
    """A device confirmed with our verifier is accepted when pycognito does the client math:
    the two implementations agree on the verifier, x, the key and the signature format."""
    client = any_gateway._client  # the same wire client; pycognito only needs the math here
    theirs = aws_srp.AWSSRP(
        username=mfa_user.username,
        password=mfa_user.password,
        pool_id=any_gateway.user_pool_id,
        client_id=any_gateway.client_id,
        client=client,
        client_secret=any_gateway._client_secret,
        device_key=remembered.device_key,
        device_group_key=remembered.device_group_key,
        device_password=remembered.device_password,
    )
    step = any_gateway.initiate_auth(
        mfa_user.username, mfa_user.password, device_key=remembered.device_key
    )
    username = step.challenge_username(mfa_user.username)
    ours = srp.SrpEphemeral(small_a=theirs.small_a_value, large_a=theirs.large_a_value)
    round_one = client.respond_to_auth_challenge(
        ClientId=any_gateway.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=step.session,
        ChallengeResponses=any_gateway._auth_parameters(
            username, USERNAME=username, DEVICE_KEY=remembered.device_key, SRP_A=ours.srp_a
        ),
    )
    responses = theirs.process_device_challenge(round_one["ChallengeParameters"])
    result = client.respond_to_auth_challenge(
        ClientId=any_gateway.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=round_one["Session"],
        ChallengeResponses=responses,
    )
    assert result["AuthenticationResult"]["AccessToken"]
