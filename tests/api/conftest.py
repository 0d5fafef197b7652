"""Fixtures for the API tests: the real app (create_app) against the session's local Cognito,
a store clock tests can move. ``redis_url`` comes from tests/support/redis_server.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import SpaClient, settings_for
from flask import Flask

from bff.app import create_app
from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import CognitoSettings
from bff.config import load_settings
from local_cognito import LocalCognitoInfo
from tests.support.clock import StoreClock


@pytest.fixture
def store_clock() -> StoreClock:
    return StoreClock()


@pytest.fixture(scope="session")
def gateways() -> dict[CognitoSettings, CognitoGateway]:
    """The Cognito gateway of the apps the API tests build on the session's local Cognito,
    one per Cognito configuration: building its boto3 client takes about 0.2 s, and a
    gateway keeps no state between calls (the per-request deadline is a context variable),
    so apps can share it. Apps on another endpoint (a fault proxy, a closed port, a local
    Cognito of the test's own) build their own: a port may be reused by the next test."""
    return {}


@pytest.fixture
def make_app(
    local_cognito: LocalCognitoInfo,
    tmp_path: Path,
    store_clock: StoreClock,
    gateways: dict[CognitoSettings, CognitoGateway],
) -> Iterator[Callable[..., Flask]]:
    """Build apps on the local Cognito (same instance folder, so the same SQLite file,
    unless a test passes its own store_url), sharing ``gateways`` unless a test passes its
    own gateway."""
    built: list[Flask] = []

    def build(**extra: Any) -> Flask:
        config = settings_for(local_cognito, tmp_path, **extra)
        config.setdefault("clock", store_clock)
        if "gateway" not in config:
            cognito = load_settings(
                {k: v for k, v in config.items() if k not in ("clock", "TESTING")}
            ).cognito
            if cognito.is_configured and cognito.endpoint_url == local_cognito.endpoint_url:
                if cognito not in gateways:
                    gateways[cognito] = CognitoGateway.from_settings(cognito)
                config["gateway"] = gateways[cognito]
        app = create_app(config)
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["bff"]["store"].close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def spa(app: Flask) -> SpaClient:
    return SpaClient(app.test_client())
