"""Operations endpoints and request ids on the real app against the local Cognito:
/healthz, /readyz (store and Cognito, cached, 503 naming the failing part), /metrics
(counts steps, Cognito calls, store operations and rate-limit refusals; never personal
data; off or keyed in production) and X-Request-Id (in the response, the logs and the
flow's journal)."""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import string
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_helpers import PASSWORD, SpaClient, error_of, flow_of
from cryptography.fernet import Fernet
from flask import Flask

from bff.cognito.gateway import CognitoGateway
from bff.ops import labels, readiness
from bff.ops.logs import JsonFormatter, TextFormatter

REQUEST_ID = re.compile(r"[0-9a-f]{32}")
METRICS_KEY = "metrics-" + "m" * 32
#: A safety net for waits on other threads: reaching it means the thing never happened.
PATIENCE = 30.0


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
    """Neither Cognito nor the store is reachable: /healthz asks neither."""
    app = make_app(
        COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{_closed_port()}",
        store_url=f"redis://127.0.0.1:{_closed_port()}/0",
    )
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

    monkeypatch.setattr(readiness, "CACHE_SECONDS", 0.0)
    assert client.get("/readyz").status_code == 200
    assert probes == ["probe", "probe"]


class _HeldProbe(CognitoGateway):
    """A gateway whose probe waits until the test lets it go (an unanswering Cognito),
    counting the probes made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.probes = 0

    def probe(self) -> str | None:
        self.probes += 1
        self.entered.set()
        assert self.release.wait(PATIENCE), "the test never released the probe"
        return super().probe()


def test_readyz_probes_one_at_a_time_and_never_waits_for_the_probe(
    make_app: Callable[..., Flask], local_cognito: Any
) -> None:
    """While one /readyz probes a Cognito that does not answer, 16 more /readyz answer at
    once (not ready: nothing checked yet) without probing, and /healthz and the API
    answer; once the probe is back its answer is kept for the next ones."""
    gateway = _HeldProbe.from_settings(local_cognito.cognito_settings())
    app = make_app(gateway=gateway)
    with ThreadPoolExecutor(max_workers=17) as pool:
        first = pool.submit(app.test_client().get, "/readyz")
        assert gateway.entered.wait(PATIENCE)
        others = [pool.submit(app.test_client().get, "/readyz") for _ in range(16)]
        answers = [future.result(timeout=PATIENCE) for future in others]
        healthz = app.test_client().get("/healthz")
        flow = app.test_client().get("/api/flow")
        assert gateway.probes == 1
        gateway.release.set()
        assert first.result(timeout=PATIENCE).status_code == 200

    for answer in answers:
        error = error_of(answer, 503)
        assert error["details"]["checks"]["cognito"] == readiness.NOT_CHECKED
        assert answer.headers["Retry-After"]
    assert healthz.status_code == 200
    assert flow.status_code in (200, 401, 404), flow.get_json()
    assert app.test_client().get("/readyz").status_code == 200
    assert gateway.probes == 1


def test_the_cognito_probe_has_a_short_deadline_of_its_own(
    make_app: Callable[..., Flask], local_cognito: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe past ``PROBE_SECONDS`` is "unreachable", whatever the request's deadline."""
    from bff.cognito import resilience

    seen: list[float | None] = []

    class DeadlineReader(CognitoGateway):
        def probe(self) -> str | None:
            seen.append(resilience.remaining())
            return super().probe()

    app = make_app(gateway=DeadlineReader.from_settings(local_cognito.cognito_settings()))
    assert app.test_client().get("/readyz").status_code == 200
    (left,) = seen
    assert left is not None and 0 < left <= readiness.PROBE_SECONDS
    monkeypatch.setattr(readiness, "PROBE_SECONDS", 0.0)
    monkeypatch.setattr(readiness, "CACHE_SECONDS", 0.0)
    error = error_of(app.test_client().get("/readyz"), 503)
    assert error["details"]["failing"] == ["cognito"]
    assert "unreachable" in error["details"]["checks"]["cognito"]


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


def _label_values(text: str, name: str, label: str) -> set[str]:
    values = set()
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            values.add(found[label])
    return values


def _series(text: str, name: str) -> set[str]:
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line.startswith(name + "{")}


def test_random_methods_do_not_mint_metric_labels(app: Flask) -> None:
    """Any token is a valid HTTP method: each one a client invents is counted as
    ``other``, so 1,000 requests with 500 methods add a few series, not 1,000."""
    client = app.test_client()
    before = _series(_metrics(app), "bff_http_requests_total")
    rng = random.Random(22)
    for _ in range(500):
        name = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 12)))
        client.open("/api/flow", method=name)
        client.open("/api/sign-in", method=name, headers={"X-CSRF": "1"})
    text = _metrics(app)
    methods = _label_values(text, "bff_http_requests_total", "method")
    assert "other" in methods
    assert methods <= labels.METHODS | {labels.OTHER}
    # 405: no rule matched this method, so the route is "unmatched" too.
    assert _sample(text, "bff_http_requests_total", route="unmatched", method="other") >= 1000
    added = _series(text, "bff_http_requests_total") - before
    assert len(added) <= 2, added  # (unmatched, other, 405), and the /metrics GET itself


def test_label_values_come_from_known_sets_only() -> None:
    assert labels.method("GET") == "GET"
    assert labels.method("G\x1bET") == labels.method("get") == labels.OTHER
    assert labels.status(404) == "404" and labels.status(999) == labels.OTHER
    assert labels.step_outcome("MFA_SETUP") == "MFA_SETUP"
    assert labels.step_outcome("code_mismatch") == "code_mismatch"
    assert labels.step_outcome("csrf_required") == "csrf_required"
    assert labels.step_outcome("payload_too_large") == "payload_too_large"
    assert labels.step_outcome("429") == "429"
    assert labels.step_outcome("someone@example.com") == labels.OTHER
    assert labels.step_outcome("made_up_code") == labels.OTHER
    assert labels.cognito_outcome(None) == "ok"
    assert labels.cognito_outcome("CodeMismatchException") == "CodeMismatchException"
    assert labels.cognito_outcome("EndpointConnectionError") == "EndpointConnectionError"
    assert labels.cognito_outcome("RequestDeadlineExceeded") == "RequestDeadlineExceeded"
    assert labels.cognito_outcome("NoSuchThingException") == labels.OTHER


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


def test_with_proxies_trusted_a_client_still_cannot_choose_the_request_id(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """Trusting a proxy does not prove that a request came through it: a client that
    reaches the BFF directly sends the same header. Its value is logged as the upstream id
    of the request's line, never taken as the id its lines and journal entries carry."""
    app = make_app(BFF_TRUSTED_PROXIES="1")
    client = app.test_client()
    caplog.set_level(logging.DEBUG, logger="bff.request")

    chosen = client.get("/healthz", headers={"X-Request-Id": "lb-1234.abc:5"})
    ours = chosen.headers["X-Request-Id"]
    assert REQUEST_ID.fullmatch(ours)
    (line,) = [r for r in caplog.records if r.name == "bff.request"]
    assert line.request_id == ours
    assert line.upstream_id == "lb-1234.abc:5"
    assert TextFormatter().format(line).endswith(" upstream_id=lb-1234.abc:5")
    assert json.loads(JsonFormatter().format(line))["upstream_id"] == "lb-1234.abc:5"
    caplog.clear()
    for bad in ("has space", "x" * 129, 'quote"d', ""):
        replaced = client.get("/healthz", headers={"X-Request-Id": bad})
        assert REQUEST_ID.fullmatch(replaced.headers["X-Request-Id"]), bad
    assert not any(hasattr(r, "upstream_id") for r in caplog.records)


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

    sign_up_id = signed_up.headers["X-Request-Id"]
    assert REQUEST_ID.fullmatch(sign_up_id)
    refused_id = refused.headers["X-Request-Id"]
    during_sign_up = [r for r in caplog.records if r.request_id == sign_up_id]
    assert any(r.name == "bff.request" for r in during_sign_up)
    assert any(r.name == "bff.cognito.error_translation" for r in during_sign_up)
    cognito_refusal = [r for r in caplog.records if "ConfirmSignUp refused" in r.getMessage()]
    assert [r.request_id for r in cognito_refusal] == [refused_id]

    flow = app.extensions["bff"]["flows"].load(flow_of(signed_up)["id"])
    assert [(e.trigger, e.request_id) for e in flow.journal] == [
        ("signed_up", sign_up_id),
        ("code_rejected", refused_id),
    ]
    outside = logging.getLogger("bff.test").makeRecord("bff.test", 20, "f", 1, "x", None, None)
    assert outside.request_id == "-"


def test_text_log_lines_never_carry_control_characters() -> None:
    """An ESC sequence in a request's method would recolour a terminal; a CR or LF would
    forge a line: the text format writes them as escapes (a traceback keeps its lines)."""
    record = logging.getLogger("bff.request").makeRecord(
        "bff.request", logging.INFO, __file__, 1, "%s %s", ("G\x1b[31mET\r\nX", "/x\x9b"), None
    )
    record.request_id = "abc"
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = TextFormatter().format(record)

    first, *traceback = line.split("\n")
    assert first.endswith(r"G\x1b[31mET\x0d\x0aX /x\x9b")
    assert not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in first)
    assert traceback[0] == "Traceback (most recent call last):"


def test_a_doubled_slash_never_redirects_to_the_host_header(app: Flask) -> None:
    """werkzeug redirected /api//flow to http://<Host>/api/flow (308): with a forged Host,
    to another site. A doubled slash inside the path is simply not found (leading slashes
    werkzeug folds into one when matching, without a redirect)."""
    client = app.test_client()
    for path in ("/api//flow", "//api/flow", "/api/flow//", "//evil.example/api/flow"):
        # As a server hands it over (the test client would read //host/ as a host).
        response = client.get(
            "/", headers={"Host": "evil.example"}, environ_overrides={"PATH_INFO": path}
        )
        assert response.status_code < 300 or response.status_code >= 400, path
        assert "Location" not in response.headers, path
        if not path.startswith("//"):
            assert response.status_code == 404, path


def test_json_log_lines_carry_the_request_id_and_stay_scrubbed() -> None:
    record = logging.getLogger("bff.test").makeRecord(
        "bff.test", logging.WARNING, __file__, 1, "refused password=%s", ("hunter2",), None
    )
    record.request_id = "abc"
    line = json.loads(JsonFormatter().format(record))

    assert line["request_id"] == "abc"
    assert line["level"] == "WARNING" and line["logger"] == "bff.test"
    assert "hunter2" not in line["message"] and "[redacted]" in line["message"]
