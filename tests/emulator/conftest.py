"""Helpers for the local Cognito's own tests: accounts at each stage of their life."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest

from bff.local_outbox import OutboxReader
from tests.support.passwords import PASSWORD


@dataclass
class Account:
    """A user of the local Cognito and what a test needs to sign them in."""

    email: str
    password: str = PASSWORD
    totp_secret: str | None = None
    tokens: dict[str, Any] = field(default_factory=dict)
    _used_steps: set[int] = field(default_factory=set)

    def totp_code(self) -> str:
        """A code the server has not seen yet: current step, else the next, else previous."""
        assert self.totp_secret
        now = int(time.time() // 30)
        for step in (now, now + 1, now - 1):
            if step not in self._used_steps:
                self._used_steps.add(step)
                return pyotp.TOTP(self.totp_secret).at(step * 30)
        raise AssertionError("three TOTP codes used within 30 seconds")


class Accounts:
    """Creates accounts through the wire API, as the BFF would."""

    def __init__(self, client: Any, info: Any, outbox: Any) -> None:
        self.client, self.info, self.outbox = client, info, outbox

    def signed_up(self, email: str) -> Account:
        self.client.sign_up(
            ClientId=self.info.client_id,
            Username=email,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
        return Account(email)

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


@pytest.fixture(scope="module")
def private_cognito() -> Any:
    """A LocalCognito of the test module's own, for tests that move its clock."""
    from local_cognito import LocalCognito

    server = LocalCognito()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_accounts(private_cognito: Any) -> Accounts:
    info = private_cognito.info
    return Accounts(private_cognito.client(), info, OutboxReader(info.endpoint_url))


@pytest.fixture
def accounts(cognito_client: Any, local_cognito: Any, outbox: Any) -> Accounts:
    return Accounts(cognito_client, local_cognito, outbox)
