"""Expiry over the wire: challenge sessions, confirmation codes, temporary passwords.

These move the local Cognito's clock forward, so they run on a LocalCognito of their own:
the session-wide one keeps its clock, and other tests' sessions and tokens stay valid.
"""

from __future__ import annotations

import pytest
from gateway_wire_support import gateway_for, set_up_mfa

from bff import errors
from bff.cognito.gateway import CognitoGateway
from bff.flows import applicants
from local_cognito import LocalCognito
from tests.support.challenges import respond_mfa_setup, respond_software_token_mfa
from tests.support.passwords import PASSWORD
from tests.support.totp import totp_code

MINUTE = 60
DAY = 24 * 60 * MINUTE


@pytest.fixture(scope="module")
def time_machine():
    server = LocalCognito()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clocked_gateway(time_machine) -> CognitoGateway:
    return gateway_for(time_machine.info)


def _latest(time_machine, email: str, kind: str):
    messages = time_machine.outbox.messages(email.lower(), kind)
    assert messages, f"no {kind} for {email}"
    return messages[-1]


def _confirmed(time_machine, gateway, email):
    gateway.sign_up(email, PASSWORD, email=email)
    gateway.confirm_sign_up(email, _latest(time_machine, email, "confirmation_code").code)


def test_expired_challenge_session_is_session_expired(time_machine, clocked_gateway, unique_email):
    gateway = clocked_gateway
    _confirmed(time_machine, gateway, unique_email)
    mfa = set_up_mfa(gateway, unique_email, clock=time_machine.clock)
    step = gateway.initiate_auth(unique_email, PASSWORD)
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"
    time_machine.clock.advance(3 * MINUTE + 1)  # AuthSessionValidity: 3 minutes
    with pytest.raises(errors.SessionExpired) as caught:
        respond_software_token_mfa(
            gateway,
            step.challenge_username(unique_email),
            totp_code(mfa.totp_secret, 1, clock=time_machine.clock),
            step.session,
        )
    assert caught.value.code == "session_expired" and caught.value.status == 401
    assert caught.value.cognito_code == "NotAuthorizedException"


def test_associate_with_an_expired_session_is_refused(time_machine, clocked_gateway, unique_email):
    gateway = clocked_gateway
    _confirmed(time_machine, gateway, unique_email)
    step = gateway.initiate_auth(unique_email, PASSWORD)
    time_machine.clock.advance(3 * MINUTE + 1)
    # Which NotAuthorizedException message AssociateSoftwareToken sends for an expired (not
    # a used) session is not documented; the local Cognito says "Invalid session for the
    # user." Either way the SPA must restart the sign-in.
    with pytest.raises(errors.NotAuthorized):
        gateway.associate_software_token(session=step.session)


def test_expired_session_at_the_totp_step(time_machine, clocked_gateway, unique_email):
    gateway = clocked_gateway
    gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    gateway.confirm_sign_up(
        unique_email, _latest(time_machine, unique_email, "confirmation_code").code
    )
    step = gateway.initiate_auth(unique_email, PASSWORD)
    association = gateway.associate_software_token(session=step.session)
    session = gateway.verify_software_token(
        totp_code(association.secret_code, clock=time_machine.clock), session=association.session
    ).session
    time_machine.clock.advance(3 * MINUTE + 1)
    with pytest.raises(errors.SessionExpired):
        respond_mfa_setup(gateway, step.challenge_username(unique_email), session)


def test_confirmation_code_older_than_a_day_is_expired_code(
    time_machine, clocked_gateway, unique_email
):
    gateway = clocked_gateway
    gateway.sign_up(unique_email, PASSWORD, email=unique_email)
    code = _latest(time_machine, unique_email, "confirmation_code").code
    time_machine.clock.advance(DAY + 1)
    with pytest.raises(errors.ExpiredCode):
        gateway.confirm_sign_up(unique_email, code)
    # The remedy: a new code.
    gateway.resend_confirmation_code(unique_email)
    gateway.confirm_sign_up(
        unique_email, _latest(time_machine, unique_email, "confirmation_code").code
    )
    assert gateway.admin_get_user(unique_email).status == "CONFIRMED"


def test_expired_temporary_password_then_resend_as_the_ticket_describes(
    time_machine, clocked_gateway, unique_email
):
    gateway = clocked_gateway
    applicants.create_cognito_user(unique_email, gateway=gateway)
    old = _latest(time_machine, unique_email, "temporary_password").temporary_password
    time_machine.clock.advance(7 * DAY + 1)  # TemporaryPasswordValidityDays: 7
    with pytest.raises(errors.TemporaryPasswordExpired) as caught:
        applicants.handle_new_password_challenge(
            unique_email, old, "Brand-New-Passw0rd!", gateway=gateway
        )
    assert isinstance(caught.value, errors.NotAuthorized)
    assert caught.value.code == "temporary_password_expired"

    applicants.resend_temporary_password(unique_email, gateway=gateway)
    new = _latest(time_machine, unique_email, "temporary_password").temporary_password
    step = applicants.handle_new_password_challenge(
        unique_email, new, "Brand-New-Passw0rd!", gateway=gateway
    )
    assert step.challenge_name == "MFA_SETUP"


class _SlowUserGateway(CognitoGateway):
    """The user takes longer than the session allows between the two calls."""

    def __init__(self, *args, clock, **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def admin_initiate_auth(self, *args, **kwargs):
        step = super().admin_initiate_auth(*args, **kwargs)
        self._clock.advance(3 * MINUTE + 1)
        return step


def test_new_password_challenge_answered_too_late_is_session_expired(
    time_machine, clocked_gateway, unique_email
):
    slow = _SlowUserGateway(
        clocked_gateway._client,
        user_pool_id=clocked_gateway.user_pool_id,
        client_id=clocked_gateway.client_id,
        clock=time_machine.clock,
    )
    applicants.create_cognito_user(unique_email, "Temp-Passw0rd!", gateway=slow)
    with pytest.raises(errors.SessionExpired):
        applicants.handle_new_password_challenge(
            unique_email, "Temp-Passw0rd!", "Brand-New-Passw0rd!", gateway=slow
        )
