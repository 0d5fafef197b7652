"""The demo single-page app at ``/`` and the local-only outbox route it reads.

The demo is a *client* of the JSON API, kept out of ``bff.api`` on purpose: it uses only
what any SPA may use (the step responses, the error shape, ``X-CSRF: 1``, same-origin
cookies), it has its own Content-Security-Policy (the API's ``default-src 'none'`` would
block the page's own script and style), and it can be left out by not calling
``init_app``. Four static files, no dependencies, no build step: ``static/index.html``,
``static/app.js``, ``static/app.css``, and ``static/notes.js`` (the notes panel: the example
notes API through the BFF's token relay, shown when it answers). The page is served when
``BFF_DEMO_ENABLED`` (on locally, off in production and when ``BFF_SPA_DIR`` serves a
team's own SPA at ``/``).

``GET /api/local/outbox`` shows a developer what the local Cognito "emailed" (confirmation
codes, temporary passwords) so sign-up completes without a mailbox. It answers only in
local mode: in production mode it is a 404 exactly like an unknown path, so it reveals
nothing and serves nothing.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import NotFound

from bff.api import context
from bff.errors import InvalidInput, NoLocalOutbox, OutboxUnavailable
from bff.local_outbox import OutboxError, read_outbox

#: The page's policy: everything from this origin only, no inline script or style (the
#: QR code is inline SVG *markup*, which needs neither), ``data:`` images, no plugins, no
#: <base>, no native form submission (forms are sent by script as JSON; if the script
#: failed, a form must not post a password anywhere), never framed.
DEMO_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_ASSETS = {"app.js": "text/javascript", "notes.js": "text/javascript", "app.css": "text/css"}
#: At most this many outbox messages, newest first: the panel is for the current sign-up.
OUTBOX_LIMIT = 50


def _asset(name: str) -> bytes:
    return resources.files("bff.demo").joinpath("static", name).read_bytes()


def _static(name: str, mimetype: str) -> Response:
    response = Response(_asset(name), mimetype=mimetype)
    response.headers["Content-Security-Policy"] = DEMO_CSP
    # Revalidate every time: a developer editing the page sees the change on reload.
    response.headers["Cache-Control"] = "no-cache"
    return response


demo = Blueprint("demo", __name__)
outbox = Blueprint("demo_outbox", __name__)


@demo.get("/")
def page() -> Response:
    """The demo SPA."""
    return _static("index.html", "text/html")


@demo.get("/demo/<any('app.js', 'notes.js', 'app.css'):name>")
def asset(name: str) -> Response:
    return _static(name, _ASSETS[name])


@outbox.get("/api/local/outbox")
def local_outbox() -> Response:
    """What the local Cognito would have emailed or texted, newest first (``?to=`` filters
    by address or phone number). Local mode only: production mode answers the same 404 as
    an unknown path."""
    settings = context.settings()
    if not settings.is_local:
        raise NotFound()
    endpoint = settings.cognito.endpoint_url
    if not endpoint:
        raise NoLocalOutbox()
    to = (request.args.get("to") or "").strip() or None
    if to is not None and len(to) > 254:  # the longest email address SMTP allows
        raise InvalidInput(details={"fields": {"to": ["At most 254 characters."]}})
    try:
        messages: list[dict[str, Any]] = read_outbox(endpoint, to=to)
    except OutboxError as exc:
        raise OutboxUnavailable(str(exc)) from None
    return jsonify({"messages": list(reversed(messages))[:OUTBOX_LIMIT]})


def init_app(app: Flask, *, enabled: bool = True) -> None:
    """Serve the local outbox route, and the demo page at ``/`` when ``enabled``."""
    app.register_blueprint(outbox)
    if enabled:
        app.register_blueprint(demo)
