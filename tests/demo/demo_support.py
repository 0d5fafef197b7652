"""Helpers for the demo page tests: settings for an app on the session's local Cognito,
a werkzeug server in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.serving import make_server

from local_cognito import LocalCognitoInfo


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
