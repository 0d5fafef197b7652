"""Refusing an unsafe configuration: every problem of a production (or broken local) setup
named in one message, before the app is built (bff.security.init_app, and gunicorn's master
through bff.gunicorn_conf)."""

from __future__ import annotations

import os

from cryptography.fernet import Fernet

from bff.config import MIN_SECRET_KEY_LENGTH, BffSettings, ConfigError
from bff.oauth.settings import problems as oauth_problems


def validate(settings: BffSettings) -> None:
    """Refuse an unsafe configuration with one message listing every problem."""
    problems: list[str] = []
    production = not settings.is_local
    if production:
        if not settings.secret_key:
            problems.append(
                "BFF_SECRET_KEY is not set (generate one: python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
        elif len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"BFF_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters "
                "(generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if not settings.cookie_secure:
            problems.append("BFF_COOKIE_SECURE is off: cookies would travel over plain http")
        if not settings.device_key:
            problems.append(
                "BFF_DEVICE_ENCRYPTION_KEY is not set (generate one: python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            )
        if not settings.cognito.is_configured:
            problems.append("COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID must both be set")
        if settings.metrics_key is not None and len(settings.metrics_key) < 16:
            problems.append("BFF_METRICS_KEY is shorter than 16 characters")
        if "*" in settings.cors_origins:
            problems.append("BFF_CORS_ORIGINS must list origins; '*' cannot carry credentials")
    elif not settings.secret_key:
        problems.append("no secret key")
    if settings.device_key:
        try:
            Fernet(settings.device_key.encode())
        except (ValueError, TypeError):
            problems.append("BFF_DEVICE_ENCRYPTION_KEY is not a Fernet key (url-safe base64)")
    for origin in settings.cors_origins:
        if origin != "*" and not origin.startswith(("https://", "http://")):
            problems.append(
                f"BFF_CORS_ORIGINS entry {origin!r} must start with https:// or http://"
            )
        elif production and origin.startswith("http://"):
            problems.append(f"BFF_CORS_ORIGINS entry {origin!r} is plain http in production")
    if settings.spa_dir:
        if not os.path.isfile(os.path.join(settings.spa_dir, "index.html")):
            problems.append(f"BFF_SPA_DIR {settings.spa_dir} has no index.html (a built SPA)")
        if settings.demo_enabled:
            problems.append("BFF_DEMO_ENABLED and BFF_SPA_DIR both serve /: turn the demo page off")
    if settings.session_idle_seconds > settings.session_absolute_seconds:
        problems.append("the idle session timeout exceeds the absolute timeout")
    problems += oauth_problems(
        settings.oauth, production=production, client_secret=bool(settings.cognito.client_secret)
    )
    if problems:
        raise ConfigError("Refusing to start with an unsafe configuration: " + "; ".join(problems))
