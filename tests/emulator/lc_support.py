"""Helpers shared by the local Cognito's wire tests (imported by conftest.py and the test
modules): accounts at each stage of their life, the expected-error check."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import generate_hash_device

from tests.support.passwords import PASSWORD
from tests.support.totp import CognitoClock


def cognito_error(call: Callable[..., Any], *args: Any, **params: Any) -> tuple[str, str]:
    """The (Code, Message) of the Cognito error ``call(*args, **params)`` must raise; the
    test fails if it raises none."""
    with pytest.raises(ClientError) as excinfo:
        call(*args, **params)
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@dataclass
class Account:
    """A user of the local Cognito and what a test needs to sign them in."""

    email: str
    #: the local Cognito's clock: its TOTP steps are counted on it
    clock: CognitoClock
    password: str = PASSWORD
    totp_secret: str | None = None
    tokens: dict[str, Any] = field(default_factory=dict)
    _used_steps: set[int] = field(default_factory=set)

    def totp_code(self) -> str:
        """A code the server has not seen yet: current step, else the next, else previous
        (steps of the local Cognito's clock)."""
        assert self.totp_secret
        now = int(self.clock.now() // 30)
        for step in (now, now + 1, now - 1):
            if step not in self._used_steps:
                self._used_steps.add(step)
                return pyotp.TOTP(self.totp_secret).at(step * 30)
        raise AssertionError("three TOTP codes used within 30 seconds")


class Accounts:
    """Creates accounts through the wire API, as the BFF would."""

    def __init__(self, client: Any, info: Any, outbox: Any, clock: CognitoClock) -> None:
        self.client, self.info, self.outbox, self.clock = client, info, outbox, clock

    def signed_up(self, email: str) -> Account:
        self.client.sign_up(
            ClientId=self.info.client_id,
            Username=email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        return Account(email, self.clock)

    def confirmed(self, email: str) -> Account:
        account = self.signed_up(email)
        self.client.confirm_sign_up(
            ClientId=self.info.client_id,
            Username=email,
            ConfirmationCode=self.outbox.latest_code(email),
        )
        return account

    def sign_in(self, account: Account, **extra: str) -> dict[str, Any]:
        return self.client.admin_initiate_auth(
            UserPoolId=self.info.user_pool_id,
            ClientId=self.info.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": account.email, "PASSWORD": account.password, **extra},
        )

    def respond(self, name: str, session: str | None, **responses: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "UserPoolId": self.info.user_pool_id,
            "ClientId": self.info.client_id,
            "ChallengeName": name,
            "ChallengeResponses": responses,
        }
        if session is not None:
            kwargs["Session"] = session
        return self.client.admin_respond_to_auth_challenge(**kwargs)

    def with_mfa(self, email: str) -> Account:
        """Confirmed, TOTP set up through MFA_SETUP, signed in once (tokens kept)."""
        account = self.confirmed(email)
        step = self.sign_in(account)
        assert step["ChallengeName"] == "MFA_SETUP"
        association = self.client.associate_software_token(Session=step["Session"])
        account.totp_secret = association["SecretCode"]
        verified = self.client.verify_software_token(
            Session=association["Session"], UserCode=account.totp_code()
        )
        done = self.respond("MFA_SETUP", verified["Session"], USERNAME=email)
        account.tokens = done["AuthenticationResult"]
        return account


def remember_device(cognito_client: Any, account: Any, remember: bool = True) -> dict[str, str]:
    """Confirm the device Cognito gave ``account`` at sign-in (ConfirmDevice with a verifier)
    and, with ``remember``, mark it remembered; its key, group key and password."""
    metadata = account.tokens["NewDeviceMetadata"]
    assert re.fullmatch(r"eu-west-1_[0-9a-f-]{36}", metadata["DeviceKey"])
    # pycognito's own confirm_device posts to the real AWS URL; its verifier helper is used
    # with boto3 on the local endpoint instead.
    device_password, verifier_config = generate_hash_device(
        metadata["DeviceGroupKey"], metadata["DeviceKey"]
    )
    response = cognito_client.confirm_device(
        AccessToken=account.tokens["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=verifier_config,
        DeviceName="laptop",
    )
    assert response["UserConfirmationNecessary"] is True
    if remember:
        cognito_client.update_device_status(
            AccessToken=account.tokens["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceRememberedStatus="remembered",
        )
    return {
        "device_key": metadata["DeviceKey"],
        "device_group_key": metadata["DeviceGroupKey"],
        "device_password": device_password,
    }


def confirmed_sign_in(client: Any, info: Any, email: str) -> dict[str, Any]:
    """A confirmed user ``email`` (AdminCreateUser, AdminSetUserPassword permanent), signed in
    with USER_PASSWORD_AUTH; the AuthenticationResult."""
    client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    client.admin_set_user_password(
        UserPoolId=info.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    result: dict[str, Any] = client.initiate_auth(
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result
