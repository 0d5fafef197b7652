"""Operations endpoints and request ids on the real app against the local Cognito:
/healthz, /readyz (store and Cognito, cached, 503 naming the failing part), /metrics
(counts steps, Cognito calls, store operations and rate-limit refusals; never personal
data; off or keyed in production) and X-Request-Id (in the response, the logs and the
flow's journal)."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import PASSWORD, SpaClient, error_of, flow_of
from cryptography.fernet import Fernet
from flask import Flask

from bff.cognito.gateway import CognitoGateway
from bff.ops import views
from bff.ops.logs import JsonFormatter

REQUEST_ID = re.compile(r"[0-9a-f]{32}")
METRICS_KEY = "metrics-" + "m" * 32


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _metrics(app: Flask, **headers: str) -> str:
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def _production(**extra: Any) -> dict[str, Any]:
    return {
        "BFF_MODE": "production",
        "BFF_SECRET_KEY": "s" * 48,
        "BFF_DEVICE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BFF_COOKIE_SECURE": "true",
        **extra,
    }


def test_healthz_answers_without_session_csrf_or_dependencies(make_app: Callable[..., Flask]):
    app = make_app(COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}")
    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert REQUEST_ID.fullmatch(response.headers["X-Request-Id"])


def test_readyz_is_ready_with_the_local_cognito_and_the_store(app: Flask) -> None:
    response = app.test_client().get("/readyz")

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready", "checks": {"store": "ok", "cognito": "ok"}}
    assert "Set-Cookie" not in response.headers


def test_readyz_names_cognito_when_it_is_unreachable(make_app: Callable[..., Flask]) -> None:
    app = make_app(COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}")
    response = app.test_client().get("/readyz")

    error = error_of(response, 503)
    assert error["code"] == "not_ready"
    assert error["details"]["failing"] == ["cognito"]
    assert error["details"]["checks"]["store"] == "ok"
    assert "Cognito is unreachable" in error["message"]
    assert response.headers["Retry-After"]


def test_readyz_names_the_store_when_redis_is_down(make_app: Callable[..., Flask]) -> None:
    app = make_app(store_url=f"redis://127.0.0.1:{_closed_port()}/0")
    error = error_of(app.test_client().get("/readyz"), 503)

    assert error["details"]["failing"] == ["store"]
    assert error["details"]["checks"] == {"store": "unreachable", "cognito": "ok"}


def test_readyz_is_cached_for_a_few_seconds(
    make_app: Callable[..., Flask], local_cognito: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[str] = []

    class CountingGateway(CognitoGateway):
        def probe(self) -> str | None:
            probes.append("probe")
            return super().probe()

    gateway = CountingGateway.from_settings(local_cognito.cognito_settings())
    app = make_app(gateway=gateway)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert probes == ["probe"]

    monkeypatch.setattr(views, "READY_CACHE_SECONDS", 0.0)
    assert client.get("/readyz").status_code == 200
    assert probes == ["probe", "probe"]


def test_probe_against_the_local_cognito_and_a_dead_port(local_cognito: Any) -> None:
    from dataclasses import replace

    settings = local_cognito.cognito_settings()
    assert CognitoGateway.from_settings(settings).probe() is None
    dead = replace(settings, endpoint_url=f"http://127.0.0.1:{_closed_port()}", max_attempts=1)
    assert "unreachable" in str(CognitoGateway.from_settings(dead).probe())


def test_ops_routes_are_not_rate_limited(make_app: Callable[..., Flask]) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_SIGN_IN="1 per minute")
    client = app.test_client()
    statuses = {client.get(path).status_code for path in ("/healthz", "/readyz") * 15}
    assert statuses == {200}


def test_metrics_count_steps_cognito_calls_and_store_ops_without_personal_data(
    app: Flask, spa: SpaClient, unique_email: str, outbox: Any
) -> None:
    before = _metrics(app)
    flow_of(spa.post("/api/sign-up", {"email": unique_email, "password": PASSWORD}))
    wrong = spa.post("/api/sign-up/confirm", {"code": "000000"})
    assert wrong.status_code == 400
    flow_of(spa.post("/api/sign-up/confirm", {"code": outbox.latest_code(unique_email)}))
    after = _metrics(app)

    def delta(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert delta("bff_steps_total", route="/api/sign-up", outcome="SIGNED_UP") == 1
    assert delta("bff_steps_total", route="/api/sign-up/confirm", outcome="code_mismatch") == 1
    assert delta("bff_steps_total", route="/api/sign-up/confirm", outcome="CONFIRMED") == 1
    assert delta("bff_cognito_calls_total", action="SignUp", outcome="ok") == 1
    assert (
        delta("bff_cognito_calls_total", action="ConfirmSignUp", outcome="CodeMismatchException")
        == 1
    )
    assert delta("bff_cognito_call_seconds_count", action="ConfirmSignUp") == 2
    assert delta("bff_store_op_seconds_count", backend="sqlite", store="flows", op="save") >= 2
    assert delta("bff_http_requests_total", route="/api/sign-up", method="POST", status="200")
    local_part = unique_email.split("@")[0]
    assert local_part not in after and "example.com" not in after
    assert "user" not in {
        label for label in re.findall(r'(\w+)="', after) if label.startswith("user")
    }


def test_rate_limit_refusals_are_counted(make_app: Callable[..., Flask]) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_SIGN_UP="1 per minute")
    spa = SpaClient(app.test_client())
    before = _sample(_metrics(app), "bff_rate_limit_refusals_total", limit="sign_up:client")
    spa.post("/api/sign-up", {"email": "rl-a@example.com", "password": PASSWORD})
    refused = spa.post("/api/sign-up", {"email": "rl-b@example.com", "password": PASSWORD})
    assert refused.status_code == 429
    after = _metrics(app)
    assert _sample(after, "bff_rate_limit_refusals_total", limit="sign_up:client") == before + 1
    assert "rl-b" not in after and "127.0.0.1" not in after


def test_metrics_are_off_in_production_by_default(make_app: Callable[..., Flask]) -> None:
    app = make_app(**_production())
    assert error_of(app.test_client().get("/metrics"), 404)["code"] == "not_found"
    assert app.test_client().get("/healthz").status_code == 200


def test_metrics_enabled_in_production(make_app: Callable[..., Flask]) -> None:
    app = make_app(**_production(BFF_METRICS_ENABLED="true"))
    assert "bff_http_requests_total" in _metrics(app)


def test_metrics_behind_a_key_in_production(make_app: Callable[..., Flask]) -> None:
    app = make_app(**_production(BFF_METRICS_KEY=METRICS_KEY))
    client = app.test_client()

    missing = client.get("/metrics")
    assert error_of(missing, 401)["code"] == "unauthorized"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "bff_steps_total" in _metrics(app, Authorization=f"Bearer {METRICS_KEY}")


def test_a_request_id_is_generated_and_a_client_cannot_choose_it(app: Flask) -> None:
    client = app.test_client()
    first = client.get("/healthz", headers={"X-Request-Id": "chosen-by-the-browser"})
    second = client.get("/healthz")

    assert REQUEST_ID.fullmatch(first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_the_request_id_of_a_trusted_proxy_is_kept(make_app: Callable[..., Flask]) -> None:
    app = make_app(BFF_TRUSTED_PROXIES="1")
    client = app.test_client()

    kept = client.get("/healthz", headers={"X-Request-Id": "lb-1234.abc:5"})
    assert kept.headers["X-Request-Id"] == "lb-1234.abc:5"
    for bad in ("has space", "x" * 129, 'quote"d', ""):
        replaced = client.get("/healthz", headers={"X-Request-Id": bad})
        assert REQUEST_ID.fullmatch(replaced.headers["X-Request-Id"]), bad


def test_the_request_id_is_in_every_log_line_and_the_journal(
    make_app: Callable[..., Flask], unique_email: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(BFF_TRUSTED_PROXIES="1")
    spa = SpaClient(app.test_client())
    caplog.set_level(logging.DEBUG)

    signed_up = spa.post(
        "/api/sign-up",
        {"email": unique_email, "password": PASSWORD},
        headers={"X-Request-Id": "req-sign-up"},
    )
    refused = spa.post("/api/sign-up/confirm", {"code": "000000"})

    assert signed_up.headers["X-Request-Id"] == "req-sign-up"
    refused_id = refused.headers["X-Request-Id"]
    during_sign_up = [r for r in caplog.records if r.request_id == "req-sign-up"]
    assert any(r.name == "bff.request" for r in during_sign_up)
    assert any(r.name == "bff.cognito.error_translation" for r in during_sign_up)
    cognito_refusal = [r for r in caplog.records if "ConfirmSignUp refused" in r.getMessage()]
    assert [r.request_id for r in cognito_refusal] == [refused_id]

    flow = app.extensions["bff"]["flows"].load(flow_of(signed_up)["id"])
    assert [(e.trigger, e.request_id) for e in flow.journal] == [
        ("signed_up", "req-sign-up"),
        ("code_rejected", refused_id),
    ]
    outside = logging.getLogger("bff.test").makeRecord("bff.test", 20, "f", 1, "x", None, None)
    assert outside.request_id == "-"


def test_json_log_lines_carry_the_request_id_and_stay_scrubbed() -> None:
    import json

    record = logging.getLogger("bff.test").makeRecord(
        "bff.test", logging.WARNING, __file__, 1, "refused password=%s", ("hunter2",), None
    )
    record.request_id = "abc"
    line = json.loads(JsonFormatter().format(record))

    assert line["request_id"] == "abc"
    assert line["level"] == "WARNING" and line["logger"] == "bff.test"
    assert "hunter2" not in line["message"] and "[redacted]" in line["message"]
