"""The JSON API: blueprints, schemas, the one error handler, the OpenAPI document.

``init_api(app)`` wires it all: flask-smorest builds the OpenAPI 3 document from the
schemas and docstrings (served at ``/api/openapi.json``) and the interactive page at
``/docs``. Swagger UI and ReDoc are not used: flask-smorest loads them from a CDN, which an
offline laptop (and a strict CSP) cannot reach, and vendoring ~1.5 MB of their assets for
one page is not worth it. ``/docs`` is a small self-contained page (bff/api/static) that
renders every operation from the document with a "try it" form. It is served when
``BFF_API_DOCS_ENABLED`` (on locally, off in production); the document itself always is.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from flask import Blueprint, Flask, Response
from flask_smorest import Api

from bff.api import (
    account_views,
    admin_views,
    challenge_views,  # noqa: F401  (adds the challenge answers to flow_views.blp)
    choice_views,  # noqa: F401  (adds the choice-based sign-in's start to flow_views.blp)
    factors_views,  # noqa: F401  (adds GET /api/account/factors to account_views.blp)
    flow_views,
    mfa_views,  # noqa: F401  (adds the MFA settings to account_views.blp)
    oauth_views,
    passkey_views,  # noqa: F401  (adds the passkey routes to account_views.blp)
    session_status_views,
    session_views,
    webhook_views,
)
from bff.api.context import EXTENSION
from bff.api.errors import init_error_handlers
from bff.api.flow_schemas import step_flow_property
from bff.api.schemas import ErrorSchema

API_TITLE = "Cognito BFF"
API_VERSION = "1"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_STATIC = {"docs.js": "text/javascript", "docs.css": "text/css"}


class BffApi(Api):
    """flask-smorest's Api documenting the project's error shape; its own HTTP error
    handler is replaced by the one in bff.api.errors."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Our handlers are registered by init_error_handlers (one shape for every error)."""


def _asset(name: str) -> bytes:
    return resources.files("bff.api").joinpath("static", name).read_bytes()


def _docs_blueprint() -> Blueprint:
    docs = Blueprint("docs", __name__)

    @docs.get("/docs")
    def docs_page() -> Response:
        response = Response(_asset("docs.html"), mimetype="text/html")
        response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    @docs.get("/docs/<any(docs.js, docs.css):name>")
    def docs_asset(name: str) -> Response:
        response = Response(_asset(name), mimetype=_STATIC[name])
        response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    return docs


def init_api(app: Flask) -> Api:
    """The API on ``app``: its routes and OpenAPI document, the error handlers, and the
    ``/docs`` page when enabled."""
    api = _api_routes(app)
    if app.extensions[EXTENSION]["settings"].api_docs_enabled:  # BFF_API_DOCS_ENABLED
        app.register_blueprint(_docs_blueprint())
    init_error_handlers(app)
    return api


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document served at ``/api/openapi.json``, without building the BFF (no
    store, no Cognito): ``bff docs`` writes it into the TypeScript client."""
    document: dict[str, Any] = _api_routes(Flask("bff")).spec.to_dict()
    return document


def _api_routes(app: Flask) -> Api:
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = BffApi(
        app,
        spec_kwargs={
            "info": {
                "description": "A backend-for-frontend for Amazon Cognito sign-up and sign-in. "
                "Send `X-CSRF: 1` and `Content-Type: application/json` on every POST/DELETE. "
                "Every step answers `{flow: {id, state, next_steps, data}}`; every error "
                "`{error: {code, message, details}}`."
            }
        },
    )
    # Before the routes: their response schemas use StepFlow.
    api.ma_plugin.converter.add_attribute_function(step_flow_property)
    for blueprint in (
        flow_views.blp,
        oauth_views.blp,
        session_views.blp,
        session_status_views.blp,
        account_views.blp,
        admin_views.blp,
        webhook_views.blp,
    ):
        api.register_blueprint(blueprint)
    api.spec.components.security_scheme(
        "AdminKey", {"type": "apiKey", "in": "header", "name": admin_views.ADMIN_HEADER}
    )
    return api
