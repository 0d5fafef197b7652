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
from local_cognito import LocalCognitoInfo
from tests.support.clock import StoreClock


@pytest.fixture
def store_clock() -> StoreClock:
    return StoreClock()


@pytest.fixture
def make_app(
    local_cognito: LocalCognitoInfo, tmp_path: Path, store_clock: StoreClock
) -> Iterator[Callable[..., Flask]]:
    """Build apps on the local Cognito (same instance folder, so the same SQLite file,
    unless a test passes its own store_url)."""
    built: list[Flask] = []

    def build(**extra: Any) -> Flask:
        config = settings_for(local_cognito, tmp_path, **extra)
        config.setdefault("clock", store_clock)
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
