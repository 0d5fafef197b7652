"""Sessions through a tiny Flask app: cookie flags, forged ids, rotation, timeouts."""

from __future__ import annotations

from typing import Any

import pytest
from infra_support import JSON_CSRF, build_app, cookie_value, make_settings, set_cookies

from bff.sessions import DEVICE_COOKIE, LOCAL_SESSION_COOKIE, SESSION_COOKIE

FORGED = "AttackerChosenSessionId_0123456789abcdefghijk"  # valid shape, never issued


def sign_in(client: Any, username: str = "ann@example.com", cookie: str | None = None) -> Any:
    headers = dict(JSON_CSRF)
    if cookie:
        headers["Cookie"] = cookie
    return client.post(
        "/api/sign-in", json={"username": username, "password": "Pw1!"}, headers=headers
    )


def me(client: Any, sid: str, name: str = SESSION_COOKIE) -> Any:
    return client.get("/api/me", headers={"Cookie": f"{name}={sid}"})


def attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]}


def test_session_cookie_flags(client: Any) -> None:
    response = sign_in(client)
    assert response.status_code == 200
    headers = [h for h in set_cookies(response) if h.startswith(SESSION_COOKIE + "=")]
    assert len(headers) == 1
    attrs = attributes(headers[0])
    assert "secure" in attrs and "httponly" in attrs
    assert attrs["samesite"] == "Strict"
    assert attrs["path"] == "/"
    assert "domain" not in attrs
    assert response.headers["Cache-Control"] == "no-store"


def test_every_cookie_of_a_flow_is_httponly_strict_secure(client: Any) -> None:
    """All Set-Cookie headers over sign-in, device, rotation, forget, sign-out (rows 1-4)."""
    seen: list[str] = []
    response = sign_in(client)
    sid = cookie_value(response, SESSION_COOKIE)
    seen += set_cookies(response)
    cookie = {"Cookie": f"{SESSION_COOKIE}={sid}", **JSON_CSRF}
    for method, path in [
        ("post", "/api/device"),
        ("post", "/api/rotate"),
        ("delete", "/api/device"),
    ]:
        response = getattr(client, method)(path, headers=cookie)
        seen += set_cookies(response)
        sid = cookie_value(response, SESSION_COOKIE) or sid
        cookie["Cookie"] = f"{SESSION_COOKIE}={sid}"
    seen += set_cookies(client.post("/api/sign-out", headers=cookie))
    names = {h.split("=", 1)[0] for h in seen}
    assert names == {SESSION_COOKIE, DEVICE_COOKIE}
    for header in seen:
        attrs = attributes(header)
        assert header.startswith("__Host-")
        assert "httponly" in attrs and "secure" in attrs, header
        assert attrs["samesite"] == "Strict" and attrs["path"] == "/" and "domain" not in attrs


def test_local_http_mode_drops_host_prefix_and_secure(tmp_path: Any, store: Any) -> None:
    settings = make_settings(tmp_path, store.url, BFF_MODE="local", BFF_COOKIE_SECURE="false")
    client = build_app(settings, store).test_client(use_cookies=False)
    response = sign_in(client)
    [header] = set_cookies(response)
    assert header.startswith(LOCAL_SESSION_COOKIE + "=")
    attrs = attributes(header)
    assert "secure" not in attrs and "httponly" in attrs and attrs["samesite"] == "Strict"


def test_forged_cookie_is_never_adopted(client: Any, store: Any) -> None:
    response = me(client, FORGED)
    assert response.status_code == 401
    assert set_cookies(response) == [], "a well-shaped unknown id is ignored, not answered"
    response = sign_in(client, cookie=f"{SESSION_COOKIE}={FORGED}")
    issued = cookie_value(response, SESSION_COOKIE)
    assert issued and issued != FORGED
    assert store.sessions.get(FORGED) is None, "nothing may be stored under the forged id"
    assert me(client, issued).status_code == 200
    assert me(client, FORGED).status_code == 401


@pytest.mark.parametrize("value", ["short<script>", "x" * 500, "%27%20OR%201%3D1"])
def test_malformed_cookie_is_ignored_and_cleared(client: Any, value: str) -> None:
    response = client.get("/api/me", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
    assert response.status_code == 401
    assert cookie_value(response, SESSION_COOKIE) == ""


def test_a_read_answered_after_a_rotation_keeps_the_new_cookie(client: Any) -> None:
    """A read sent with the old id but answered after a sign-in rotated it must not clear
    the cookie: the browser would apply that answer last and lose the new session."""
    old = cookie_value(sign_in(client), SESSION_COOKIE)
    rotated = client.post("/api/rotate", headers={"Cookie": f"{SESSION_COOKIE}={old}", **JSON_CSRF})
    new = cookie_value(rotated, SESSION_COOKIE)
    assert new and new != old
    late = me(client, old)
    assert late.status_code == 401
    assert set_cookies(late) == []
    assert me(client, new).status_code == 200


def test_sign_in_and_privilege_change_rotate_the_id(client: Any) -> None:
    first = cookie_value(sign_in(client), SESSION_COOKIE)
    again = sign_in(client, cookie=f"{SESSION_COOKIE}={first}")
    second = cookie_value(again, SESSION_COOKIE)
    assert second and second != first
    assert me(client, first).status_code == 401
    rotated = client.post(
        "/api/rotate", headers={"Cookie": f"{SESSION_COOKIE}={second}", **JSON_CSRF}
    )
    third = cookie_value(rotated, SESSION_COOKIE)
    assert third and third not in (first, second)
    assert me(client, second).status_code == 401
    assert me(client, third).json == {"username": "ann@example.com"}


def test_sign_out_kills_the_server_session(client: Any, store: Any) -> None:
    sid = cookie_value(sign_in(client), SESSION_COOKIE)
    response = client.post(
        "/api/sign-out", headers={"Cookie": f"{SESSION_COOKIE}={sid}", **JSON_CSRF}
    )
    assert cookie_value(response, SESSION_COOKIE) == ""
    assert store.sessions.get(sid) is None
    assert me(client, sid).status_code == 401


@pytest.mark.parametrize("kind", ["idle", "absolute"])
def test_timeouts_on_a_moved_clock(client: Any, clock: Any, settings: Any, kind: str) -> None:
    sid = cookie_value(sign_in(client), SESSION_COOKIE)
    if kind == "idle":
        clock.advance(settings.session_idle_seconds - 1)
        assert me(client, sid).status_code == 200
        clock.advance(settings.session_idle_seconds + 1)
    else:
        step = settings.session_idle_seconds // 2
        for _ in range(settings.session_absolute_seconds // step - 1):
            clock.advance(step)
            assert me(client, sid).status_code == 200
        clock.advance(2 * step)
    response = me(client, sid)
    assert response.status_code == 401
    assert set_cookies(response) == [], "an expired id is ignored: no new session is issued"


def test_session_ids_from_the_app_are_distinct(tmp_path: Any, store: Any) -> None:
    settings = make_settings(tmp_path, store.url, BFF_RATELIMIT_ENABLED="false")
    client = build_app(settings, store).test_client(use_cookies=False)
    ids = {cookie_value(sign_in(client, f"u{i}@example.com"), SESSION_COOKIE) for i in range(50)}
    assert len(ids) == 50 and all(len(i or "") >= 43 for i in ids)
