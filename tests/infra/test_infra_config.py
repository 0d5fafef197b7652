"""bff.config: local defaults, .env handling, and refusal of unsafe production settings."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from bff import security
from bff.config import ConfigError, load_settings, session_cookie_name
from bff.config_checks import validate

GOOD_KEY = Fernet.generate_key().decode()
PRODUCTION = {
    "COGNITO_USER_POOL_ID": "eu-west-1_AbCdEf",
    "COGNITO_CLIENT_ID": "client123",
    "BFF_SECRET_KEY": "k" * 40,
    "BFF_DEVICE_ENCRYPTION_KEY": GOOD_KEY,
    "BFF_CORS_ORIGINS": "https://app.example.com",
}


def test_local_defaults(tmp_path: Any) -> None:
    settings = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert settings.mode == "local" and settings.is_local
    assert settings.cookie_secure is False
    assert settings.store_url == f"sqlite:///{tmp_path}/bff.sqlite3"
    assert settings.session_idle_seconds == 900 and settings.session_absolute_seconds == 28800
    assert settings.flow_ttl_seconds == 180
    assert settings.totp_issuer == "Cognito BFF"
    assert settings.ratelimit_storage_url == "memory://"
    Fernet(settings.device_key.encode())  # a usable key, derived from the secret
    validate(settings)
    # The generated local secret is kept: a restart or a second worker reads the same one.
    again = load_settings({"instance_path": str(tmp_path)}, environ={})
    assert again.secret_key == settings.secret_key and len(settings.secret_key) >= 32
    assert again.device_key == settings.device_key
    assert oct(os.stat(tmp_path / "local-secret-key").st_mode & 0o777) == "0o600"
    assert session_cookie_name(settings) == "bff_session"


def test_production_settings(tmp_path: Any) -> None:
    settings = load_settings({"instance_path": str(tmp_path)}, environ=PRODUCTION)
    assert settings.mode == "production"
    assert settings.cookie_secure is True
    assert settings.cognito.region == "eu-west-1"
    assert settings.cors_origins == ("https://app.example.com",)
    assert session_cookie_name(settings) == "__Host-bff_session"
    validate(settings)
    assert "k" * 40 not in repr(settings) and GOOD_KEY not in repr(settings)


def test_redis_store_shares_rate_limits(tmp_path: Any) -> None:
    env = {**PRODUCTION, "BFF_STORE_URL": "redis://cache:6379/2"}
    settings = load_settings({"instance_path": str(tmp_path)}, environ=env)
    assert settings.store_is_redis and settings.ratelimit_storage_url == "redis://cache:6379/2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"BFF_SECRET_KEY": ""}, "BFF_SECRET_KEY is not set"),
        ({"BFF_SECRET_KEY": "short"}, "BFF_SECRET_KEY is shorter"),
        ({"BFF_COOKIE_SECURE": "false"}, "BFF_COOKIE_SECURE is off"),
        ({"BFF_DEVICE_ENCRYPTION_KEY": ""}, "BFF_DEVICE_ENCRYPTION_KEY is not set"),
        ({"BFF_DEVICE_ENCRYPTION_KEY": "not-a-key"}, "not a Fernet key"),
        ({"BFF_CORS_ORIGINS": "*"}, "'*' cannot carry credentials"),
        ({"BFF_CORS_ORIGINS": "http://app.example.com"}, "plain http in production"),
        ({"BFF_CORS_ORIGINS": "app.example.com"}, "must start with https://"),
        ({"COGNITO_CLIENT_ID": ""}, "COGNITO_CLIENT_ID must both be set"),
        ({"BFF_MODE": "production", "COGNITO_USER_POOL_ID": ""}, "COGNITO_USER_POOL_ID"),
    ],
)
def test_unsafe_production_config_is_refused(tmp_path: Any, change: Any, message: str) -> None:
    settings = load_settings({"instance_path": str(tmp_path)}, environ={**PRODUCTION, **change})
    with pytest.raises(ConfigError, match="Refusing to start") as info:
        validate(settings)
    assert message in str(info.value)
    app = Flask("refused")
    with pytest.raises(ConfigError):
        security.init_app(app, settings)  # the app is never wired with an unsafe config
    assert security.EXTENSION not in app.extensions


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BFF_SESSION_IDLE_SECONDS": "ten"}, "BFF_SESSION_IDLE_SECONDS must be a whole number"),
        ({"BFF_SESSION_IDLE_SECONDS": "0"}, "must be at least 1"),
        ({"BFF_SESSION_IDLE_SECONDS": "9000", "BFF_SESSION_ABSOLUTE_SECONDS": "600"}, "exceed"),
        ({"BFF_MODE": "staging"}, "BFF_MODE must be one of"),
        ({"BFF_COOKIE_SECURE": "maybe"}, "BFF_COOKIE_SECURE must be true or false"),
        ({"BFF_RATELIMIT_SIGN_IN": "lots"}, "BFF_RATELIMIT_SIGN_IN must be a rate limit"),
        ({"COGNITO_READ_TIMEOUT": "-1"}, "COGNITO_READ_TIMEOUT"),
    ],
)
def test_unparseable_values_are_clear_errors(tmp_path: Any, env: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"instance_path": str(tmp_path)}, environ=env)


def test_overrides_take_field_or_environment_names(tmp_path: Any) -> None:
    settings = load_settings(
        {"instance_path": str(tmp_path), "session_idle_seconds": 60, "BFF_TOTP_ISSUER": "Acme"},
        environ={"BFF_TOTP_ISSUER": "Env"},
    )
    assert settings.session_idle_seconds == 60 and settings.totp_issuer == "Acme"


def test_dotenv_is_read_and_the_environment_wins(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nBFF_TOTP_ISSUER=From Dotenv\nBFF_SESSION_IDLE_SECONDS=100\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BFF_SESSION_IDLE_SECONDS", "200")
    monkeypatch.delenv("BFF_TOTP_ISSUER", raising=False)
    for name in ("COGNITO_USER_POOL_ID", "BFF_MODE", "BFF_STORE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings({"instance_path": str(tmp_path / "instance")})
    assert settings.totp_issuer == "From Dotenv"
    assert settings.session_idle_seconds == 200
    assert "BFF_TOTP_ISSUER" not in os.environ, "the process environment is not modified"
    # An explicit environ mapping is taken as the whole truth: no .env.
    explicit = load_settings({"instance_path": str(tmp_path / "instance")}, environ={})
    assert explicit.totp_issuer == "Cognito BFF"


def test_env_example_lists_every_key() -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, ".env.example"), encoding="utf-8") as fh:
        text = fh.read()
    with open(os.path.join(root, "bff", "config.py"), encoding="utf-8") as fh:
        source = fh.read()
    import re

    keys = set(re.findall(r'"((?:BFF|PANDADOC)_[A-Z_]+)"', source))
    assert len(keys) > 15
    missing = sorted(k for k in keys if not re.search(rf"^#?\s*{k}=", text, re.M))
    assert not missing, f".env.example lacks {missing}"
