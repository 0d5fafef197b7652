"""The local-mode QA allowance (bff/qa_allowance.py): the admin key lifts the rate limits
in local mode only; without it, or in production, the limits hold."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bff.app import create_app
from local_cognito import LocalCognitoInfo
from tests.demo.demo_support import local_settings, production_settings

LIMIT = "2 per minute"
ADMIN_KEY = "qa-" + "k" * 40


@pytest.fixture
def make_app() -> Iterator[Any]:
    built: list[Flask] = []

    def build(config: dict[str, Any]) -> Flask:
        app = create_app(config)
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["bff"]["store"].close()


def sign_ins(app: Flask, headers: dict[str, str], times: int) -> list[int]:
    """``times`` sign-ins from one fresh client address; their statuses."""
    client = app.test_client()
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    statuses = []
    for _ in range(times):
        response = client.post(
            "/api/sign-in",
            json={"username": f"nobody-{secrets.token_hex(4)}@example.com", "password": "x" * 12},
            headers={"X-CSRF": "1", **headers},
            environ_base={"REMOTE_ADDR": address},
        )
        statuses.append(response.status_code)
    return statuses


def limited(config: dict[str, Any]) -> dict[str, Any]:
    return config | {
        "BFF_RATELIMIT_ENABLED": "true",
        "BFF_RATELIMIT_SIGN_IN": LIMIT,
        "BFF_ADMIN_API_KEY": ADMIN_KEY,
    }


def test_local_mode_lifts_the_limits_for_the_admin_key_only(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path
) -> None:
    app = make_app(limited(local_settings(local_cognito, tmp_path)))

    assert sign_ins(app, {}, 3) == [401, 401, 429]
    assert sign_ins(app, {"X-Admin-Key": "not-the-key"}, 3)[-1] == 429
    assert 429 not in sign_ins(app, {"X-Admin-Key": ADMIN_KEY}, 5)


def test_production_never_lifts_the_limits(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path
) -> None:
    app = make_app(limited(production_settings(local_cognito, tmp_path)))

    assert sign_ins(app, {"X-Admin-Key": ADMIN_KEY}, 3) == [401, 401, 429]
