"""Client mistakes are 4xx, never 502, and the OpenAPI document says what the code does:
unknown device → 404 ``device_not_found``, a made-up pagination token → 400
``invalid_pagination_token``, booleans are booleans, an all-optional body is optional."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import (
    ADMIN_KEY,
    SpaClient,
    error_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from bff.api.blueprint import BffParser
from local_cognito.clock import Clock

ADMIN = {"X-Admin-Key": ADMIN_KEY}


def test_forgetting_an_unknown_device_is_404(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    for key in ("eu-west-1_00000000-0000-0000-0000-000000000000", "nonsense"):
        error = error_of(spa.delete(f"/api/devices/{key}"), 404)
        assert error["code"] == "device_not_found"


@pytest.mark.parametrize("token", ["bad", "x" * 200, "eyJhIjoxfQ==", "!!!"])
def test_a_made_up_pagination_token_is_400(app: Flask, token: str) -> None:
    response = app.test_client().get(
        "/api/admin/users", query_string={"pagination_token": token}, headers=ADMIN
    )
    assert error_of(response, 400)["code"] == "invalid_pagination_token"


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None, [], {}])
def test_remember_takes_only_a_boolean(spa: SpaClient, value: Any) -> None:
    error = error_of(spa.post("/api/sign-in/remember-device", {"remember": value}), 422)
    assert "remember" in error["details"]["fields"]


def _request_body(app: Flask, path: str) -> dict[str, Any]:
    spec = app.test_client().get("/api/openapi.json").get_json()
    return spec["paths"][path]["post"].get("requestBody") or {}


def test_request_body_required_exactly_when_its_schema_has_a_required_field(
    app: Flask, spa: SpaClient
) -> None:
    # Sign-out and refresh take {}: documented optional, and accepted without a body.
    for path in ("/api/sign-out", "/api/session/refresh"):
        assert _request_body(app, path).get("required") is False
        response = app.test_client().post(path, headers={"X-CSRF": "1"})
        assert error_of(response, 401)["code"] == "not_signed_in"
    # Sign-in needs a username: documented required, and no body is a 422 naming it.
    assert _request_body(app, "/api/sign-in")["required"] is True
    error = error_of(app.test_client().post("/api/sign-in", headers={"X-CSRF": "1"}), 422)
    assert "username" in error["details"]["fields"]


def test_every_api_blueprint_parses_with_the_bounded_parser(app: Flask) -> None:
    """A blueprint built from flask_smorest.Blueprint directly would re-parse raw bodies."""
    api_blueprints = [bp for bp in app.blueprints.values() if hasattr(bp, "ARGUMENTS_PARSER")]
    assert len(api_blueprints) >= 4
    for blueprint in api_blueprints:
        assert isinstance(blueprint.ARGUMENTS_PARSER, BffParser), blueprint.name


def test_remember_false_passes_the_schema(spa: SpaClient) -> None:
    # A boolean gets through the schema to the view (which wants a signed-in browser).
    response = spa.post("/api/sign-in/remember-device", {"remember": False})
    assert error_of(response, 401)["code"] == "not_signed_in"
