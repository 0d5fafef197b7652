"""Sign-in, MFA, refresh and sign-out through the gateway, over the wire."""

from __future__ import annotations

import logging

import pytest
from gateway_wire_support import set_up_mfa, sign_up_confirmed

from bff import errors
from bff.cognito.settings import quiet_wire_loggers
from tests.support.challenges import initiate_srp_auth, respond_software_token_mfa
from tests.support.passwords import PASSWORD
from tests.support.totp import totp_code


def test_wrong_password_and_unknown_user_get_the_same_not_authorized(
    any_gateway, outbox, unique_email
):
    sign_up_confirmed(any_gateway, outbox, unique_email)
    with pytest.raises(errors.NotAuthorized) as wrong_password:
        any_gateway.initiate_auth(unique_email, PASSWORD + "x")
    with pytest.raises(errors.NotAuthorized) as unknown_user:
        any_gateway.initiate_auth("nobody-" + unique_email, PASSWORD)
    assert wrong_password.value.to_dict() == unknown_user.value.to_dict()
    assert wrong_password.value.message == "Incorrect username or password."


def test_srp_sign_in_proves_the_password_without_sending_it(any_gateway, outbox, unique_email):
    sign_up_confirmed(any_gateway, outbox, unique_email)
    step = initiate_srp_auth(any_gateway, unique_email, PASSWORD)
    # The local Cognito checked PASSWORD_CLAIM_SIGNATURE; MFA is required in this pool.
    assert step.challenge_name == "MFA_SETUP"
    assert step.challenge_parameters["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    with pytest.raises(errors.NotAuthorized):
        initiate_srp_auth(any_gateway, unique_email, PASSWORD + "x")


def test_admin_initiate_auth_reaches_the_same_challenge(any_gateway, outbox, unique_email):
    sign_up_confirmed(any_gateway, outbox, unique_email)
    step = any_gateway.admin_initiate_auth(unique_email, PASSWORD)
    assert step.challenge_name == "MFA_SETUP" and step.session


def test_mfa_setup_then_totp_sign_in_gives_tokens(mfa_user, any_gateway, cognito_clock):
    assert mfa_user.setup.tokens.access_token and mfa_user.setup.tokens.refresh_token
    assert any_gateway.admin_get_user(mfa_user.username).mfa_enabled == ("SOFTWARE_TOKEN_MFA",)

    step = any_gateway.initiate_auth(mfa_user.username, mfa_user.password)
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"
    done = respond_software_token_mfa(
        any_gateway,
        step.challenge_username(mfa_user.username),
        totp_code(mfa_user.totp_secret, 0, clock=cognito_clock),
        step.session,
    )
    assert done.tokens is not None and done.challenge_name is None


def test_admin_totp_sign_in(mfa_user, any_gateway, cognito_clock):
    step = any_gateway.admin_initiate_auth(mfa_user.username, mfa_user.password)
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"
    done = respond_software_token_mfa(
        any_gateway,
        step.challenge_username(mfa_user.username),
        totp_code(mfa_user.totp_secret, 1, clock=cognito_clock),
        step.session,
        admin=True,
    )
    assert done.tokens is not None


def test_wrong_totp_code_is_code_mismatch(mfa_user, any_gateway, cognito_clock):
    step = any_gateway.initiate_auth(mfa_user.username, mfa_user.password)
    good = totp_code(mfa_user.totp_secret, 0, clock=cognito_clock)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    with pytest.raises(errors.CodeMismatch) as caught:
        respond_software_token_mfa(
            any_gateway, step.challenge_username(mfa_user.username), bad, step.session
        )
    assert caught.value.message == "Invalid code received for user"


def test_reused_totp_code_is_expired_code(mfa_user, any_gateway, cognito_clock):
    code = totp_code(mfa_user.totp_secret, 0, clock=cognito_clock)
    first = any_gateway.initiate_auth(mfa_user.username, mfa_user.password)
    respond_software_token_mfa(
        any_gateway, first.challenge_username(mfa_user.username), code, first.session
    )
    second = any_gateway.initiate_auth(mfa_user.username, mfa_user.password)
    with pytest.raises(errors.ExpiredCode) as caught:
        respond_software_token_mfa(
            any_gateway, second.challenge_username(mfa_user.username), code, second.session
        )
    assert "already been used" in caught.value.message


def test_wrong_code_at_mfa_setup_is_code_mismatch(gateway, outbox, unique_email, cognito_clock):
    sign_up_confirmed(gateway, outbox, unique_email)
    step = gateway.initiate_auth(unique_email, PASSWORD)
    association = gateway.associate_software_token(session=step.session)
    good = totp_code(association.secret_code, clock=cognito_clock)
    with pytest.raises(errors.CodeMismatch):
        gateway.verify_software_token(
            f"{(int(good) + 1) % 1_000_000:06d}", session=association.session
        )


def test_a_used_session_is_not_authorized(mfa_user, any_gateway, cognito_clock):
    step = any_gateway.initiate_auth(mfa_user.username, mfa_user.password)
    respond_software_token_mfa(
        any_gateway,
        step.challenge_username(mfa_user.username),
        totp_code(mfa_user.totp_secret, 1, clock=cognito_clock),
        step.session,
    )
    with pytest.raises(errors.NotAuthorized) as caught:
        respond_software_token_mfa(
            any_gateway,
            step.challenge_username(mfa_user.username),
            totp_code(mfa_user.totp_secret, -1, clock=cognito_clock),
            step.session,
        )
    assert type(caught.value) is errors.NotAuthorized  # invalid, not expired


def test_associate_with_access_token_for_a_signed_in_user(mfa_user, any_gateway, cognito_clock):
    association = any_gateway.associate_software_token(
        access_token=mfa_user.setup.tokens.access_token
    )
    assert association.secret_code and association.secret_code != mfa_user.totp_secret
    session = any_gateway.verify_software_token(
        totp_code(association.secret_code, clock=cognito_clock),
        access_token=mfa_user.setup.tokens.access_token,
        friendly_device_name="second phone",
    ).session
    assert session is None
    assert "secret_code=<hidden>" in repr(association)


def test_refresh_tokens(mfa_user, any_gateway):
    tokens, offered = mfa_user.setup.tokens, mfa_user.setup.new_device
    assert offered is not None
    # In a pool with device tracking, tokens issued with NewDeviceMetadata refresh only with
    # that device's key, once ConfirmDevice confirmed it (docs/local-cognito.md).
    with pytest.raises(errors.NotAuthorized):
        any_gateway.refresh_tokens(
            tokens.refresh_token, username=mfa_user.username, device_key=offered.device_key
        )
    any_gateway.confirm_device(tokens.access_token, offered, device_name="laptop")
    with pytest.raises(errors.NotAuthorized):
        any_gateway.refresh_tokens(tokens.refresh_token, username=mfa_user.username)
    refreshed = any_gateway.refresh_tokens(
        tokens.refresh_token, username=mfa_user.username, device_key=offered.device_key
    )
    assert refreshed.tokens is not None
    assert refreshed.tokens.access_token != tokens.access_token


def test_revoked_refresh_token_is_not_authorized(mfa_user, any_gateway):
    refresh = mfa_user.setup.tokens.refresh_token
    any_gateway.revoke_token(refresh)
    with pytest.raises(errors.NotAuthorized):
        any_gateway.refresh_tokens(refresh, username=mfa_user.username)


def test_global_sign_out_kills_access_and_refresh_tokens(mfa_user, any_gateway):
    tokens = mfa_user.setup.tokens
    any_gateway.global_sign_out(tokens.access_token)
    with pytest.raises(errors.SessionExpired):  # "Access Token has been revoked"
        any_gateway.list_devices(tokens.access_token)
    with pytest.raises(errors.NotAuthorized):
        any_gateway.refresh_tokens(tokens.refresh_token, username=mfa_user.username)


def test_secret_hash_is_required_by_a_client_with_a_secret(secret_pool, unique_email):
    from bff.cognito.gateway import CognitoGateway
    from bff.cognito.settings import make_cognito_client

    settings = secret_pool.cognito_settings()
    without_secret = CognitoGateway(  # the pool's client has a secret; this gateway omits it
        make_cognito_client(settings),
        user_pool_id=secret_pool.user_pool_id,
        client_id=secret_pool.client_id,
    )
    with pytest.raises(errors.NotAuthorized) as caught:
        without_secret.sign_up(unique_email, PASSWORD, email=unique_email)
    assert "secret" in caught.value.message.lower()
    wrong_secret = CognitoGateway(
        make_cognito_client(settings),
        user_pool_id=secret_pool.user_pool_id,
        client_id=secret_pool.client_id,
        client_secret="not-the-secret",
    )
    with pytest.raises(errors.NotAuthorized):
        wrong_secret.sign_up(unique_email, PASSWORD, email=unique_email)


def test_nothing_secret_is_logged(caplog, any_gateway, outbox, unique_email, cognito_clock):
    # Every logger at DEBUG, botocore's included: make_cognito_client keeps botocore's
    # body-printing loggers at INFO, so the capture must still hold no secret.
    caplog.set_level(logging.DEBUG)
    for name in ("botocore.endpoint", "botocore.parsers"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    quiet_wire_loggers()
    sign_up_confirmed(any_gateway, outbox, unique_email)
    user = set_up_mfa(any_gateway, unique_email, clock=cognito_clock)
    with pytest.raises(errors.NotAuthorized):
        any_gateway.initiate_auth(unique_email, "Wrong-Passw0rd!")
    text = caplog.text
    assert "cognito SignUp ok" in text
    assert "cognito InitiateAuth refused: NotAuthorizedException" in text
    for secret in (
        PASSWORD,
        "Wrong-Passw0rd!",
        user.totp_secret,
        user.setup.tokens.access_token,
        user.setup.tokens.refresh_token,
    ):
        assert secret not in text
