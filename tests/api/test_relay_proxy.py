"""The token relay over HTTP: the BFF served on a loopback port in front of a recording
upstream. What reaches the upstream (and what never does), the allow-list, the path tricks,
the upstream's failures, CSRF, the configuration's refusals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_helpers import SpaClient, sign_in_through_mfa_setup, sign_up_and_confirm
from flask import Flask
from relay_support import Recorder, Served, call, remote_apis

from bff.config import ConfigError
from tests.support.faults import closed_port


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, Served]]:
    recording = Recorder()
    served = Served(recording)
    yield recording, served
    recording.release.set()
    served.close()


@pytest.fixture
def relay_app(make_app: Callable[..., Flask], recorder: tuple[Recorder, Served]) -> Flask:
    return make_app(BFF_REMOTE_APIS=remote_apis(recorder[1].url))


@pytest.fixture
def bff(relay_app: Flask) -> Iterator[Served]:
    served = Served(relay_app)
    yield served
    served.close()


@pytest.fixture
def cookie(relay_app: Flask, outbox: Any, unique_email: str, cognito_clock: Any) -> str:
    spa = SpaClient(relay_app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    sid = spa.cookie()
    assert sid
    return sid


def _access_token(app: Flask, sid: str) -> str:
    record = app.extensions["bff"]["store"].sessions.get(sid)
    return str(record["tokens"]["access_token"])


def test_a_signed_in_get_reaches_the_upstream_with_the_token_and_nothing_else(
    relay_app: Flask, bff: Served, recorder: tuple[Recorder, Served], cookie: str
) -> None:
    upstream, _ = recorder
    status, headers, body = call(
        bff,
        "GET",
        "/api/remote/notes/notes/1?sort=new&x=%20y",
        cookie,
        headers={
            "Authorization": "Bearer from-the-browser",
            "X-Admin-Key": "secret",
            "Connection": "keep-alive, X-Private",
            "X-Private": "hop",
            "X-Forwarded-For": "6.6.6.6",
            "Accept": "application/json",
            "X-Request-Id": "made-up",
        },
    )
    assert status == 200, body
    assert json.loads(body)["target"] == "/notes/1?sort=new&x=%20y"
    seen = upstream.last.headers
    assert seen["Authorization"] == "Bearer " + _access_token(relay_app, cookie)
    for name in ("Cookie", "X-Csrf", "X-Admin-Key", "X-Private", "Keep-Alive"):
        assert name not in seen, (name, seen)
    assert seen["Accept"] == "application/json"
    assert seen["Host"] == f"127.0.0.1:{recorder[1].port}"
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["X-Forwarded-Host"] == f"127.0.0.1:{bff.port}"
    assert seen["X-Forwarded-Prefix"] == "/api/remote/notes"
    assert seen["X-Request-Id"] == headers["X-Request-Id"] != "made-up"


def test_the_upstreams_answers_pass_through_but_not_its_cookies(bff: Served, cookie: str) -> None:
    for code in (200, 201, 400, 404, 409, 418, 500, 503):
        status, headers, body = call(bff, "GET", f"/api/remote/notes/status/{code}", cookie)
        assert status == code
        assert json.loads(body) == {"upstream_status": code}
        assert headers["X-Upstream"] == "kept"
        assert "upstream=1" not in headers.get("Set-Cookie", "")


def test_a_body_goes_up_as_sent(
    bff: Served, recorder: tuple[Recorder, Served], cookie: str
) -> None:
    upstream, _ = recorder
    payload = b"plain text, not JSON: \xff\x00"
    status, _, body = call(
        bff,
        "PUT",
        "/api/remote/notes/notes/7",
        cookie,
        headers={"Content-Type": "text/plain"},
        body=payload,
    )
    assert status == 200, body
    assert json.loads(body) == {"method": "PUT", "target": "/notes/7", "size": len(payload)}
    assert upstream.last.headers["Content-Type"] == "text/plain"


def test_signed_out_is_401_and_nothing_leaves(
    bff: Served, recorder: tuple[Recorder, Served]
) -> None:
    status, _, body = call(bff, "GET", "/api/remote/notes/notes")
    assert status == 401
    assert json.loads(body)["error"]["code"] == "not_signed_in"
    assert recorder[0].received == []


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_every_proxied_request_needs_the_csrf_header(
    bff: Served, recorder: tuple[Recorder, Served], cookie: str, method: str
) -> None:
    conn = bff.connection()
    conn.request(method, "/api/remote/notes/notes", headers={"Cookie": f"bff_session={cookie}"})
    answer = conn.getresponse()
    assert answer.status == 403
    assert json.loads(answer.read())["error"]["code"] == "csrf_required"
    assert recorder[0].received == []


def test_methods_outside_the_allow_list_are_405(
    bff: Served, recorder: tuple[Recorder, Served], cookie: str
) -> None:
    for method in ("PATCH", "TRACE", "PROPFIND"):
        status, headers, body = call(bff, method, "/api/remote/notes/notes", cookie)
        assert status == 405, (method, body)
        assert "PATCH" not in headers["Allow"]
    assert recorder[0].received == []


TRICKS = [
    "/api/remote/notes/../admin",
    "/api/remote/notes/notes/../../admin",
    "/api/remote/notes/%2e%2e/admin",
    "/api/remote/notes/notes/%2E%2E/%2e%2e/admin",
    "/api/remote/notes/notes%2f..%2fadmin",
    "/api/remote/notes/notes/%2e",
    "/api/remote/notes//evil.example/notes",
    "/api/remote/notes/notes//x",
    "/api/remote/notes/notes\\..\\admin",
    "/api/remote/notes/notes%5c..%5cadmin",
    "/api/remote/notes/notes/%00",
    "/api/remote/notes/notes/%252e%252e/admin",
    "/api/remote/notes/http://evil.example/notes",
    "/api/remote/notes/admin",
    "/api/remote/notes/notes-admin",
    "/api/remote/notes/NOTES",
    "http://evil.example/api/remote/notes/notes",
    "//evil.example/api/remote/notes/notes",
]


@pytest.mark.parametrize("target", TRICKS)
def test_path_tricks_never_leave_the_allow_list(
    bff: Served, recorder: tuple[Recorder, Served], cookie: str, target: str
) -> None:
    status, _, body = call(bff, "GET", target, cookie)
    assert status in (400, 404), (target, status, body)
    assert recorder[0].received == [], target


def test_a_host_header_does_not_change_the_upstream(
    bff: Served, recorder: tuple[Recorder, Served], cookie: str
) -> None:
    status, _, _ = call(bff, "GET", "/api/remote/notes/notes", cookie, {"Host": "evil.example"})
    assert status == 200
    assert recorder[0].last.headers["Host"] == f"127.0.0.1:{recorder[1].port}"


def test_upstream_down_is_502_with_retry_after(
    make_app: Callable[..., Flask], outbox: Any, unique_email: str, cognito_clock: Any
) -> None:
    app = make_app(BFF_REMOTE_APIS=remote_apis(f"http://127.0.0.1:{closed_port()}"))
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    served = Served(app)
    try:
        status, headers, body = call(served, "GET", "/api/remote/notes/notes", spa.cookie())
    finally:
        served.close()
    assert status == 502
    assert json.loads(body)["error"]["code"] == "upstream_unavailable"
    assert int(headers["Retry-After"]) > 0


def test_a_silent_upstream_is_504_within_the_read_timeout(
    make_app: Callable[..., Flask],
    recorder: tuple[Recorder, Served],
    outbox: Any,
    unique_email: str,
    cognito_clock: Any,
) -> None:
    app = make_app(BFF_REMOTE_APIS=remote_apis(recorder[1].url, read_timeout=0.5))
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    served = Served(app)
    try:
        conn = served.connection(timeout=5)  # far above the configured 0.5 s
        conn.request(
            "GET",
            "/api/remote/notes/silent",
            headers={"X-CSRF": "1", "Cookie": f"bff_session={spa.cookie()}"},
        )
        answer = conn.getresponse()
        body = json.loads(answer.read())
    finally:
        served.close()
    assert answer.status == 504
    assert body["error"]["code"] == "upstream_timeout"
    assert answer.getheader("Retry-After")


def test_a_body_over_the_limit_is_413_before_anything_leaves(
    make_app: Callable[..., Flask],
    recorder: tuple[Recorder, Served],
    outbox: Any,
    unique_email: str,
    cognito_clock: Any,
) -> None:
    app = make_app(BFF_REMOTE_APIS=remote_apis(recorder[1].url, max_body_bytes=1000))
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    served = Served(app)
    try:
        status, _, body = call(
            served, "POST", "/api/remote/notes/upload", spa.cookie(), body=b"x" * 1001
        )
    except BaseException:
        served.close()
        raise
    assert status == 413, body
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert recorder[0].received == []
    # A chunked body has no length to check first: it is counted on the way and cut off.
    conn = served.connection()
    try:
        conn.request(
            "POST",
            "/api/remote/notes/upload",
            body=iter([b"x" * 600, b"x" * 600]),
            headers={"X-CSRF": "1", "Cookie": f"bff_session={spa.cookie()}"},
            encode_chunked=True,
        )
        answer = conn.getresponse()
        assert answer.status == 413
        assert json.loads(answer.read())["error"]["code"] == "payload_too_large"
    finally:
        conn.close()
        served.close()
    assert all(r.body_bytes <= 1000 for r in recorder[0].received)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"upstream": "ftp://x"}, "http:// or https://"),
        ({"upstream": "http://u:p@x"}, "credentials"),
        ({"prefix": "/remote/notes/"}, "prefix must start with /api/"),
        ({"methods": ["GET", "BREW"]}, "BREW"),
        ({"paths": ["/notes/../admin"]}, "must not hold . or .."),
        ({"read_timeout": 0}, "read_timeout"),
        ({"token": "id"}, "token must be one of"),
        ({"surprise": 1}, "unknown field(s) surprise"),
    ],
)
def test_an_invalid_entry_stops_the_app_and_says_which(
    make_app: Callable[..., Flask], entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        make_app(BFF_REMOTE_APIS=remote_apis("http://127.0.0.1:1", **entry))
    assert "BFF_REMOTE_APIS entry 1 (notes)" in str(refused.value)
    assert message in str(refused.value)


def test_remote_apis_from_a_toml_file(make_app: Callable[..., Flask], tmp_path: Any) -> None:
    path = tmp_path / "apis.toml"
    path.write_text(
        '[[api]]\nname = "notes"\nupstream = "http://127.0.0.1:1/v1"\n'
        'methods = ["GET", "POST"]\npaths = ["/notes"]\n'
    )
    app = make_app(BFF_REMOTE_APIS_FILE=str(path))
    rules = {r.rule: r.methods for r in app.url_map.iter_rules()}
    assert {"GET", "POST"} <= rules["/api/remote/notes/<path:rest>"]
    assert "DELETE" not in rules["/api/remote/notes/<path:rest>"]
