"""Helpers shared by the gateway's wire tests (imported by conftest.py and test modules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import AuthStep
from tests.support.challenges import respond_mfa_setup
from tests.support.passwords import PASSWORD
from tests.support.totp import CognitoClock, totp_code


def gateway_for(info: Any) -> CognitoGateway:
    """A gateway built the production way (settings -> boto3 client) for a local pool."""
    return CognitoGateway.from_settings(info.cognito_settings())


@dataclass
class MfaUser:
    """A confirmed user with TOTP set up, and the tokens of the sign-in that set it up."""

    username: str
    password: str
    totp_secret: str
    setup: AuthStep


def sign_up_confirmed(gateway: CognitoGateway, outbox: Any, email: str) -> None:
    gateway.sign_up(email, PASSWORD, email=email)
    gateway.confirm_sign_up(email, outbox.latest_code(email))


def set_up_mfa(
    gateway: CognitoGateway, email: str, password: str = PASSWORD, *, clock: CognitoClock
) -> MfaUser:
    """Sign in (MFA_SETUP), associate and verify a TOTP secret (a code at ``clock``'s time:
    the gateway's local Cognito's), finish the challenge."""
    step = gateway.initiate_auth(email, password)
    assert step.challenge_name == "MFA_SETUP", step
    association = gateway.associate_software_token(session=step.session)
    session = gateway.verify_software_token(
        totp_code(association.secret_code, -1, clock=clock),
        session=association.session,
        friendly_device_name="test phone",
    ).session
    assert session
    done = respond_mfa_setup(gateway, step.challenge_username(email), session)
    assert done.tokens is not None, done
    return MfaUser(email, password, association.secret_code, done)
