"""Helpers for the API tests: the SPA-like client, codes, webhook bodies, common journeys."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from local_cognito import LocalCognitoInfo
from tests.support.passwords import PASSWORD
from tests.support.totp import CognitoClock, fresh_totp

ADMIN_KEY = "admin-" + "k" * 40
WEBHOOK_KEY = "pandadoc-shared-key-0123456789"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


class SpaClient:
    """What the SPA does: JSON bodies, ``X-CSRF: 1``, cookies kept. Every response is kept,
    so a test can scan all of them (SECURITY.md row 5)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.responses: list[TestResponse] = []

    def _keep(self, response: TestResponse) -> TestResponse:
        self.responses.append(response)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self._keep(self.client.get(path, **kwargs))

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        headers = {"X-CSRF": "1", **kwargs.pop("headers", {})}
        return self._keep(
            self.client.post(path, json={} if body is None else body, headers=headers, **kwargs)
        )

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        headers = {"X-CSRF": "1", **kwargs.pop("headers", {})}
        return self._keep(self.client.delete(path, headers=headers, **kwargs))

    def cookie(self, name: str = "bff_session") -> str | None:
        found = self.client.get_cookie(name)
        return found.value if found else None

    def set_cookie(self, name: str, value: str) -> None:
        self.client.set_cookie(name, value)


def flow_of(response: TestResponse) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == 200, (response.status_code, body)
    return body["flow"]  # type: ignore[no-any-return]


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


def sign_webhook(body: bytes, key: str = WEBHOOK_KEY) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def completed_event(email: str) -> bytes:
    return json.dumps(
        [
            {
                "event": "document_state_changed",
                "data": {
                    "id": "doc-" + email.split("@")[0],
                    "name": "Application",
                    "status": "document.completed",
                    "date_created": "2026-11-20T10:00:00.000Z",
                    "recipients": [
                        {
                            "email": "sales@example.com",
                            "recipient_type": "CC",
                            "role": "",
                        },
                        {
                            "email": email,
                            "first_name": "Ada",
                            "last_name": "Lovelace",
                            "recipient_type": "signer",
                            "role": "Applicant",
                            "has_completed": True,
                        },
                    ],
                },
            }
        ]
    ).encode()


#: Every API test app has one remote API, so the tests that walk the url_map (CSRF, crafted
#: bodies, rate limits, noise) cover the relay's proxy routes too. Nothing listens on its
#: upstream: those tests never get past the BFF's own checks (no session).
REMOTE_APIS = json.dumps(
    [
        {
            "name": "walked",
            "upstream": "http://127.0.0.1:1/",
            "methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        }
    ]
)


def settings_for(info: LocalCognitoInfo, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        **info.as_environment(),
        "BFF_REMOTE_APIS": REMOTE_APIS,
        "BFF_ADMIN_API_KEY": ADMIN_KEY,
        "PANDADOC_WEBHOOK_KEY": WEBHOOK_KEY,
        "BFF_RATELIMIT_ENABLED": "false",
        "instance_path": str(instance),
        **extra,
    }


def session_record(app: Flask, spa: SpaClient) -> dict[str, Any] | None:
    """The server-side session record behind the SPA's cookie (tokens included)."""
    sid = spa.cookie()
    if sid is None:
        return None
    return app.extensions["bff"]["store"].sessions.get(sid)  # type: ignore[no-any-return]


def sign_up_and_confirm(spa: SpaClient, outbox: Any, email: str) -> dict[str, Any]:
    flow = flow_of(spa.post("/api/sign-up", {"email": email, "password": PASSWORD}))
    assert flow["state"] == "SIGNED_UP"
    code = outbox.latest_code(email)
    return flow_of(spa.post("/api/sign-up/confirm", {"code": code}))


def sign_in_through_mfa_setup(
    spa: SpaClient, email: str, used: set[str], clock: CognitoClock
) -> dict[str, Any]:
    """Sign in a confirmed user with no MFA yet: MFA_SETUP with the QR, then the first code
    (at ``clock``'s time: the local Cognito's)."""
    flow = flow_of(spa.post("/api/sign-in", {"username": email, "password": PASSWORD}))
    assert flow["state"] == "MFA_SETUP", flow
    secret = flow["data"]["secret"]
    flow = flow_of(spa.post("/api/sign-in/mfa-setup", {"code": fresh_totp(secret, used, clock)}))
    assert flow["state"] == "AUTHENTICATED", flow
    flow["secret"] = secret
    return flow
