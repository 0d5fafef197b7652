"""``GET /api/session`` and the local-API helper, through the real app and local Cognito.

The example blueprint is the one docs/apis.md shows (tests/api/relay_example.py), so the
documented example is the tested one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_helpers import SpaClient, error_of, sign_in_through_mfa_setup, sign_up_and_confirm
from flask import Flask
from relay_example import notes

from tests.support.clock import StoreClock


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    built = make_app(BFF_SESSION_IDLE_SECONDS="600", BFF_SESSION_ABSOLUTE_SECONDS="3600")
    built.register_blueprint(notes)
    return built


@pytest.fixture
def signed_in(app: Flask, outbox: Any, unique_email: str, cognito_clock: Any) -> SpaClient:
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    return spa


def test_session_is_401_without_a_session(spa: SpaClient) -> None:
    assert error_of(spa.get("/api/session"), 401)["code"] == "not_signed_in"


def test_session_tells_claims_time_left_and_where_to_sign_out(
    signed_in: SpaClient, unique_email: str, cognito_clock: Any, store_clock: StoreClock
) -> None:
    answer = signed_in.get("/api/session")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["user"]["email"] == unique_email
    assert "jti" not in body["user"] and "token_use" not in body["user"]
    assert body["sign_out_url"] == "/api/sign-out"
    assert 598 <= body["idle_expires_in"] <= 600
    assert 3590 <= body["absolute_expires_in"] <= 3600

    for _ in range(6):  # used every 550 s (within the idle 600): alive 3,300 s later
        store_clock.advance(550)
        assert signed_in.get("/api/session").status_code == 200
    # 300 s of the absolute hour left: that limit now comes first.
    body = signed_in.get("/api/session").get_json()
    assert body["idle_expires_in"] == body["absolute_expires_in"]
    assert 290 <= body["absolute_expires_in"] <= 300


def test_session_after_sign_out_is_401(signed_in: SpaClient) -> None:
    url = signed_in.get("/api/session").get_json()["sign_out_url"]
    assert signed_in.post(url, {}).status_code == 200
    assert error_of(signed_in.get("/api/session"), 401)["code"] == "not_signed_in"


def test_session_is_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/session"]["get"]
    assert "200" in operation["responses"]


def test_a_local_api_view_gets_the_users_claims_and_a_fresh_token(
    app: Flask, signed_in: SpaClient, unique_email: str, cognito_clock: Any
) -> None:
    answer = signed_in.client.get("/api/local/whoami", headers={"X-CSRF": "1"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["email"] == unique_email
    record = app.extensions["bff"]["store"].sessions.get(signed_in.cookie())
    # The view saw the session's access token (a digest here: tokens never reach a browser).
    assert body["token_digest"] == notes_digest(record["tokens"]["access_token"])


def test_a_local_api_needs_a_session_and_the_csrf_header(
    spa: SpaClient, signed_in: SpaClient
) -> None:
    assert error_of(spa.client.get("/api/local/whoami", headers={"X-CSRF": "1"}), 401)
    error = error_of(signed_in.client.get("/api/local/whoami"), 403)
    assert error["code"] == "csrf_required"
    answer = signed_in.client.post("/api/local/notes/3", json={}, headers={"X-CSRF": "1"})
    assert answer.status_code == 200
    assert answer.get_json()["note"] == "3"


def notes_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def test_the_documented_example_is_the_tested_one() -> None:
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "apis.md").read_text(encoding="utf-8")
    block = doc.split("<!-- local-api-example -->\n```python\n", 1)[1].split("```", 1)[0]
    assert block == (Path(__file__).parent / "relay_example.py").read_text(encoding="utf-8")
