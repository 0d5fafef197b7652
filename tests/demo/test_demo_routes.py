"""The demo page's routes without a browser: its strict CSP, no inline script or style, its
assets; GET /api/local/outbox in local mode (messages, newest first, filtered) and in
production mode (the same 404 as an unknown path)."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from demo_support import local_settings, production_settings
from flask import Flask

from bff.app import create_app
from bff.demo import DEMO_CSP
from local_cognito import LocalCognitoInfo
from tests.support.passwords import PASSWORD

JSON_CSRF = {"X-CSRF": "1"}


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Any]:
    built: list[Flask] = []

    def build(config: dict[str, Any]) -> Flask:
        app = create_app(config)
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["bff"]["store"].close()


@pytest.fixture
def local_app(make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path) -> Flask:
    return make_app(local_settings(local_cognito, tmp_path))


class _Markup(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, style elements and
    attributes, event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.refused.append("inline <script>")
            else:
                self.scripts.append(str(names["src"]))
        if tag == "style":
            self.refused.append("<style>")
        if tag == "link" and names.get("rel") == "stylesheet":
            self.stylesheets.append(str(names["href"]))
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.refused.append(f"{tag}[{name}]")
            if value and value.strip().lower().startswith("javascript:"):
                self.refused.append(f"{tag}[{name}=javascript:]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.refused.append("inline script text")


def test_page_has_its_own_strict_csp_and_no_inline_code(local_app: Flask) -> None:
    client = local_app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert csp == DEMO_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    markup = _Markup()
    markup.feed(response.get_data(as_text=True))
    assert markup.refused == []
    assert markup.scripts == ["/demo/app.js", "/demo/notes.js"]
    assert markup.stylesheets == ["/demo/app.css"]
    for path, mimetype in (
        ("/demo/app.js", "text/javascript"),
        ("/demo/notes.js", "text/javascript"),
        ("/demo/app.css", "text/css"),
    ):
        asset = client.get(path)
        assert asset.status_code == 200 and asset.mimetype == mimetype, path
        assert asset.headers["Content-Security-Policy"] == DEMO_CSP
    assert client.get("/demo/other.js").status_code == 404
    # The API keeps its own, stricter policy.
    assert client.get("/api/flow").headers["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )


def test_script_inserts_markup_only_through_the_qr_sanitizer(local_app: Flask) -> None:
    """Text goes in as text. The only markup is the server's QR SVG, adopted by qrNode
    after its allowlist check; nothing evaluates strings as code."""
    script = local_app.test_client().get("/demo/app.js").get_data(as_text=True)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert not re.search(r"new\s+Function\s*\(", script)
    assert script.count("parseFromString(") == 1
    assert script.count("importNode(") == 1
    # Every state-changing call carries the CSRF header and a JSON body.
    assert 'init.headers["X-CSRF"] = "1";' in script
    assert 'init.headers["Content-Type"] = "application/json";' in script
    assert 'credentials: "same-origin"' in script


def test_local_outbox_lists_codes_newest_first(local_app: Flask, outbox: Any) -> None:
    client = local_app.test_client()
    email = f"outbox-{uuid.uuid4().hex[:10]}@example.com"
    answer = client.post(
        "/api/sign-up", json={"email": email, "password": PASSWORD}, headers=JSON_CSRF
    )
    assert answer.status_code == 200, answer.get_json()
    answer = client.post("/api/sign-up/resend-code", json={}, headers=JSON_CSRF)
    assert answer.status_code == 200, answer.get_json()

    response = client.get("/api/local/outbox", query_string={"to": email})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # an /api route
    messages = response.get_json()["messages"]
    assert [m["kind"] for m in messages] == ["confirmation_code", "confirmation_code"]
    assert {m["to"] for m in messages} == {email}
    # Newest first: what the local Cognito's own outbox holds, reversed.
    assert messages[0]["code"] == outbox.latest_code(email)
    assert messages[0]["sent_at"] >= messages[1]["sent_at"]

    everyone = client.get("/api/local/outbox").get_json()["messages"]
    assert any(m["to"] == email for m in everyone)
    nobody = client.get("/api/local/outbox", query_string={"to": "no-one@example.com"})
    assert nobody.get_json() == {"messages": []}

    too_long = client.get("/api/local/outbox", query_string={"to": "a" * 255})
    assert too_long.status_code == 422
    assert too_long.get_json()["error"]["details"]["fields"] == {"to": ["At most 254 characters."]}


def test_local_outbox_is_a_plain_404_in_production(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path
) -> None:
    app = make_app(production_settings(local_cognito, tmp_path))
    assert app.extensions["bff"]["settings"].mode == "production"
    client = app.test_client()
    response = client.get("/api/local/outbox")
    unknown = client.get("/api/no-such-route")
    assert response.status_code == unknown.status_code == 404
    assert response.get_data() == unknown.get_data()
    assert response.get_json()["error"]["code"] == "not_found"
    # The page is off in production by default (BFF_DEMO_ENABLED): a 404 like the rest.
    assert client.get("/").status_code == 404


def test_local_outbox_without_a_local_cognito(
    make_app: Any, local_cognito: LocalCognitoInfo, tmp_path: Path
) -> None:
    # Local mode against a Cognito that is not local: there is no outbox to read.
    no_endpoint = make_app(local_settings(local_cognito, tmp_path, COGNITO_ENDPOINT_URL=""))
    response = no_endpoint.test_client().get("/api/local/outbox")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "no_local_outbox"

    # An endpoint that answers nothing (the local Cognito was stopped): 502, the one shape.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gone = make_app(local_settings(local_cognito, tmp_path / "gone", COGNITO_ENDPOINT_URL=closed))
    response = gone.test_client().get("/api/local/outbox")
    assert response.status_code == 502
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == "outbox_unavailable"


def test_the_notes_panel_inserts_text_only_and_sends_the_csrf_header(local_app: Flask) -> None:
    """The notes panel (notes.js) builds its list from text nodes and sends ``X-CSRF: 1`` on
    every call to the relay, GET included."""
    script = local_app.test_client().get("/demo/notes.js").get_data(as_text=True)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert script.count("fetch(") == 1
    assert 'const headers = { "X-CSRF": "1"' in script
