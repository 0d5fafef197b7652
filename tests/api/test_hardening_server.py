"""`bff serve`'s werkzeug server: read deadlines for partial and slow requests (headers,
then body; a byte now and then does not stretch them), a short drain after a 413, bodies
over the limit 413 whatever their framing, no redirect built from the Host header, and the
errors it answers before the app runs (431, 414, 400) in the one error shape, with the
fixed messages of bff.server_errors (never a byte of the request)."""

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


def _trickle(address: tuple[str, int], head: bytes, step: float) -> tuple[bytes, int]:
    """A slow client: sends ``head`` one byte each time ``step`` seconds pass without an
    answer, until the server answers or closes (or ``head`` runs out: then it waits).
    Returns what the server sent and how many bytes it took."""
    sent = 0
    with socket.create_connection(address) as sock:
        sock.settimeout(step)
        deadline = PATIENCE_STEPS
        while deadline:
            try:
                reply = sock.recv(65536)
            except TimeoutError:
                if sent < len(head):
                    sock.sendall(head[sent : sent + 1])
                    sent += 1
                deadline -= 1
                continue
            except ConnectionResetError:
                return b"", sent
            return reply, sent
    pytest.fail("the server never cut a slow client off")


#: Polls of the slow client before it gives up (a safety net, far past the deadlines).
PATIENCE_STEPS = 400
SLOW_HEAD = b"GET /api/flow HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 1000


def test_a_client_trickling_its_headers_is_cut_off_at_the_deadline(
    server: tuple[str, int],
) -> None:
    """A byte every 0.1 s never lets a read time out (0.5 s); the deadline for the whole
    request line and headers still ends the connection, long before the head is sent."""
    reply, sent = _trickle(server, SLOW_HEAD, 0.1)
    assert reply == b""
    assert sent < len(SLOW_HEAD)


def test_a_client_trickling_its_body_gets_408_at_the_deadline(server: tuple[str, int]) -> None:
    head = (
        b"POST /api/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-CSRF: 1\r\nContent-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(server) as sock:
        sock.sendall(head)
        reply, sent = _trickle_on(sock, b'{"username": "' + b"a" * 900, 0.1)
    status, body = _status_and_json(reply)
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert sent < 900


def _trickle_on(sock: socket.socket, data: bytes, step: float) -> tuple[bytes, int]:
    sent = 0
    sock.settimeout(step)
    chunks: list[bytes] = []
    for _ in range(PATIENCE_STEPS):
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if sent < len(data):
                sock.sendall(data[sent : sent + 1])
                sent += 1
            continue
        if not chunk:
            return b"".join(chunks), sent
        chunks.append(chunk)
    pytest.fail("the server never cut a slow body off")


def test_a_silent_connection_is_closed(server: tuple[str, int]) -> None:
    assert _exchange(server, b"") == b""


def _oversized(framing: str) -> bytes:
    body = b'{"username": "' + b"a" * (300 * 1024) + b'"}'
    head = (
        b"POST /api/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-CSRF: 1\r\n"
    )
    if framing == "chunked":
        pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


@pytest.fixture
def patient_server(app: Flask) -> Iterator[tuple[str, int]]:
    """A server whose read deadline (60 s) is far past the test's patience."""
    srv = make_bff_server("127.0.0.1", 0, app, read_timeout=60)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", srv.server_port
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_and_the_connection_closes(
    patient_server: tuple[str, int], framing: str
) -> None:
    """Chunked or not, 413 ``payload_too_large`` (a chunked body was cut at the limit and
    answered 400 ``invalid_json``), and the server closes the connection after a short
    drain instead of waiting for the client as long as its read deadline."""
    with socket.create_connection(patient_server, timeout=5) as sock:
        sock.sendall(_oversized(framing))
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                pytest.fail("the server held the connection after its 413")
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    status, body = _status_and_json(b"".join(chunks))
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


def test_a_chunked_body_at_the_limit_is_read_whole(server: tuple[str, int]) -> None:
    """Exactly ``MAX_BODY_BYTES`` of chunked body is not over the limit: it is parsed (and
    refused by the schema, a username that long being no username)."""
    from bff.body import MAX_BODY_BYTES

    body = b'{"username": "' + b"a" * (MAX_BODY_BYTES - 16) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    request = (
        b"POST /api/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-CSRF: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n0\r\n\r\n"
        % (len(body), body)
    )
    status, answer = _status_and_json(_exchange(server, request))
    assert (status, answer["error"]["code"]) == (422, "invalid_input")


def test_a_doubled_slash_with_a_forged_host_is_not_redirected(server: tuple[str, int]) -> None:
    reply = _exchange(
        server, b"GET /api//flow HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    status, body = _status_and_json(reply)
    assert status == 404 and body["error"]["code"] == "not_found"
    assert b"evil.example" not in reply and b"\r\nLocation:" not in reply
