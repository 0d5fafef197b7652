"""The production shape, for real: two gunicorn instances (the shipped bff.gunicorn_conf, two
workers each) sharing one Redis and one local Cognito running in its own process. Every test
runs twice: on one redis-server, and on a six-node Redis Cluster (three primaries, a replica
each) of the module's own.

The shipped QA journeys run with requests alternating between the instances (so each step
may land on any of four worker processes), one step submitted concurrently to both
instances advances the flow once, rate limits are counted once across all workers, metrics
sum every worker of an instance, and the logs are JSON lines carrying the request id.
Slow: it starts six processes (marked ``slow``; ``pytest -m slow`` runs it alone).
"""

from __future__ import annotations

import itertools
import json
import secrets
import subprocess
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bff.local_outbox import OutboxReader
from bff_tools.local_clock import LocalClock
from bff_tools.qa import JourneyRunner, load_journey
from bff_tools.qa.runner import HttpClient
from tests.support.passwords import PASSWORD
from tests.support.production import (
    BIN,
    CognitoProcess,
    Instance,
    bff_environment,
    gunicorn,
    local_cognito_process,
)
from tests.support.redis_topologies import redis_cluster
from tests.support.totp import totp_code

pytestmark = pytest.mark.slow

JOURNEYS = sorted((Path(__file__).parents[1] / "qa" / "journeys").glob("*.yaml"))
ADMIN_KEY = "admin-" + secrets.token_urlsafe(24)
SIGN_UPS_PER_MINUTE = 4


@dataclass
class Deployment:
    a: Instance
    b: Instance
    cognito: CognitoProcess
    env: dict[str, str]
    workdir: Path

    @property
    def urls(self) -> list[str]:
        return [self.a.base_url, self.b.base_url]


@pytest.fixture(scope="module", params=["node", "cluster"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp(f"gunicorn-redis-{request.param}")
    with ExitStack() as stack:
        if request.param == "node":
            # A database of its own on the shared server (other tests flush database 0).
            store = str(request.getfixturevalue("redis_url")).rsplit("/", 1)[0] + "/7"
        else:
            # A cluster of its own: the session's is flushed by the store tests.
            store = stack.enter_context(redis_cluster(workdir / "cluster")).url
        yield from _deploy(store, workdir)


def _deploy(store: str, workdir: Path) -> Iterator[Deployment]:
    with local_cognito_process(workdir) as cognito:
        env = bff_environment(
            cognito,
            workdir,
            BFF_STORE_URL=store,
            BFF_ADMIN_API_KEY=ADMIN_KEY,
            BFF_LOG_FORMAT="json",
            BFF_TRUSTED_PROXIES="1",  # the rate-limit test plays several clients
            BFF_RATELIMIT_SIGN_UP=f"{SIGN_UPS_PER_MINUTE} per minute",
            # Each browser below is its own client address (X-Forwarded-For), but a journey
            # may sign in, answer codes or ask for codes more often than a person would.
            BFF_RATELIMIT_SIGN_IN="100 per minute",
            BFF_RATELIMIT_MFA="100 per minute",
            BFF_RATELIMIT_RESEND="100 per minute",
            BFF_THREADS="4",
        )
        with (
            gunicorn(env, workdir, "a", "--workers", "2") as a,
            gunicorn(env, workdir, "b", "--workers", "2") as b,
        ):
            yield Deployment(a, b, cognito, env, workdir)


def _client_address() -> str:
    """A documentation address (RFC 5737) of its own, as the trusted proxy forwards it."""
    return f"198.51.100.{secrets.randbelow(254) + 1}"


_BROWSER_NUMBERS = itertools.count(1)  # one address (RFC 5737) per browser, never shared


class AlternatingClient(HttpClient):
    """The QA runner's browser (one cookie jar, one client address), sending each request to
    the next instance."""

    def __init__(self, base_urls: list[str]) -> None:
        super().__init__(base_urls[0])
        self._next = itertools.cycle(base_urls)
        self.sent: Counter[str] = Counter()
        self.address = {"X-Forwarded-For": f"203.0.113.{next(_BROWSER_NUMBERS)}"}

    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        self.base_url = next(self._next)
        self.sent[self.base_url] += 1
        return super().send(method, path, body, {**self.address, **(headers or {})})


def _request(
    base_url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url + path,
        data=data,
        method=method,
        headers={"X-CSRF": "1", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
        headers_of_error = dict(error.headers)
        error.close()
        return error.code, answer, headers_of_error


def _metric_total(base_url: str, name: str) -> float:
    with urllib.request.urlopen(base_url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{")
    )


def test_both_instances_are_ready(deployment: Deployment) -> None:
    for url in deployment.urls:
        status, body, headers = _request(url, "GET", "/readyz")
        assert status == 200, body
        assert body["checks"] == {"store": "ok", "cognito": "ok"}
        assert headers["Server"].startswith("gunicorn")


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_shipped_journey_alternating_between_instances(
    deployment: Deployment, journey: Path
) -> None:
    lines: list[str] = []
    runner = JourneyRunner(
        load_journey(journey),
        base_url=deployment.a.base_url,
        cognito_endpoint=deployment.cognito.endpoint_url,
        echo=lines.append,
        environ=deployment.env,
    )
    client = AlternatingClient(deployment.urls)
    runner.http = client

    results = runner.run()

    assert all(result.passed for result in results), "\n".join(lines)
    assert client.sent[deployment.a.base_url] >= 2 and client.sent[deployment.b.base_url] >= 2


def test_one_step_submitted_to_both_instances_at_once_advances_once(
    deployment: Deployment,
) -> None:
    email = f"race-{secrets.token_hex(4)}@example.com"
    browser = AlternatingClient(deployment.urls)
    assert browser.send("POST", "/api/sign-up", {"email": email, "password": PASSWORD})[0] == 200
    code = OutboxReader(deployment.cognito.endpoint_url).latest_code(email)
    assert browser.send("POST", "/api/sign-up/confirm", {"code": code})[0] == 200
    status, answer = browser.send("POST", "/api/sign-in", {"username": email, "password": PASSWORD})
    assert (status, answer["flow"]["state"]) == (200, "MFA_SETUP"), answer
    flow_id, secret = answer["flow"]["id"], answer["flow"]["data"]["secret"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    # The journeys may have moved the local Cognito's clock: its TOTP steps follow it.
    code = totp_code(secret, clock=LocalClock(deployment.cognito.endpoint_url))

    submissions = 8
    start = threading.Barrier(submissions)
    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    lock = threading.Lock()

    def submit(base_url: str) -> None:
        start.wait()
        result = _request(
            base_url,
            "POST",
            "/api/sign-in/mfa-setup",
            {"code": code},
            {"Cookie": cookie, **browser.address},
        )
        with lock:
            answers.append(result)

    threads = [
        threading.Thread(target=submit, args=(url,))
        for url in itertools.islice(itertools.cycle(deployment.urls), submissions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    statuses = Counter(status for status, _, _ in answers)
    assert statuses[200] == 1, answers
    winner = next(answer for status, answer, _ in answers if status == 200)
    assert winner["flow"]["state"] == "AUTHENTICATED"
    refused = [answer["error"]["code"] for status, answer, _ in answers if status != 200]
    # Lost the compare-and-set, found the step taken, or came after the winner rotated the
    # session: refused either way, and Cognito was asked once. Or found the sign-in's MFA
    # budget (5) taken by the other submissions' reservations, each made before Cognito is
    # asked (bff.flows.budgets): 8 at once may exceed it.
    assert set(refused) <= {"conflict", "illegal_step", "no_flow", "too_many_requests"}, answers
    winner_id = next(headers["X-Request-Id"] for status, _, headers in answers if status == 200)

    status, journal, _ = _request(
        deployment.b.base_url,
        "GET",
        f"/api/admin/flows/{flow_id}/journal",
        headers={"X-Admin-Key": ADMIN_KEY},
    )
    assert status == 200, journal
    # Entered once (the BFF's own ConfirmDevice that follows stays in AUTHENTICATED).
    into_authenticated = [e for e in journal["journal"] if e["trigger"] == "authenticated"]
    assert len(into_authenticated) == 1
    assert into_authenticated[0]["request_id"] == winner_id


def test_rate_limits_are_counted_once_across_all_workers(deployment: Deployment) -> None:
    client_address = {"X-Forwarded-For": _client_address()}
    before = sum(_metric_total(url, "bff_rate_limit_refusals_total") for url in deployment.urls)
    statuses = []
    for attempt, url in zip(
        range(SIGN_UPS_PER_MINUTE + 2), itertools.cycle(deployment.urls), strict=False
    ):
        body = {"email": f"rl-{attempt}-{secrets.token_hex(3)}@example.com", "password": "x"}
        statuses.append(_request(url, "POST", "/api/sign-up", body, client_address)[0])

    assert 429 not in statuses[:SIGN_UPS_PER_MINUTE], statuses
    assert statuses[SIGN_UPS_PER_MINUTE:] == [429, 429]
    after = sum(_metric_total(url, "bff_rate_limit_refusals_total") for url in deployment.urls)
    assert after - before == 2


def test_metrics_sum_every_worker_of_an_instance(deployment: Deployment) -> None:
    url = deployment.a.base_url
    before = _metric_total(url, "bff_http_requests_total")
    for _ in range(20):  # a new connection each: spread over both workers
        assert _request(url, "GET", "/healthz")[0] == 200
    after = _metric_total(url, "bff_http_requests_total")

    assert after - before == 20 + 1  # the healthz requests and the first /metrics itself


def test_logs_are_json_lines_with_the_request_id(deployment: Deployment) -> None:
    status, _, headers = _request(
        deployment.a.base_url, "POST", "/api/sign-in", {"username": "nobody@example.com"}
    )
    assert status == 422
    request_id = headers["X-Request-Id"]
    lines = [json.loads(line) for line in deployment.a.log.read_text().splitlines() if line]

    mine = [line for line in lines if line["request_id"] == request_id]
    assert [line["logger"] for line in mine] == ["bff.request"]
    assert mine[0]["message"].startswith("POST /api/sign-in 422")
    assert "nobody@example.com" not in deployment.a.log.read_text()
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def test_an_instance_stops_gracefully(deployment: Deployment) -> None:
    assert deployment.b.stop() == 0
    messages = [json.loads(line)["message"] for line in deployment.b.log.read_text().splitlines()]
    assert "Handling signal: term" in messages
    assert any(message.startswith("Shutting down") for message in messages)


def test_several_workers_with_a_per_process_limiter_are_refused(tmp_path: Path) -> None:
    cognito = CognitoProcess("http://127.0.0.1:9", "eu-west-1", "eu-west-1_Refused", "client")
    env = bff_environment(cognito, tmp_path, BFF_STORE_URL=f"sqlite:///{tmp_path}/bff.db")
    result = subprocess.run(
        [
            str(BIN / "gunicorn"),
            "-c",
            "python:bff.gunicorn_conf",
            "--workers",
            "2",
            "--bind",
            "127.0.0.1:0",
            "bff:create_app()",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Refusing to start: 2 workers with per-process rate limits (memory://)" in (
        result.stdout + result.stderr
    )
