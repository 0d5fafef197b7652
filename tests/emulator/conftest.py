"""Fixtures for the local Cognito's own tests: accounts (lc_support.Accounts) on the
session's local Cognito or on a private one."""

from __future__ import annotations

from typing import Any

import pytest
from lc_support import Accounts

from bff.local_outbox import OutboxReader


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
    return Accounts(
        private_cognito.client(), info, OutboxReader(info.endpoint_url), private_cognito.clock
    )


@pytest.fixture
def accounts(cognito_client: Any, local_cognito: Any, outbox: Any, cognito_clock: Any) -> Accounts:
    return Accounts(cognito_client, local_cognito, outbox, cognito_clock)
