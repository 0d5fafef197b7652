"""Helpers for the infrastructure tests: production-mode settings and a tiny Flask app wired
only with the security and sessions init_app functions (no dependency on the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask, request

from bff import security, sessions
from bff.config import BffSettings, load_settings
from bff.errors import BffError, NotAuthorized
from bff.errors.response import error_response
from bff.store import Store


def make_settings(tmp_path: Any, store_url: str, **overrides: Any) -> BffSettings:
    """Production-mode settings (Secure cookies) unless overridden; valid by default."""
    env = {
        "COGNITO_USER_POOL_ID": "us-east-1_TestPool",
        "COGNITO_CLIENT_ID": "testclient",
        "BFF_SECRET_KEY": "s" * 48,
        "BFF_DEVICE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BFF_STORE_URL": store_url,
        "BFF_CORS_ORIGINS": "https://app.example.com",
    }
    return load_settings({"instance_path": str(tmp_path), **overrides}, environ=env)


def build_app(settings: BffSettings, store: Store) -> Flask:
    """A tiny app built with the security and sessions init_app functions, its errors
    written as the one error handler writes them."""
    app = Flask("bff_infra_test")
    app.config["TESTING"] = True  # CSRF must hold under TESTING too (flask-seasurf pitfall)
    security.init_app(app, settings)
    sessions.init_app(app, settings, store)

    app.register_error_handler(BffError, error_response)  # the API's handler writes with it

    @app.get("/api/ping")
    def ping() -> Any:
        return {"ok": True}

    @app.post("/api/sign-in")
    @security.limit_sign_in
    def sign_in() -> Any:
        body = request.get_json(silent=True) or {}
        app.logger.info(
            "sign-in for %s with password=%s", body.get("username"), body.get("password")
        )
        if body.get("password") == "wrong":
            raise NotAuthorized()
        if sessions.current_session() is None:
            sessions.start_session({"username": body.get("username")})
        sid = sessions.rotate_session(
            {
                "username": body.get("username"),
                "tokens": {"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"},
            }
        )
        app.logger.info("signed in, session %s", sid)
        return {"signed_in": True}

    @app.post("/api/mfa/<flow_id>")
    @security.limit_mfa
    def mfa(flow_id: str) -> Any:
        return {"flow": flow_id}

    @app.get("/api/me")
    def me() -> Any:
        record = sessions.current_session()
        if record is None:
            return {"error": {"code": "not_signed_in", "message": "", "details": {}}}, 401
        return {"username": record.get("username")}

    @app.post("/api/rotate")
    def rotate() -> Any:
        return {"sid_len": len(sessions.rotate_session())}

    @app.post("/api/sign-out")
    def sign_out() -> Any:
        sessions.end_session()
        return {"signed_out": True}

    @app.put("/api/profile")
    def profile() -> Any:
        return {"ok": True}

    @app.delete("/api/device")
    def forget_device() -> Any:
        sessions.clear_device_cookie()
        return {"ok": True}

    @app.post("/api/device")
    def remember_device() -> Any:
        sessions.set_device_cookie("d" * 43)
        return {"ok": True}

    @app.post("/webhooks/pandadoc")
    @security.csrf_exempt
    def webhook() -> Any:
        return {"received": True}

    return app


JSON_CSRF = {"X-CSRF": "1"}


def set_cookies(response: Any) -> list[str]:
    return list(response.headers.getlist("Set-Cookie"))


def cookie_value(response: Any, name: str) -> str | None:
    for header in set_cookies(response):
        key, _, rest = header.partition("=")
        if key == name:
            return rest.split(";", 1)[0]
    return None


Poster = Callable[..., Any]
