"""The local outbox says whether each code or temporary password still works (valid,
expired, used, replaced), so the demo page and `bff outbox` never offer a dead one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from bff.local_outbox import read_outbox
from bff_tools.qa.runner import advance_local_clock
from local_cognito import LocalCognito
from tests.support.passwords import NEW_PASSWORD, PASSWORD


@pytest.fixture(scope="module")
def private_cognito() -> Iterator[LocalCognito]:
    """A local Cognito of this module's own: its clock moves a day forward."""
    server = LocalCognito(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(private_cognito: LocalCognito) -> Any:
    info = private_cognito.info
    return boto3.client("cognito-idp", endpoint_url=info.endpoint_url, region_name=info.region)


def sign_up(client: Any, client_id: str, email: str) -> None:
    attributes = [{"Name": "email", "Value": email}]
    client.sign_up(ClientId=client_id, Username=email, Password=PASSWORD, UserAttributes=attributes)


def statuses(server: LocalCognito, email: str, kind: str) -> list[str]:
    messages = read_outbox(server.info.endpoint_url, to=email, kind=kind)
    return [m["status"] for m in messages]


def test_sign_up_codes_valid_replaced_used(private_cognito: LocalCognito, client: Any) -> None:
    info, email = private_cognito.info, f"status-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(client, info.client_id, email)
    assert statuses(private_cognito, email, "confirmation_code") == ["valid"]

    client.resend_confirmation_code(ClientId=info.client_id, Username=email)
    assert statuses(private_cognito, email, "confirmation_code") == ["replaced", "valid"]

    code = read_outbox(info.endpoint_url, to=email)[-1]["code"]
    client.confirm_sign_up(ClientId=info.client_id, Username=email, ConfirmationCode=code)
    assert statuses(private_cognito, email, "confirmation_code") == ["replaced", "used"]


def test_temporary_passwords_and_reset_codes(private_cognito: LocalCognito, client: Any) -> None:
    info, email = private_cognito.info, f"status-{uuid.uuid4().hex[:8]}@example.com"
    attributes = [
        {"Name": "email", "Value": email},
        {"Name": "email_verified", "Value": "true"},
    ]
    pool = info.user_pool_id
    client.admin_create_user(UserPoolId=pool, Username=email, UserAttributes=attributes)
    client.admin_create_user(UserPoolId=pool, Username=email, MessageAction="RESEND")
    assert statuses(private_cognito, email, "temporary_password") == ["replaced", "valid"]

    client.admin_set_user_password(
        UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
    )
    assert statuses(private_cognito, email, "temporary_password") == ["replaced", "used"]

    client.forgot_password(ClientId=info.client_id, Username=email)
    assert statuses(private_cognito, email, "password_reset_code") == ["valid"]
    code = read_outbox(info.endpoint_url, to=email, kind="password_reset_code")[-1]["code"]
    client.confirm_forgot_password(
        ClientId=info.client_id, Username=email, ConfirmationCode=code, Password=NEW_PASSWORD
    )
    assert statuses(private_cognito, email, "password_reset_code") == ["used"]


def test_a_code_past_its_lifetime_is_expired(private_cognito: LocalCognito, client: Any) -> None:
    info, email = private_cognito.info, f"status-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(client, info.client_id, email)
    advance_local_clock(info.endpoint_url, 25 * 3600)  # sign-up codes live 24 hours

    assert statuses(private_cognito, email, "confirmation_code") == ["expired"]
