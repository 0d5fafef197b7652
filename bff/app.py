"""The application factory (flaskr style): nothing is built at import time.

``create_app(config)`` reads the settings (``config`` overrides them: field names or
environment names), refuses an unsafe production configuration, opens the store, builds
the Cognito gateway, wires security and sessions, registers the API and the demo page.
Everything it builds lives in ``app.extensions["bff"]``. It imports no tool and no
emulator: the ``bff`` commands reach ``flask --app bff`` through the ``flask.commands``
entry point, and the local Cognito is imported only when it is started here.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask, g

from bff import demo, ops, qa_allowance, security, sessions, spa
from bff.api import init_api, oauth_views
from bff.api.context import EXTENSION
from bff.body import MAX_BODY_BYTES
from bff.cognito import resilience, srp
from bff.cognito.gateway import CognitoGateway
from bff.config import ConfigError, default_instance_path, load_settings
from bff.extras import install_command
from bff.flows import Flows
from bff.ops import metrics
from bff.relay import views as relay_views
from bff.store import store_from_settings

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the BFF. ``config`` overrides settings (e.g. ``{"store_url": ...}``); the keys
    ``gateway`` (a CognitoGateway) and ``clock`` (epoch seconds, for the store) are for
    tests and the ``bff serve`` command."""
    options = dict(config or {})
    gateway: CognitoGateway | None = options.pop("gateway", None)
    clock = options.pop("clock", None)
    testing = bool(options.pop("TESTING", False))

    settings = load_settings(options)
    local_cognito = None
    if gateway is None and settings.mode == "local" and not settings.cognito.is_configured:
        # The embedded default (`flask --app bff run`, `flask --app bff bff ...`): a local
        # Cognito in this process, stopped when the process exits. `bff serve` starts its own
        # first and passes it in, so it can print where it is.
        local_cognito = _start_local_cognito(settings.instance_path)
        settings = load_settings({**options, **local_cognito.info.as_environment()})
    app = Flask("bff", instance_path=settings.instance_path or None)
    # No redirect from /api//flow to /api/flow: werkzeug builds that redirect's Location
    # from the request's Host header, so `Host: evil.example` sent the client elsewhere.
    # Set before any rule is added (a rule takes the map's value when it is bound).
    app.url_map.merge_slashes = False
    app.config.update(
        TESTING=testing,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    # Refuses an unsafe production configuration (ConfigError) before anything is opened.
    security.init_app(app, settings, clock)
    ops.init_app(app, settings)  # request ids, logs, /healthz, /readyz, /metrics
    qa_allowance.init_app(app)  # local mode: the admin key skips the rate limits (bff qa run)

    store = metrics.instrument_store(store_from_settings(settings, clock=clock))
    if gateway is None:
        if not settings.cognito.is_configured:
            raise ConfigError(
                "No Cognito user pool is configured: set COGNITO_USER_POOL_ID and "
                "COGNITO_CLIENT_ID (and COGNITO_ENDPOINT_URL for a local Cognito), or run "
                "`bff serve`, which starts a local Cognito for you."
            )
        gateway = CognitoGateway.from_settings(settings.cognito)
    srp.G_POWERS.warm()  # the SRP fixed-base table, built before the first sign-in needs it
    flows = Flows(
        gateway,
        store,
        challenge_seconds=settings.flow_ttl_seconds,
        flow_seconds=settings.session_absolute_seconds,
        totp_issuer=settings.totp_issuer,
        budgets=security.failure_budgets(app),
    )
    app.extensions[EXTENSION] = {
        "local_cognito": local_cognito,
        "settings": settings,
        "store": store,
        "gateway": gateway,
        "flows": flows,
    }
    _cognito_deadline(app, settings.cognito.connect_timeout + settings.cognito.read_timeout)
    sessions.init_app(app, settings, store)
    init_api(app)
    oauth_views.init_app(app, settings, store)  # managed login (BFF_OAUTH_*)
    relay_views.init_app(app, settings)  # a route per remote API (BFF_REMOTE_APIS)
    demo.init_app(app, enabled=settings.demo_enabled)  # BFF_DEMO_ENABLED; local outbox route
    if settings.spa_dir:
        spa.init_app(app, settings.spa_dir)  # BFF_SPA_DIR: a built SPA at /
    log.debug("BFF built: mode=%s store=%r gateway=%r", settings.mode, store, gateway)
    return app


def _cognito_deadline(app: Flask, seconds: float) -> None:
    """Every request shares one Cognito deadline: COGNITO_CONNECT_TIMEOUT +
    COGNITO_READ_TIMEOUT for all its Cognito calls together (bff/cognito/resilience.py)."""

    @app.before_request
    def start() -> None:
        g._bff_cognito_deadline = resilience.start_deadline(seconds)

    @app.teardown_request
    def end(_exc: BaseException | None) -> None:
        token = g.pop("_bff_cognito_deadline", None)
        if token is not None:
            try:
                resilience.end_deadline(token)
            except ValueError:  # set in another context (never in practice): nothing to undo
                pass


def _start_local_cognito(instance_path: str) -> Any:
    """A local Cognito in this process, its pool kept in the instance folder (as ``bff
    serve`` keeps it), so a restart finds the same users."""
    try:
        from local_cognito import DEFAULT_PORT, LocalCognito
        from local_cognito.state import INSTANCE_STATE_FOLDER, StateError
    except ImportError as exc:
        raise ConfigError(
            "No Cognito user pool is configured and the local Cognito is not installed: set "
            "COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID, or install the local Cognito with "
            f"{install_command('local')}."
        ) from exc

    state_dir = os.path.join(instance_path or default_instance_path(), INSTANCE_STATE_FOLDER)
    local = LocalCognito(port=DEFAULT_PORT, fallback_to_free_port=True, state_dir=state_dir)
    try:
        local.start()
    except StateError as exc:
        raise ConfigError(f"{exc} (or remove {state_dir})") from exc
    atexit.register(local.stop)
    # Printed, not only logged: `flask --app bff run` shows no INFO logs by default, and a
    # developer needs the endpoint for `bff outbox` or an SPA's own Cognito SDK.
    taken = f" (port {DEFAULT_PORT} was taken)" if local.fell_back else ""
    print(
        f"no Cognito configured: local Cognito at {local.info.endpoint_url}{taken}, "
        f"user pool {local.info.user_pool_id}, client {local.info.client_id}",
        file=sys.stderr,
    )
    log.info("no Cognito configured: started a local Cognito at %s", local.info.endpoint_url)
    return local
