"""pytest plugin: one local Cognito for the whole session, a boto3 client on it, its
outbox, its clock, and a fresh email address per test.

tests/conftest.py sets dummy AWS credentials before this plugin imports boto3, so no test
can reach a real account; the local Cognito ignores the signature.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from bff.local_outbox import OutboxReader
from local_cognito import LocalCognito, LocalCognitoInfo
from local_cognito.clock import Clock


@pytest.fixture(scope="session")
def local_cognito_server() -> Iterator[LocalCognito]:
    """The started LocalCognito object (for provision() and the clock)."""
    server = LocalCognito()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def local_cognito(local_cognito_server: LocalCognito) -> LocalCognitoInfo:
    """Endpoint, region, pool id and client id of the session's local Cognito."""
    return local_cognito_server.info


@pytest.fixture(scope="session")
def cognito_clock(local_cognito_server: LocalCognito) -> Clock:
    """The session's local Cognito's clock: TOTP codes are computed at its time
    (tests.support.totp), and a test that needs a fresh TOTP step moves it 30 s on."""
    return local_cognito_server.clock


@pytest.fixture(scope="session")
def cognito_client(local_cognito: LocalCognitoInfo) -> Any:
    import boto3

    return boto3.client(
        "cognito-idp", endpoint_url=local_cognito.endpoint_url, region_name=local_cognito.region
    )


@pytest.fixture(scope="session")
def outbox(local_cognito: LocalCognitoInfo) -> OutboxReader:
    return OutboxReader(local_cognito.endpoint_url)


@pytest.fixture
def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"
