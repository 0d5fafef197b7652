"""The sign-in delay is atomic: each try reserves its failure before Cognito is called, so a
burst from many addresses gets no more guesses through than the free ones and one more, and
a sustained attack about one guess per ``BFF_SIGN_IN_DELAY_CAP_SECONDS``.

A real server (werkzeug, a thread per connection, as `bff serve`) takes the burst from 40
threads, each with its own client address (``X-Forwarded-For`` behind one trusted proxy);
the guesses are counted where they arrive, at a loopback proxy in front of the local
Cognito, never by timing.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from local_cognito import LocalCognitoInfo
from tests.support.clock import FakeClock
from tests.support.faults import FaultProxy

BURST = 40
FREE = 5  # BFF_SIGN_IN_FREE_FAILURES's default


@pytest.fixture
def proxy(local_cognito: LocalCognitoInfo) -> Iterator[FaultProxy]:
    fault = FaultProxy(local_cognito.endpoint_url)
    yield fault
    fault.close()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _guess(base: str, username: str, address: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{base}/api/sign-in",
        data=json.dumps({"username": username, "password": "Wrong-Passw0rd!"}).encode(),
        headers={"Content-Type": "application/json", "X-CSRF": "1", "X-Forwarded-For": address},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["error"]["code"]


def _burst(base: str, username: str) -> tuple[list[tuple[int, str]], float]:
    """``BURST`` wrong passwords at once, each from its own address; the answers and how
    long the burst took from its start to its last answer."""
    start = threading.Barrier(BURST)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        start.wait()
        answer = _guess(base, username, f"198.51.100.{i + 1}")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(BURST)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers, time.monotonic() - began


def _app(make_app: Any, proxy: FaultProxy, **extra: Any) -> Flask:
    app: Flask = make_app(
        COGNITO_ENDPOINT_URL=proxy.url,
        BFF_RATELIMIT_ENABLED="true",
        BFF_TRUSTED_PROXIES="1",
        **extra,
    )
    return app


def _check(answers: list[tuple[int, str]], reached: int, most: int) -> None:
    assert len(answers) == BURST
    assert FREE <= reached <= most, (reached, most)
    assert answers.count((401, "not_authorized")) == reached
    assert answers.count((429, "sign_in_delayed")) == BURST - reached


def test_a_burst_in_process_counters_lets_the_free_guesses_and_one_more_through(
    make_app: Any, proxy: FaultProxy, unique_email: str
) -> None:
    # The counters' clock stands still (the store's clock, frozen): no delay ends during
    # the burst, however slow the machine.
    app = _app(make_app, proxy, clock=FakeClock())
    with serving(app) as base:
        answers, _ = _burst(base, unique_email)
    reached = proxy.actions.count("InitiateAuth")
    _check(answers, reached, FREE)


def test_a_burst_with_redis_counters_lets_the_free_guesses_and_one_more_through(
    make_app: Any, proxy: FaultProxy, redis_url: str, unique_email: str
) -> None:
    app = _app(make_app, proxy, store_url=redis_url)
    with serving(app) as base:
        answers, seconds = _burst(base, unique_email)
    reached = proxy.actions.count("InitiateAuth")
    # Redis's clock runs: a burst slower than the first delays (1 s, then 2 s more, ...)
    # may see one of them end, and one more guess each time. On a quiet machine it is FREE.
    most = FREE + int(math.log2(seconds + 1))
    _check(answers, reached, most)


def test_sustained_guesses_get_about_one_a_minute(
    make_app: Any, proxy: FaultProxy, unique_email: str
) -> None:
    clock = FakeClock()
    app = _app(make_app, proxy, clock=clock)
    client = app.test_client()
    per_minute: list[int] = []
    for minute in range(10):
        before = proxy.actions.count("InitiateAuth")
        for second in range(0, 60, 5):  # a guess every 5 s, from rotating addresses
            client.post(
                "/api/sign-in",
                json={"username": unique_email, "password": "Wrong-Passw0rd!"},
                headers={"X-CSRF": "1", "X-Forwarded-For": f"198.51.{minute}.{second}"},
            )
            clock.advance(5)
        per_minute.append(proxy.actions.count("InitiateAuth") - before)
    # The free guesses and the doubling delays (1, 2, 4 ... 32 s) in the first minutes,
    # then the cap: one guess a minute.
    assert per_minute[-5:] == [1] * 5, per_minute
    assert sum(per_minute) <= FREE + 6 + 9, per_minute
