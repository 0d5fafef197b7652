"""Fixtures for the API tests: the real app (create_app) against the session's local Cognito,
a store clock tests can move.

The redis-server fixture is the infrastructure tests' own (tests/infra/infra_support.py), loaded
from its file and re-exported here, so both suites start Redis the same way.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import SpaClient, StoreClock, settings_for
from flask import Flask

from bff.app import create_app
from local_cognito import LocalCognitoInfo

_INFRA_SUPPORT = Path(__file__).resolve().parent.parent / "infra" / "infra_support.py"
if "infra_support" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("infra_support", _INFRA_SUPPORT)
    assert _spec is not None and _spec.loader is not None
    sys.modules["infra_support"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["infra_support"])
_infra_module = sys.modules["infra_support"]
redis_url = _infra_module.redis_url  # the real redis-server fixture (fails if missing)


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
