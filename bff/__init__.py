"""cognito-bff: a Flask backend-for-frontend for Amazon Cognito sign-up and sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """``flask --app bff``: the application factory (imported on first use, so that
    ``import bff`` stays light for the CLI and the local Cognito)."""
    from .app import create_app as factory

    return factory(config)
