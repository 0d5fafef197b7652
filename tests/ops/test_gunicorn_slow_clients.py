"""The shipped gunicorn configuration (bff.gunicorn_conf: two workers of four threads, the
BffThreadWorker) against clients that try to hold it: a slowloris of 64 connections
trickling headers and bodies, a /readyz flood while Cognito is blackholed, random methods
minting metric labels, and the smaller HTTP findings (a doubled slash with a forged Host,
a chunked body over the limit, a request id chosen by a client).

Cognito is a local Cognito in its own process behind a FaultProxy (tests/support/faults.py)
the tests can blackhole; the store is a redis-server (several workers need shared rate
limits). The slow clients pace themselves on the server: a client sends its next byte each
time a short wait for an answer from the server passes without one. Slow: it starts
gunicorn (marked ``slow``).
"""

from __future__ import annotations

import json
import random
import selectors
import socket
import string
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from bff.ops import labels
from tests.support.faults import FaultProxy
from tests.support.production import Instance, bff_environment, gunicorn, local_cognito_process

pytestmark = pytest.mark.slow

#: The instance's read deadline (BFF_READ_TIMEOUT): short, so the slow clients are cut off
#: within the test.
READ_TIMEOUT = 2.0
WORKERS = 2
#: A safety net for any one answer: reaching it means the server did not answer at all.
PATIENCE = 20.0
SLOW_CLIENTS = 64
#: How long a slow client waits for an answer before it sends its next byte.
STEP = 0.25


@dataclass
class Deployment:
    instance: Instance
    cognito: FaultProxy

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.instance.base_url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)


@pytest.fixture(scope="module")
def deployment(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("gunicorn-slow-clients")
    store = redis_url.rsplit("/", 1)[0] + "/8"  # a database of its own on the shared server
    with local_cognito_process(workdir) as cognito:
        proxy = FaultProxy(cognito.endpoint_url)
        env = bff_environment(
            cognito,
            workdir,
            COGNITO_ENDPOINT_URL=proxy.url,
            BFF_STORE_URL=store,
            BFF_READ_TIMEOUT=str(READ_TIMEOUT),
            BFF_TRUSTED_PROXIES="1",
        )
        try:
            with gunicorn(env, workdir, "bff", "--workers", str(WORKERS)) as served:
                yield Deployment(served, proxy)
        finally:
            proxy.close()


def _get(deployment: Deployment, path: str, **headers: str) -> tuple[int, Any, Any]:
    request = urllib.request.Request(deployment.instance.base_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return response.status, _body(response), response.headers
    except urllib.error.HTTPError as error:
        return error.code, _body(error), error.headers


def _body(response: Any) -> Any:
    raw = response.read()
    return json.loads(raw) if response.headers.get_content_type() == "application/json" else raw


@dataclass
class SlowClient:
    """One connection sending ``data`` a byte at a time; ``reply`` is what it got back."""

    sock: socket.socket
    data: bytes
    sent: int = 0
    reply: bytes = b""
    ended: bool = False

    def step(self) -> None:
        if not self.ended and self.sent < len(self.data):
            try:
                self.sock.send(self.data[self.sent : self.sent + 1])
                self.sent += 1
            except OSError:
                self.ended = True

    def read(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        if chunk:
            self.reply += chunk
        else:
            self.ended = True
            self.sock.close()


SLOW_HEAD = b"GET /api/flow HTTP/1.1\r\nHost: bff\r\nX-Slow: " + b"a" * 2000 + b"\r\n\r\n"
SLOW_BODY = (
    b"POST /api/sign-in HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\n"
    b"X-CSRF: 1\r\nContent-Length: 2000\r\n\r\n"
)


def _open_slow_clients(deployment: Deployment) -> list[SlowClient]:
    clients = []
    for number in range(SLOW_CLIENTS):
        sock = socket.create_connection(deployment.address, timeout=PATIENCE)
        sock.setblocking(False)
        if number % 2:  # slow body: the head at once, then the body a byte at a time
            sock.sendall(SLOW_BODY)
            clients.append(SlowClient(sock, b'{"username": "' + b"a" * 1980))
        else:
            clients.append(SlowClient(sock, SLOW_HEAD))
    return clients


def _trickle_until_cut_off(clients: list[SlowClient], rounds: int) -> None:
    """Send each live client's next byte whenever ``STEP`` passes without any answer; read
    what the server sends; stop when every connection has ended or after ``rounds``."""
    with selectors.DefaultSelector() as selector:
        for client in clients:
            selector.register(client.sock, selectors.EVENT_READ, client)
        for _ in range(rounds):
            live = [client for client in clients if not client.ended]
            if not live:
                return
            events = selector.select(timeout=STEP)
            for key, _ in events:
                client = key.data
                client.read()
                if client.ended:
                    selector.unregister(key.fileobj)
            if not events:
                for client in live:
                    client.step()


def test_a_slowloris_of_64_connections_leaves_the_service_answering(
    deployment: Deployment,
) -> None:
    """32 connections trickle their headers and 32 their bodies, a byte each ``STEP``: the
    probes sent meanwhile are all answered, and every slow connection is cut off at its
    read deadline with 408 ``request_timeout`` (gthread gave each a thread for as long as
    it trickled: 8 such connections stopped the instance)."""
    clients = _open_slow_clients(deployment)
    with ThreadPoolExecutor(max_workers=4) as pool:
        probes = [
            pool.submit(_get, deployment, path)
            for path in ("/healthz", "/api/flow", "/metrics", "/healthz") * 4
        ]
        # The slow clients keep trickling while the probes run, and until they are cut off.
        _trickle_until_cut_off(clients, rounds=int(PATIENCE / STEP))
        answers = [probe.result(timeout=PATIENCE) for probe in probes]

    assert [status for status, _, _ in answers] == [200] * len(answers)
    assert all(client.ended for client in clients), "a slow client was never cut off"
    for client in clients:
        assert client.sent < len(client.data)  # cut off long before it finished
        head, _, body = client.reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), client.reply[:200]
        assert json.loads(body)["error"]["code"] == "request_timeout"
    assert _get(deployment, "/healthz")[0] == 200


def test_requests_sent_whole_pipelined_or_after_100_continue_are_served(
    deployment: Deployment,
) -> None:
    """The event loop's buffering keeps HTTP/1.1 intact: two requests in one write get two
    answers on the kept-alive connection, and a client that waits for ``100 Continue``
    gets it before it sends its body."""
    with socket.create_connection(deployment.address, timeout=PATIENCE) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: bff\r\n\r\n"
            b"GET /healthz HTTP/1.1\r\nHost: bff\r\nConnection: close\r\n\r\n"
        )
        replies = b"".join(iter(lambda: sock.recv(65536), b""))
    assert replies.count(b"HTTP/1.1 200 OK") == 2, replies

    with socket.create_connection(deployment.address, timeout=PATIENCE) as sock:
        sock.sendall(
            b"POST /api/sign-in HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\n"
            b"X-CSRF: 1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
            b"Connection: close\r\n\r\n"
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"{}")
        reply = b"".join(iter(lambda: sock.recv(65536), b""))
    assert reply.startswith(b"HTTP/1.1 422 "), reply[:300]  # no second 100 Continue


def test_a_readyz_flood_with_cognito_blackholed_probes_once_per_worker(
    deployment: Deployment,
) -> None:
    """16 anonymous /readyz clients while Cognito answers nothing: each worker sends one
    probe at a time (the others answer at once: not checked yet), so /healthz and the API
    still answer. (Each used to wait for its own probe, holding every thread.) No other
    test here asks /readyz, so no worker has an answer kept from before."""
    deployment.cognito.mode = "blackhole"
    try:
        before = deployment.cognito.actions.count("GetUser")
        with ThreadPoolExecutor(max_workers=16) as pool:
            flood = [pool.submit(_get, deployment, "/readyz") for _ in range(16)]
            healthz = _get(deployment, "/healthz")
            flow = _get(deployment, "/api/flow")
            answers = [future.result(timeout=PATIENCE) for future in flood]
        probes = deployment.cognito.actions.count("GetUser") - before
    finally:
        deployment.cognito.mode = "pass"

    assert healthz[0] == 200
    assert flow[0] in (200, 401, 404), flow
    for status, body, headers in answers:
        assert status == 503, body
        assert body["error"]["code"] == "not_ready" and headers["Retry-After"]
        assert "cognito" in body["error"]["details"]["failing"]
    assert 1 <= probes <= WORKERS, probes


def _label_values(text: str, name: str, label: str) -> set[str]:
    values = set()
    for line in text.splitlines():
        if line.startswith(name + "{"):
            fields = dict(
                part.split("=", 1) for part in line.split("{", 1)[1].split("}")[0].split(",")
            )
            values.add(fields[label].strip('"'))
    return values


def test_random_methods_add_no_metric_series_in_multiprocess_mode(
    deployment: Deployment,
) -> None:
    """Under gunicorn each worker writes its series to files (prometheus-client's
    multiprocess mode): 300 invented methods are all ``other``, in every worker's file."""
    rng = random.Random(10)
    for _ in range(300):
        method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 12)))
        request = urllib.request.Request(deployment.instance.base_url + "/api/flow", method=method)
        try:
            urllib.request.urlopen(request, timeout=PATIENCE).close()
        except urllib.error.HTTPError as error:
            error.close()
    with urllib.request.urlopen(deployment.instance.base_url + "/metrics") as response:
        text = response.read().decode()
    methods = _label_values(text, "bff_http_requests_total", "method")
    assert "other" in methods
    assert methods <= labels.METHODS | {labels.OTHER}, methods


def _exchange(deployment: Deployment, request: bytes) -> bytes:
    with socket.create_connection(deployment.address, timeout=PATIENCE) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_doubled_slash_with_a_forged_host_is_not_redirected(deployment: Deployment) -> None:
    reply = _exchange(
        deployment, b"GET /api//flow HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 404 "), reply[:300]
    assert b"evil.example" not in reply and b"\r\nlocation:" not in reply.lower()


def test_a_chunked_body_over_the_limit_is_413(deployment: Deployment) -> None:
    body = b'{"username": "' + b"a" * (300 * 1024) + b'"}'
    pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    reply = _exchange(
        deployment,
        b"POST /api/sign-in HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\n"
        b"X-CSRF: 1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n",
    )
    head, _, answer = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), reply[:300]
    assert json.loads(answer)["error"]["code"] == "payload_too_large"


def test_a_client_cannot_choose_its_request_id(deployment: Deployment) -> None:
    """Proxies are trusted here, and this client reached gunicorn directly."""
    _, _, headers = _get(deployment, "/healthz", **{"X-Request-Id": "chosen-by-me"})
    assert headers["X-Request-Id"] != "chosen-by-me"
    assert len(headers["X-Request-Id"]) == 32
