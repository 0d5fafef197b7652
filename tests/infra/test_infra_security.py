"""Request guards, headers, CORS, rate limits, ProxyFix and log scrubbing on a tiny app."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from infra_support import JSON_CSRF, build_app, make_settings

from bff import security
from bff.security import STATE_CHANGING, scrub
from tests.support.redis_topologies import redis_keys

ALLOWED = "https://app.example.com"
FOREIGN = "https://evil.example.net"


def state_changing_routes(app: Any) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            path = rule.rule.replace("<flow_id>", "f1")
            routes.append((rule.endpoint, method, path))
    return routes


def test_every_state_changing_route_requires_the_csrf_header(app: Any, client: Any) -> None:
    routes = state_changing_routes(app)
    assert len(routes) >= 7
    for endpoint, method, path in routes:
        response = client.open(path, method=method, json={})
        if endpoint == "webhook":
            assert response.status_code == 200, "the HMAC webhook is the one exemption"
            continue
        assert response.status_code == 403, (method, path)
        assert response.json["error"]["code"] == "csrf_required"
        wrong = client.open(path, method=method, json={}, headers={"X-CSRF": "0"})
        assert wrong.status_code == 403
        right = client.open(path, method=method, json={}, headers=JSON_CSRF)
        assert right.status_code != 403, (method, path)


def test_csrf_holds_under_testing(app: Any, client: Any) -> None:
    assert app.testing
    response = client.put("/api/profile", json={})
    assert response.status_code == 403 and response.json["error"]["code"] == "csrf_required"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"username": "a"}'),
        ("application/x-www-form-urlencoded", "username=a"),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
def test_state_changing_requests_must_be_json(client: Any, content_type: str, body: str) -> None:
    response = client.post(
        "/api/sign-in", data=body, headers={"Content-Type": content_type, **JSON_CSRF}
    )
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_json_and_empty_bodies_pass(client: Any) -> None:
    assert client.post("/api/sign-in", json={"username": "a"}, headers=JSON_CSRF).status_code == 200
    assert client.post("/api/sign-out", headers=JSON_CSRF).status_code == 200
    response = client.post(
        "/api/sign-out",
        data="{}",
        headers={"Content-Type": "application/json; charset=utf-8", **JSON_CSRF},
    )
    assert response.status_code == 200


def test_cors_grants_only_configured_origins(client: Any) -> None:
    foreign = client.get("/api/ping", headers={"Origin": FOREIGN})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert "Access-Control-Allow-Credentials" not in foreign.headers
    allowed = client.get("/api/ping", headers={"Origin": ALLOWED})
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in allowed.headers["Vary"]


def test_cors_preflight(client: Any) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-csrf",
    }
    ok = client.options("/api/sign-in", headers={"Origin": ALLOWED, **preflight})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-CSRF" in ok.headers["Access-Control-Allow-Headers"]
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    denied = client.options("/api/sign-in", headers={"Origin": FOREIGN, **preflight})
    assert denied.status_code == 403
    assert "Access-Control-Allow-Origin" not in denied.headers


def test_no_cors_without_configured_origins(tmp_path: Any, store: Any) -> None:
    settings = make_settings(tmp_path, store.url, BFF_CORS_ORIGINS="")
    client = build_app(settings, store).test_client(use_cookies=False)
    response = client.get("/api/ping", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("get", "/api/ping", {}, 200),
        ("post", "/api/sign-in", {}, 403),  # an error response carries them too
        ("get", "/api/nope", {}, 404),
    ],
)
def test_security_headers(client: Any, method: str, path: str, headers: Any, status: int) -> None:
    response = getattr(client, method)(path, json={} if method == "post" else None)
    assert response.status_code == status
    h = response.headers
    assert h["Strict-Transport-Security"].startswith("max-age=")
    assert int(h["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000
    assert h["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Cache-Control"] == "no-store"
    assert "Cookie" in h["Vary"]


def test_non_api_responses_still_deny_framing(client: Any) -> None:
    response = client.post("/webhooks/pandadoc", json={})
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def _limited_app(tmp_path: Any, store: Any, **env: str) -> Any:
    settings = make_settings(
        tmp_path,
        store.url,
        BFF_RATELIMIT_SIGN_IN="3 per minute",
        BFF_SIGN_IN_FREE_FAILURES="3",
        BFF_RATELIMIT_MFA="2/minute",
        **env,
    )
    return build_app(settings, store)


def _attempt(client: Any, username: str, addr: str, password: str = "x", **headers: str) -> Any:
    return client.post(
        "/api/sign-in",
        json={"username": username, "password": password},
        headers={**JSON_CSRF, **headers},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_rate_limit_per_client(tmp_path: Any, store: Any) -> None:
    client = _limited_app(tmp_path, store).test_client(use_cookies=False)
    statuses = [_attempt(client, f"user{i}@example.com", "10.0.0.1").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _attempt(client, "fresh@example.com", "10.0.0.2").status_code == 200


def test_rate_limit_per_username(tmp_path: Any, store: Any) -> None:
    """Per username, sign-in counts failed passwords only (docs/security.md, lockout)."""
    client = _limited_app(tmp_path, store).test_client(use_cookies=False)
    ok = [_attempt(client, "Ann@Example.com", f"10.0.1.{i}").status_code for i in range(5)]
    assert ok == [200] * 5  # successes never count
    failed = [
        _attempt(client, "Ann@Example.com", f"10.0.2.{i}", "wrong").status_code for i in range(3)
    ]
    assert failed == [401, 401, 401]  # the third (BFF_SIGN_IN_FREE_FAILURES) arms a delay
    response = _attempt(client, "ann@example.com ", "10.0.1.99")  # same user, other spelling
    assert response.status_code == 429
    body = response.json["error"]
    assert body["code"] == "sign_in_delayed"  # the delay, not the per-client rate limit
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60  # the first delay, at most the cap
    assert body["details"]["retry_after"] == retry_after
    assert response.headers["Cache-Control"] == "no-store"  # security headers on a 429 too


def test_rate_limit_mfa_counts_per_client_address_only(tmp_path: Any, store: Any) -> None:
    """Code steps are limited per client address; what a username may lose to strangers is
    counted by the flows' failure budgets (per sign-in for MFA), never here."""
    from statemachine.flow import Flow

    flow = Flow(username="bob@example.com")
    store.flows.create(flow, 180)
    client = _limited_app(tmp_path, store).test_client(use_cookies=False)

    def answer(address: str) -> int:
        response = client.post(
            f"/api/mfa/{flow.id}",
            json={"code": "123456"},
            headers=JSON_CSRF,
            environ_base={"REMOTE_ADDR": address},
        )
        return int(response.status_code)

    assert [answer("10.2.0.1") for _ in range(3)] == [200, 200, 429]
    # Other addresses for the same flow's user are not refused.
    assert [answer(f"10.2.1.{i}") for i in range(4)] == [200] * 4


def test_rate_limit_storage_follows_the_store(tmp_path: Any, store: Any, backend: str) -> None:
    app = _limited_app(tmp_path, store)
    settings = app.extensions[security.EXTENSION]
    if backend == "sqlite":
        assert settings.ratelimit_storage_url == "memory://"
        return
    assert settings.ratelimit_storage_url == store.url
    client = app.test_client(use_cookies=False)
    for i in range(3):
        _attempt(client, "carol@example.com", f"10.3.0.{i}", "wrong")
    # Another instance (a fresh app and limiter storage on the same Redis) sees the count.
    other = _limited_app(tmp_path, store).test_client(use_cookies=False)
    assert _attempt(other, "carol@example.com", "10.3.0.9").status_code == 429
    keys = redis_keys(store.redis, "*bff-*")
    assert keys and not any(b"carol" in k for k in keys), "usernames are hashed in keys"


def test_forwarded_for_ignored_without_trusted_proxies(tmp_path: Any, store: Any) -> None:
    client = _limited_app(tmp_path, store).test_client(use_cookies=False)
    statuses = [
        _attempt(
            client, f"u{i}@example.com", "10.4.0.1", **{"X-Forwarded-For": f"1.2.3.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert statuses[-1] == 429, "a client must not pick its own rate-limit key"


def test_forwarded_for_trusted_behind_proxy(tmp_path: Any, store: Any) -> None:
    app = _limited_app(tmp_path, store, BFF_TRUSTED_PROXIES="1")
    client = app.test_client(use_cookies=False)
    statuses = [
        _attempt(
            client, f"v{i}@example.com", "10.5.0.1", **{"X-Forwarded-For": f"1.2.3.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 200]


JWT = (
    "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiIxMjM0NTY3ODkwIiwidXNlcm5hbWUiOiJhbm4ifQ."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmUtbG9uZy1lbm91Z2g"
)
COGNITO_SESSION = "AYABeC3nYx8Q2fZkW1pPq9rT" + "xY7zK2mN4bV6cR8dF0gH" * 20
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SESSION_ID = "Qm9vZ0J1ZmZlcl9zZXNzaW9uX2lkX3ZhbHVlXzEyMzQ1"


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("login password=Hunter2!pass for ann", "Hunter2!pass"),
        ('payload {"PASSWORD": "S3cret pass", "USERNAME": "ann"}', "S3cret pass"),
        ("{'NEW_PASSWORD': 'Other#Pw9'}", "Other#Pw9"),
        ("confirm code=482913", "482913"),
        ('{"ConfirmationCode": "1234"}', "1234"),
        ("totp 665544 accepted", "665544"),
        (f"tokens {JWT}", JWT),
        (f"Authorization: Bearer {JWT}", "Bearer"),
        (f"challenge Session {COGNITO_SESSION}", COGNITO_SESSION[:40]),
        (f"secret_code={TOTP_SECRET}", TOTP_SECRET),
        (f"otpauth secret {TOTP_SECRET} issued", TOTP_SECRET),
        (f"Cookie: __Host-bff_session={SESSION_ID}", SESSION_ID),
        (f"rotated to {SESSION_ID}", SESSION_ID),
        ("'RefreshToken': 'opaque-refresh-Abc123'", "opaque-refresh-Abc123"),
        ("DevicePassword=dEvIcEpAsS42", "dEvIcEpAsS42"),
    ],
)
def test_scrub_removes_secrets(message: str, secret: str) -> None:
    cleaned = scrub(message)
    assert secret not in cleaned
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "message",
    [
        "user 0b8c4a52-1d2e-4f3a-9b7c-6d5e4f3a2b1c signed in",
        "flow moved from NEW to PASSWORD_VERIFIER via InitiateAuth",
        "cognito_error CodeMismatchException (status 400) after 12 ms on port 8080",
        'File "/root/.venv/lib/python3.11/site-packages/flask_limiter/_extension.py", line 42',
    ],
)
def test_scrub_keeps_ordinary_text(message: str) -> None:
    assert scrub(message) == message


def test_logs_of_a_request_carry_no_secrets(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = client.post(
        "/api/sign-in", json={"username": "ann", "password": "Hunter2!pass"}, headers=JSON_CSRF
    )
    sid = response.headers["Set-Cookie"].split("=", 1)[1].split(";")[0]
    text = caplog.text
    assert "sign-in for ann" in text  # the records were captured
    assert "Hunter2!pass" not in text and sid not in text


def test_exception_tracebacks_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    security.install_log_scrubbing()
    logger = logging.getLogger("bff.test_scrub")
    try:
        raise ValueError(f"bad token {JWT} password=Hunter2!pass")
    except ValueError:
        logger.exception("refresh failed for session %s", SESSION_ID)
    text = caplog.text
    assert "refresh failed" in text and "ValueError" in text
    assert JWT not in text and "Hunter2!pass" not in text and SESSION_ID not in text


def test_memory_rate_limits_start_no_thread_per_request(tmp_path: Any) -> None:
    """limits' MemoryStorage would start a 10 ms threading.Timer from most hits; the BFF's
    own in-process counters (bff.security.counters) start none."""
    import threading

    from bff.security.counters import MemoryCounters
    from bff.security.rate_limits import EXTENSION
    from bff.store import open_store

    store = open_store(f"sqlite:///{tmp_path}/rl.sqlite3")
    settings = make_settings(tmp_path, store.url, BFF_RATELIMIT_SIGN_IN="1000/minute")
    app = build_app(settings, store)
    client = app.test_client()
    assert isinstance(app.extensions[EXTENSION].storage, MemoryCounters)
    started: list[threading.Thread] = []
    original = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread)
        original(thread)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Thread, "start", counting_start)
        for i in range(20):
            assert _attempt(client, f"u{i}@example.com", "10.9.0.1").status_code == 200
    assert started == []
    store.close()


def test_memory_counters_expire_and_are_swept_without_a_thread() -> None:
    from bff.security.counters import MemoryCounters

    now = [1000.0]
    counters = MemoryCounters(clock=lambda: now[0])
    assert [counters.incr("a", 10) for _ in range(3)] == [1, 2, 3]
    counters.incr("b", 100)
    now[0] += 10
    assert counters.get("a") == 0 and counters.get("b") == 1  # expiry checked on read
    counters.incr("c", 1)
    now[0] += MemoryCounters.SWEEP_INTERVAL_SECONDS
    counters.incr("d", 100)  # the first write after the interval sweeps
    assert len(counters) == 2  # "a" (read) and "c" (swept) are gone
    assert counters.get_expiry("b") == 1100.0
    counters.clear("b")
    assert counters.get("b") == 0


def test_memory_counters_follow_limits_sliding_window() -> None:
    from limits import parse
    from limits.strategies import SlidingWindowCounterRateLimiter

    from bff.security.counters import MemoryCounters

    now = [60.0 * 1000]
    limiter = SlidingWindowCounterRateLimiter(MemoryCounters(clock=lambda: now[0]))
    item = parse("4 per minute")
    assert [limiter.hit(item, "k") for _ in range(5)] == [True] * 4 + [False]
    now[0] += 105  # three quarters into the next window: a quarter of the 4 still weighs
    assert [limiter.hit(item, "k") for _ in range(4)] == [True, True, True, False]
    now[0] += 60  # two windows on: all forgotten
    assert limiter.hit(item, "k")
