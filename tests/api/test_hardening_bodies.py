"""Crafted bodies on every route of the app's URL map (so a route added later is covered
without anyone listing it): each answers 400 ``invalid_json`` in the one error shape, logs
nothing above INFO, sets no cookie and stores nothing (docs/security.md, "Hostile input")."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from api_helpers import ADMIN_KEY, error_of, sign_webhook
from flask import Flask

from bff import body

DEEP = b"[" * 1000 + b"]" * 1000
CRAFTED: dict[str, bytes] = {
    "nested-1000": DEEP,
    "nested-object": b'{"a":' * 200 + b"1" + b"}" * 200,
    "nested-in-field": b'{"username": ' + DEEP + b', "password": "x"}',
    "int-5000-digits": b'{"username": "a@example.com", "limit": ' + b"9" * 5000 + b"}",
    "bare-int-5000-digits": b"1" * 5000,
    "float-overflow": b'{"username": "a@example.com", "x": 1e999}',
    "nan": b'{"username": "a@example.com", "x": NaN}',
    "lone-surrogate": b'{"username": "\\ud800@example.com", "email": "\\ud800@example.com", '
    b'"password": "Corr3ct-Horse!"}',
    "lone-surrogate-key": b'{"\\udfff": 1}',
    "invalid-utf8": b'{"username": "\xff\xfe@example.com", "password": "x"}',
    "encoded-surrogate": b'{"username": "\xed\xa0\x80@example.com"}',
    "truncated": b'{"username": "a@example.com", ',
}


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: f"x-{m.group(1)}", rule)


def json_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, path) of the URL map that can take a body, with path arguments filled."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            found.append((method, _concrete(rule.rule)))
    return sorted(set(found))


def send(app: Flask, method: str, path: str, raw: bytes) -> Any:
    query = {"signature": sign_webhook(raw)} if "webhooks" in path else {}
    return app.test_client().open(
        path,
        method=method,
        data=raw,
        query_string=query,
        headers={"Content-Type": "application/json", "X-CSRF": "1", "X-Admin-Key": ADMIN_KEY},
    )


def test_the_url_map_has_the_json_routes(app: Flask) -> None:
    routes = json_routes(app)
    assert ("POST", "/api/sign-in") in routes
    assert ("POST", "/api/webhooks/pandadoc") in routes
    assert ("DELETE", "/api/devices/x-device_key") in routes
    assert len(routes) >= 14


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_bodies_are_400_invalid_json_on_every_route(
    make_app: Any, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true")
    store = app.extensions["bff"]["store"]
    caplog.set_level(logging.INFO)
    proxied = tuple(api.prefix for api in app.extensions["bff"]["settings"].remote_apis)
    assert proxied
    for method, path in json_routes(app):
        response = send(app, method, path, CRAFTED[name])
        if path.startswith(proxied):
            # A proxied body is the upstream's to parse: the BFF reads none of it, and
            # without a session nothing is forwarded.
            assert error_of(response, 401)["code"] == "not_signed_in", (method, path)
        else:
            error = error_of(response, 400)
            assert error["code"] == "invalid_json", (method, path, error)
        assert "Set-Cookie" not in response.headers, (method, path)
    loud = [r for r in caplog.records if r.levelno > logging.INFO]
    assert not loud, [r.getMessage() for r in loud]
    with store.connection() as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM flows").fetchone()[0] == 0


def test_parser_limits_and_what_stays_allowed() -> None:
    assert body.parse_json(b'{"a": [1, 2.5, -3e10, "\\u00e9\\ud83d\\ude00"]}') == {
        "a": [1, 2.5, -3e10, "\u00e9\U0001f600"]
    }
    nested = b"[" * body.MAX_DEPTH + b"]" * body.MAX_DEPTH
    assert body.parse_json(nested) is not None
    # Brackets inside strings do not count as nesting.
    assert body.parse_json(b'"' + b"[" * 5000 + b'"') == "[" * 5000
    for raw in (b"[" + nested + b"]", b"9" * (body.MAX_NUMBER_CHARS + 1), b"Infinity"):
        with pytest.raises(body.InvalidJson):
            body.parse_json(raw)
