"""Fixtures for the gateway's wire tests: gateways on the session's local Cognito.

``gateway`` uses the default app client (no secret); ``secret_gateway`` a second pool
whose client has a secret, so every call must carry SECRET_HASH. ``mfa_user`` builds a user
through the gateway itself, as the BFF will.
"""

from __future__ import annotations

from typing import Any

import pytest
from gateway_wire_support import MfaUser, gateway_for, set_up_mfa, sign_up_confirmed

from bff.cognito.gateway import CognitoGateway


@pytest.fixture(scope="session")
def gateway(local_cognito: Any) -> CognitoGateway:
    return gateway_for(local_cognito)


@pytest.fixture(scope="session")
def secret_pool(local_cognito_server: Any) -> Any:
    return local_cognito_server.provision(with_client_secret=True)


@pytest.fixture(scope="session")
def secret_gateway(secret_pool: Any) -> CognitoGateway:
    return gateway_for(secret_pool)


@pytest.fixture(params=["no_secret", "with_secret"])
def any_gateway(request: pytest.FixtureRequest) -> CognitoGateway:
    """Both app clients: every flow must work with and without a client secret."""
    name = "gateway" if request.param == "no_secret" else "secret_gateway"
    return request.getfixturevalue(name)


@pytest.fixture
def mfa_user(
    any_gateway: CognitoGateway, outbox: Any, unique_email: str, cognito_clock: Any
) -> MfaUser:
    sign_up_confirmed(any_gateway, outbox, unique_email)
    return set_up_mfa(any_gateway, unique_email, clock=cognito_clock)
