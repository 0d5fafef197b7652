"""Fixtures for the infrastructure tests: every store backend (SQLite in a temp folder, the
session's redis-server and Redis Cluster from tests/support), a clock, production-mode
settings and the tiny app of infra_support.build_app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from flask import Flask
from infra_support import build_app, make_settings

from bff.config import BffSettings
from bff.store import Store, open_store
from bff.store.redis_connect import redis_client
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fernet_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(params=["sqlite", "redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/bff.sqlite3"
    if backend == "cluster":
        url = str(request.getfixturevalue("redis_cluster_url"))
        cluster = redis_client(url, timeout=5)
        cluster.flushall()  # every primary
        cluster.close()
        return url
    url = str(request.getfixturevalue("redis_url"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def store(store_url: str, fernet_key: str, clock: FakeClock) -> Iterator[Store]:
    opened = open_store(store_url, key=fernet_key, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Any, store_url: str) -> BffSettings:
    return make_settings(tmp_path, store_url)


@pytest.fixture
def app(settings: BffSettings, store: Store) -> Flask:
    return build_app(settings, store)


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client(use_cookies=False)
