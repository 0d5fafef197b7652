"""`bff serve`'s werkzeug server: a read timeout for partial requests, and the errors it
answers before the app runs (431, 414, 400) in the one error shape, with the fixed messages
of bff.server_errors (never a byte of the request)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from bff.server_errors import SERVER_ERRORS
from bff_tools.serve import make_bff_server

READ_TIMEOUT = 0.5


@pytest.fixture
def server(app: Flask) -> Iterator[tuple[str, int]]:
    srv = make_bff_server("127.0.0.1", 0, app, read_timeout=READ_TIMEOUT)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", srv.server_port
    srv.shutdown()
    srv.server_close()


def _exchange(address: tuple[str, int], raw: bytes) -> bytes:
    """Send ``raw`` and read until the server closes (the client's own timeout is a
    safety net 20x the server's: reaching it means the server never cut us off)."""
    with socket.create_connection(address, timeout=READ_TIMEOUT * 20) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                pytest.fail("the server never closed a connection with a partial request")
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _status_and_json(reply: bytes) -> tuple[int, Any]:
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_partial_body_is_cut_off_with_408(server: tuple[str, int]) -> None:
    request = (
        b"POST /api/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-CSRF: 1\r\nContent-Length: 100\r\n\r\n" + b'{"username": '
    )
    status, body = _status_and_json(_exchange(server, request))
    assert status == 408
    assert body["error"]["code"] == "request_timeout"


def test_partial_headers_are_cut_off(server: tuple[str, int]) -> None:
    assert _exchange(server, b"GET /api/me HTTP/1.1\r\nHost: x\r\n") == b""


def test_header_fields_too_large_is_431_in_the_error_shape(server: tuple[str, int]) -> None:
    request = b"GET /api/me HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"
    status, body = _status_and_json(_exchange(server, request))
    assert status == 431
    assert set(body["error"]) == {"code", "message", "details"}


def test_uri_too_long_is_414_in_the_error_shape(server: tuple[str, int]) -> None:
    request = b"GET /api/" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, body = _status_and_json(_exchange(server, request))
    assert status == 414
    assert body["error"]["code"] == "uri_too_long"


def test_a_bad_request_line_is_400_without_the_request_in_the_answer(
    server: tuple[str, int],
) -> None:
    reply = _exchange(server, b"GET /<script>sk_live_0123</script> x HTTP/1.1\r\n\r\n")
    status, body = _status_and_json(reply)
    assert status == 400
    assert (body["error"]["code"], body["error"]["message"]) == SERVER_ERRORS[400]
    assert b"<script" not in reply and b"sk_live_0123" not in reply


MALFORMED_CHUNKED = (
    b"POST /api/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"X-CSRF: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    b"zz\r\n{}\r\n0\r\n\r\n"
)


def test_a_malformed_chunked_body_is_400_not_500(server: tuple[str, int]) -> None:
    """The server's own body reader refuses the chunk framing while the app reads the body:
    a client error, answered 400 in the error shape (it was the catch-all's 500)."""
    status, body = _status_and_json(_exchange(server, MALFORMED_CHUNKED))
    assert status == 400
    assert body["error"]["code"] == "invalid_body"
