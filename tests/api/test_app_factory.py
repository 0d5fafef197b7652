"""The factory's embedded default: with no Cognito configured in local mode, create_app runs
a local Cognito in-process, so `flask --app bff run` / `flask --app bff bff ...` just work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bff.app import create_app

COGNITO_KEYS = (
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_ENDPOINT_URL",
    "BFF_MODE",
)


def test_local_mode_without_a_pool_starts_a_local_cognito(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in COGNITO_KEYS:
        monkeypatch.delenv(key, raising=False)
    app = create_app({"BFF_INSTANCE_PATH": str(tmp_path)})
    local = app.extensions["bff"]["local_cognito"]
    try:
        settings = app.extensions["bff"]["settings"]
        assert settings.mode == "local"
        assert settings.cognito.endpoint_url == local.info.endpoint_url
        assert settings.cognito.user_pool_id == local.info.user_pool_id
        response = app.test_client().post(
            "/api/sign-up",
            json={"email": "factory@example.com", "password": "Factory-Passw0rd!"},
            headers={"X-CSRF": "1"},
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["flow"]["state"] == "SIGNED_UP"
    finally:
        local.stop()


@pytest.mark.slow
def test_flask_cli_reaches_the_bff_group(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in COGNITO_KEYS}
    env["BFF_INSTANCE_PATH"] = str(tmp_path)
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "bff", "bff", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("serve", "local-cognito", "scenario", "replay", "diagram", "qa"):
        assert command in result.stdout
