"""gunicorn's own error answers, for real: the shipped config (bff.gunicorn_conf) with its
worker class (bff.gunicorn_worker.BffThreadWorker), one worker, the SQLite store and the
local Cognito in its own process, sent malformed requests over a raw socket.

A request gunicorn cannot parse, or over its limits (``limit_request_line`` 4094,
``limit_request_fields`` 100, ``limit_request_field_size`` 8190), never reaches the app:
gunicorn answers with the status it chooses (400, 414, 431), and the body is the one error
shape with the code and fixed message of bff.server_errors, never a byte of the request.
The rarer statuses (500, 403) are checked on the worker's ``handle_error`` itself over a
socket pair. Slow: it starts gunicorn and a local Cognito (marked ``slow``).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from gunicorn.http.errors import ForbiddenProxyRequest

from bff.gunicorn_worker import BffThreadWorker
from bff.server_errors import SERVER_ERRORS
from tests.support.production import (
    Instance,
    bff_environment,
    gunicorn,
    local_cognito_process,
)

pytestmark = pytest.mark.slow

PATIENCE = 30.0
#: Attacker-controlled bytes that must never come back: markup and a secret-looking token.
SECRET = "sk_live_" + secrets.token_hex(12)
PAYLOAD = f"<script>alert('{SECRET}')</script>"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    workdir = tmp_path_factory.mktemp("gunicorn-errors")
    with local_cognito_process(workdir) as cognito:
        env = bff_environment(
            cognito,
            workdir,
            BFF_STORE_URL=f"sqlite:///{workdir}/bff.db",
            WEB_CONCURRENCY="1",
        )
        with gunicorn(env, workdir, "bff") as served:
            yield served


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _exchange(instance: Instance, request: bytes) -> Reply:
    """Send ``request`` and read until gunicorn closes the connection."""
    host, port = instance.base_url.removeprefix("http://").rsplit(":", 1)
    chunks: list[bytes] = []
    with socket.create_connection((host, int(port)), timeout=PATIENCE) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before reading it all: the answer is still there
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:  # closed with part of the request unread
                break
            except TimeoutError:
                pytest.fail("gunicorn never closed the connection")
            if not chunk:
                break
            chunks.append(chunk)
    return _parse(b"".join(chunks))


def _parse(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(status_line.split(" ", 2)[1]), headers, body, raw)


def _headers(count: int) -> bytes:
    return b"".join(b"X-Filler-%d: 1\r\n" % number for number in range(count))


MALFORMED = {
    "bad request line": (f"GET /{PAYLOAD}\r\n\r\n".encode(), 400, "bad_request"),
    "invalid method": (
        f"G{PAYLOAD}T / HTTP/1.1\r\nHost: bff\r\n\r\n".encode(),
        400,
        "bad_request",
    ),
    "invalid HTTP version": (b"GET / HTTP/9.9\r\nHost: bff\r\n\r\n", 400, "bad_request"),
    "malformed HTTP version": (
        f"GET / HTTP/1.{PAYLOAD}\r\nHost: bff\r\n\r\n".encode(),
        400,
        "bad_request",
    ),
    "invalid header name": (
        f"GET / HTTP/1.1\r\nHost: bff\r\nX-{PAYLOAD}: 1\r\n\r\n".encode(),
        400,
        "bad_request",
    ),
    "request line over 4094 bytes": (
        f"GET /{PAYLOAD}{'a' * 5000} HTTP/1.1\r\nHost: bff\r\n\r\n".encode(),
        414,
        "uri_too_long",
    ),
    "more than 100 header fields": (
        b"GET / HTTP/1.1\r\nHost: bff\r\n" + _headers(120) + b"\r\n",
        431,
        "header_fields_too_large",
    ),
    "a header field over 8190 bytes": (
        f"GET / HTTP/1.1\r\nHost: bff\r\nX-Big: {PAYLOAD}{'a' * 9000}\r\n\r\n".encode(),
        431,
        "header_fields_too_large",
    ),
}


def _assert_error_shape(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.raw[:300]
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["connection"] == "close"
    assert int(reply.headers["content-length"]) == len(reply.body)
    error = reply.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert (error["code"], error["message"]) == SERVER_ERRORS[status]
    assert error["code"] == code
    assert error["details"] == {}
    # Nothing of the request comes back, escaped or not.
    assert SECRET.encode() not in reply.raw
    assert b"<script" not in reply.raw.lower()
    assert b"<html" not in reply.raw.lower()


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_request_is_answered_in_the_error_shape(instance: Instance, case: str) -> None:
    request, status, code = MALFORMED[case]
    _assert_error_shape(_exchange(instance, request), status, code)


def test_a_normal_request_is_served_by_the_bff_worker(instance: Instance) -> None:
    reply = _exchange(instance, b"GET /healthz HTTP/1.1\r\nHost: bff\r\nConnection: close\r\n\r\n")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}
    assert "Using worker: bff.gunicorn_worker.BffThreadWorker" in instance.log.read_text()


def test_the_malformed_requests_are_logged_as_gunicorn_logs_them(instance: Instance) -> None:
    _exchange(instance, b"GET / HTTP/9.9\r\nHost: bff\r\n\r\n")
    assert "Invalid request from ip=127.0.0.1: Invalid HTTP Version" in instance.log.read_text()


def _handle_error_over_a_socket_pair(exc: BaseException) -> Reply:
    """The worker's ``handle_error`` alone (no gunicorn running): what the client reads."""
    worker = BffThreadWorker.__new__(BffThreadWorker)  # handle_error needs only a log
    worker.log = logging.getLogger("tests.gunicorn_errors")
    ours, theirs = socket.socketpair()
    with ours, theirs:
        worker.handle_error(None, ours, ("127.0.0.1", 40000), exc)
        ours.shutdown(socket.SHUT_WR)
        theirs.settimeout(PATIENCE)
        return _parse(b"".join(iter(lambda: theirs.recv(65536), b"")))


def test_an_unexpected_error_in_gunicorn_is_a_500_internal_error() -> None:
    reply = _handle_error_over_a_socket_pair(RuntimeError(PAYLOAD))
    _assert_error_shape(reply, 500, "internal_error")


def test_a_forbidden_proxy_request_is_a_403_forbidden() -> None:
    reply = _handle_error_over_a_socket_pair(ForbiddenProxyRequest(PAYLOAD))
    _assert_error_shape(reply, 403, "forbidden")


def test_a_malformed_chunked_body_is_400_not_500(instance: Instance) -> None:
    """gunicorn raises InvalidChunkSize while the app reads the body, past its own error
    handling: the app answers 400 ``invalid_body`` in the error shape, never a 500."""
    request = (
        b"POST /api/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-CSRF: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"zz\r\n{}\r\n0\r\n\r\n"
    )
    reply = _exchange(instance, request)
    assert reply.status == 400, reply.raw[:300]
    assert reply.json()["error"]["code"] == "invalid_body"
