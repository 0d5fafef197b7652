"""Helpers for the demo page tests: settings for an app on the session's local Cognito,
a werkzeug server in a thread, fresh TOTP codes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.serving import make_server

from local_cognito import LocalCognitoInfo

PASSWORD = "Corr3ct-Horse!"


def local_settings(info: LocalCognitoInfo, instance: Path, **extra: Any) -> dict[str, Any]:
    """An app in local mode on the session's local Cognito."""
    return {
        "BFF_MODE": "local",
        "COGNITO_USER_POOL_ID": info.user_pool_id,
        "COGNITO_CLIENT_ID": info.client_id,
        "COGNITO_CLIENT_SECRET": info.client_secret or "",
        "COGNITO_ENDPOINT_URL": info.endpoint_url,
        "AWS_REGION": info.region,
        "BFF_RATELIMIT_ENABLED": "false",
        "instance_path": str(instance),
        **extra,
    }


def production_settings(info: LocalCognitoInfo, instance: Path) -> dict[str, Any]:
    """The same pool in production mode: everything validate() requires set."""
    return local_settings(
        info,
        instance,
        BFF_MODE="production",
        BFF_SECRET_KEY="s" * 48,
        BFF_DEVICE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        BFF_COOKIE_SECURE="true",
    )


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` on a free loopback port in a thread (werkzeug, threaded like `bff serve`);
    yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def fresh_totp(secret: str, used: set[str]) -> str:
    """A valid TOTP code (pyotp) not used before. Cognito, and the local Cognito, accept the
    codes of the neighbouring 30-second steps too, each once: try now, the next and the
    previous step before waiting for a new one."""
    totp = pyotp.TOTP(secret)
    deadline = time.monotonic() + 35
    while time.monotonic() < deadline:
        now = time.time()
        for offset in (0, 30, -30):
            code = totp.at(now + offset)
            if code not in used:
                used.add(code)
                return code
        time.sleep(0.5)
    raise AssertionError("no fresh TOTP code within a 30-second step")
