"""A Redis primary killed under load: what eight browsers see through gunicorn.

Two topologies of the test's own: a six-node Redis Cluster (``cluster-node-timeout`` 1 s) and
a primary with one replica watched by three sentinels (``down-after-milliseconds`` 1 s).
Eight browsers run sign-up → confirm → sign-in → MFA set-up → ``/api/me`` journeys against
one gunicorn instance (two workers); once each has finished a journey, one primary gets
``kill -9`` (no shutdown, no goodbye to its replica) and its replica takes over. A browser
that gets a 503 sends the same request again at once (the worst client: no pause); one that
gets a refusal after a 503 (the first try did happen) starts a new journey.

What must hold: every failed request is a 503 ``store_unavailable`` with ``Retry-After``
(never a 500), no flow's journal holds a move between two states twice, every session a
browser was given still answers afterwards, and the BFF serves again once the topology has
failed over. The failover's length and the window of 503s are printed (``-s`` shows them).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bff.local_outbox import OutboxReader
from bff_tools.local_clock import LocalClock
from tests.support.passwords import PASSWORD
from tests.support.production import (
    CognitoProcess,
    Instance,
    bff_environment,
    gunicorn,
    local_cognito_process,
)
from tests.support.redis_topologies import (
    LocalCluster,
    SentinelSet,
    Server,
    redis_cluster,
    redis_sentinels,
    wait_until,
)
from tests.support.totp import totp_code

pytestmark = pytest.mark.slow

BROWSERS = 8
ADMIN_KEY = "admin-" + secrets.token_urlsafe(24)
_ADDRESSES = itertools.count(1)


@dataclass(frozen=True)
class Answer:
    started: float
    ended: float
    path: str
    status: int
    body: dict[str, Any]
    retry_after: str | None


def _send(
    base_url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"X-CSRF": "1", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}"), _headers(response)
    except urllib.error.HTTPError as error:
        raw = error.read()
        headers_of_error = _headers(error)
        error.close()
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {"raw": raw.decode(errors="replace")[:200]}
        return error.code, answer, headers_of_error


def _headers(response: Any) -> dict[str, str]:
    """The headers, with every Set-Cookie kept (one a line)."""
    found = dict(response.headers)
    found["Set-Cookie"] = "\n".join(response.headers.get_all("Set-Cookie") or [])
    return found


class Abandoned(Exception):
    """A retried step was refused: its first try had happened. The journey starts over."""


@dataclass
class Browser:
    """One user at a time: its own address (behind the trusted proxy) and cookie."""

    base_url: str
    cognito: CognitoProcess
    answers: list[Answer] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)  # cookies of acknowledged sessions
    flows: set[str] = field(default_factory=set)
    journeys: list[float] = field(default_factory=list)  # when each journey finished
    abandoned: int = 0
    address: str = field(default_factory=lambda: f"203.0.113.{next(_ADDRESSES)}")
    cookie: str = ""

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Send until the answer is not a 503; a refusal after a 503 abandons the journey."""
        retried = False
        while True:
            headers = {"X-Forwarded-For": self.address}
            if self.cookie:
                headers["Cookie"] = self.cookie
            started = time.monotonic()
            status, answer, response_headers = _send(self.base_url, method, path, body, headers)
            self.answers.append(
                Answer(
                    started,
                    time.monotonic(),
                    path,
                    status,
                    answer,
                    response_headers.get("Retry-After"),
                )
            )
            for cookie in response_headers["Set-Cookie"].splitlines():
                if cookie.startswith("bff_session="):
                    self.cookie = cookie.split(";", 1)[0]
            if status == 503:
                retried = True
                continue
            if status != 200:
                if retried:
                    raise Abandoned(path)
                raise AssertionError(f"{method} {path}: {status} {answer}")
            return answer

    def journey(self) -> None:
        self.cookie = ""
        email = f"fo-{secrets.token_hex(6)}@example.com"
        answer = self.request("POST", "/api/sign-up", {"email": email, "password": PASSWORD})
        self.flows.add(answer["flow"]["id"])
        code = OutboxReader(self.cognito.endpoint_url).latest_code(email)
        self.request("POST", "/api/sign-up/confirm", {"code": code})
        answer = self.request("POST", "/api/sign-in", {"username": email, "password": PASSWORD})
        self.flows.add(answer["flow"]["id"])
        secret = answer["flow"]["data"]["secret"]
        code = totp_code(secret, clock=LocalClock(self.cognito.endpoint_url))
        answer = self.request("POST", "/api/sign-in/mfa-setup", {"code": code})
        assert answer["flow"]["state"] == "AUTHENTICATED", answer
        self.sessions.append(self.cookie)  # acknowledged: the browser holds it now
        assert self.request("GET", "/api/me")["user"]["email"] == email
        self.journeys.append(time.monotonic())

    def run(self, stop: threading.Event, failures: list[BaseException]) -> None:
        try:
            while not stop.is_set():
                try:
                    self.journey()
                except Abandoned:
                    self.abandoned += 1
        except BaseException as exc:  # reported by the test, not lost in a thread
            failures.append(exc)


@dataclass
class Topology:
    url: str
    primary_to_kill: Callable[[], Server]
    kill: Callable[[Server], None]
    failed_over: Callable[[], bool]


@contextmanager
def cluster_topology(folder: Path) -> Iterator[Topology]:
    with redis_cluster(folder) as cluster:
        yield Topology(
            cluster.url,
            lambda: cluster.primaries()[0],
            cluster.kill,
            lambda: _cluster_failed_over(cluster),
        )


def _cluster_failed_over(cluster: LocalCluster) -> bool:
    # Three primaries again (a replica promoted) and every slot served.
    return len(cluster.primaries()) == 3 and all(
        node.cluster_info().get("cluster_state") == "ok" for node in cluster.live()
    )


@contextmanager
def sentinel_topology(folder: Path) -> Iterator[Topology]:
    with redis_sentinels(folder) as found:
        yield Topology(
            found.url,
            lambda: found.primary,
            lambda server: server.kill(),
            lambda: _sentinel_failed_over(found),
        )


def _sentinel_failed_over(found: SentinelSet) -> bool:
    return (
        found.current_primary_port() == found.replica.port
        and found.replica.info("replication").get("role") == "master"
    )


TOPOLOGIES = {"cluster": cluster_topology, "sentinel": sentinel_topology}


@pytest.mark.parametrize("mode", sorted(TOPOLOGIES))
def test_a_primary_killed_under_load(mode: str, tmp_path: Path) -> None:
    with (
        TOPOLOGIES[mode](tmp_path / mode) as topology,
        local_cognito_process(tmp_path) as cognito,
    ):
        env = bff_environment(
            cognito,
            tmp_path,
            BFF_STORE_URL=topology.url,
            BFF_STORE_TIMEOUT_SECONDS="1",
            BFF_ADMIN_API_KEY=ADMIN_KEY,
            BFF_TRUSTED_PROXIES="1",
            BFF_RATELIMIT_SIGN_IN="1000 per minute",
            BFF_RATELIMIT_MFA="1000 per minute",
            BFF_RATELIMIT_SIGN_UP="1000 per minute",
            BFF_RATELIMIT_RESEND="1000 per minute",
            BFF_THREADS="4",
        )
        with gunicorn(env, tmp_path, "bff", "--workers", "2") as instance:
            _kill_a_primary_under_load(mode, topology, cognito, instance)


def _kill_a_primary_under_load(
    mode: str, topology: Topology, cognito: CognitoProcess, instance: Instance
) -> None:
    browsers = [Browser(instance.base_url, cognito) for _ in range(BROWSERS)]
    stop = threading.Event()
    failures: list[BaseException] = []
    threads = [threading.Thread(target=b.run, args=(stop, failures)) for b in browsers]
    for thread in threads:
        thread.start()
    try:
        wait_until(
            lambda: failures or all(b.journeys for b in browsers), 120, "a journey per browser"
        )
        victim = topology.primary_to_kill()
        killed_at = time.monotonic()
        topology.kill(victim)
        wait_until(lambda: failures or topology.failed_over(), 60, "the failover")
        failed_over_at = time.monotonic()
        # Served again: every browser finishes a journey begun after the failover.
        wait_until(
            lambda: failures or all(any(t > failed_over_at for t in b.journeys) for b in browsers),
            120,
            "a journey per browser after the failover",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not failures, failures

    answers = [a for b in browsers for a in b.answers]
    statuses = Counter(a.status for a in answers)
    unavailable = [a for a in answers if a.status == 503]
    assert set(statuses) <= {200, 503, 400, 401, 404, 409, 422, 429}, statuses
    # A step's failure budget is reserved before Cognito is asked and given back after; a
    # give-back the failing store never received stays counted until its window ends, so a
    # browser retrying one sign-in through the outage may meet its budget: a 429 with a wait.
    for answer in (a for a in answers if a.status == 429):
        assert answer.body["error"]["code"] == "too_many_requests", answer
        assert answer.retry_after and int(answer.retry_after) >= 1, answer
    for answer in unavailable:
        assert answer.body["error"]["code"] == "store_unavailable", answer
        assert answer.retry_after and int(answer.retry_after) >= 1, answer
    assert not [a for a in answers if a.status >= 500 and a.status != 503]

    # No flow advanced twice: each step is in its flow's journal once.
    for flow_id in {f for b in browsers for f in b.flows}:
        status, journal, _ = _send(
            instance.base_url,
            "GET",
            f"/api/admin/flows/{flow_id}/journal",
            headers={"X-Admin-Key": ADMIN_KEY},
        )
        if status == 404:
            continue  # finished flows are deleted
        assert status == 200, journal
        # A refused retry may journal a step that stayed put (a used code...): only the
        # steps that moved the flow must be there once each.
        advances = Counter(
            (entry["from"], entry["to"])
            for entry in journal["journal"]
            if entry["from"] != entry["to"]
        )
        assert all(n == 1 for n in advances.values()), (flow_id, journal)

    # No acknowledged session lost: every cookie a browser was given still signs it in.
    sessions = [cookie for b in browsers for cookie in b.sessions]
    lost = []
    for cookie in sessions:
        status, answer, _ = _send(instance.base_url, "GET", "/api/me", headers={"Cookie": cookie})
        if status != 200:
            lost.append((status, answer))
    assert not lost, lost

    last_503 = max((a.ended for a in unavailable), default=killed_at)
    print(
        f"\n{mode}: {len(answers)} requests, {statuses[503]} answered 503, "
        f"{sum(b.abandoned for b in browsers)} journeys abandoned, {len(sessions)} sessions kept; "
        f"failover took {failed_over_at - killed_at:.2f} s, 503s for "
        f"{last_503 - killed_at:.2f} s after the kill"
    )
    # The BFF follows the new primary at once: no 503 long after the failover finished.
    assert last_503 - failed_over_at < 5, (last_503 - failed_over_at, statuses)
