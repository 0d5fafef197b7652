"""An unsafe configuration under gunicorn: refused once, in the master, with the message
alone (no worker boots, no traceback), and the message says how to make a secret key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.production import CognitoProcess, bff_environment

pytestmark = pytest.mark.slow  # a gunicorn subprocess

BIN = Path(sys.executable).parent


def test_a_missing_secret_key_is_refused_once_by_the_master(tmp_path: Path) -> None:
    cognito = CognitoProcess("http://127.0.0.1:9", "eu-west-1", "eu-west-1_Unsafe", "client")
    env = bff_environment(
        cognito,
        tmp_path,
        BFF_MODE="production",
        BFF_SECRET_KEY="",
        BFF_STORE_URL=f"sqlite:///{tmp_path}/bff.db",
        BFF_RATELIMIT_ENABLED="false",
    )
    result = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:bff.gunicorn_conf", "--workers", "2"]
        + ["--bind", "127.0.0.1:0", "bff:create_app()"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr

    assert result.returncode != 0
    assert output.count("BFF_SECRET_KEY is not set") == 2, output  # one log line, one exit
    assert "generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))'" in output
    assert "Booting worker" not in output
    assert "Traceback" not in output
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in logged if line["level"] == "ERROR"]
    assert len(errors) == 1 and "exc" not in errors[0], errors
    assert errors[0]["message"].startswith("Refusing to start with an unsafe configuration")
