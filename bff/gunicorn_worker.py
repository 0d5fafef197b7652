"""gunicorn's threaded worker, reading whole requests before a thread sees them, and
answering its own errors in the one error shape.

Slow clients. gunicorn's ``gthread`` hands a connection to a thread as soon as its first
byte arrives; the thread then reads the request line, headers and body with blocking
reads and no deadline, so a few connections sending a byte every few seconds held every
thread (4 per worker) for as long as they liked, and the worker answered nobody. The
worker timeout does not help: the worker's main loop stays alive. ``BffThreadWorker``
reads each request in its event loop instead, into a buffer (bff.request_buffer), and
submits it to a thread only once it is whole:

* the request line and headers must arrive within ``BFF_READ_TIMEOUT`` seconds (10 by
  default) of the connection (or of the first byte of the next request on a kept-alive
  one), and the body within as long again after the headers; past either deadline the
  worker answers 408 ``request_timeout`` and closes;
* a head over 64 KiB is answered 431; a body declared over the app's limit is handed over
  with its headers alone (the app answers 413 and the connection closes); chunked framing
  over twice the limit is answered 413;
* all connections of a worker hold at most ``BUFFER_BUDGET`` bytes of unfinished requests
  together; a connection that would go past it is answered 503 ``server_busy``;
* a connection closed after an answer lingers in the event loop (up to 2 s, so the client
  reads the answer instead of a reset), never in a thread or the loop's own time.

A thread therefore only ever parses bytes already in memory, and slow clients cost a
buffer and a file descriptor each (at most ``worker_connections``, 1,000 by default). TLS
is not read this way (the bytes would be ciphertext): terminate TLS at the proxy in front,
as the shipped configuration assumes; with ``certfile`` set the worker is plain ``gthread``.

Errors. gunicorn answers a request it cannot parse or that is over its limits itself,
before the app runs (``Worker.handle_error``): 400 for a malformed request line, method,
HTTP version or header, 414 for a request line over ``limit_request_line``, 431 for headers
over ``limit_request_fields`` or ``limit_request_field_size``, 403, 417, 501 and 500 for
the rarer cases. Its answer is an HTML page quoting parts of the request. ``BffThreadWorker``
keeps gunicorn's choice of status and its log line, and writes the body of
bff.server_errors instead: ``{"error": {code, message, details}}`` with a fixed message,
``Content-Type: application/json``, ``Connection: close``.

bff.gunicorn_conf names it (``worker_class``). It overrides methods of gunicorn's
``gthread`` worker of gunicorn 27 (the version pyproject.toml allows).
"""

from __future__ import annotations

import errno
import os
import re
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import TConn, ThreadWorker

from bff.body import MAX_BODY_BYTES
from bff.request_buffer import Need, RequestBuffer
from bff.server_errors import server_error_body, status_phrase

READ_TIMEOUT_ENV = "BFF_READ_TIMEOUT"
DEFAULT_READ_TIMEOUT = 10.0
#: Bytes of unfinished requests one worker holds for all its connections together.
BUFFER_BUDGET = 64 * 1024 * 1024
#: How long a closed connection is read (and its bytes dropped) for its answer to arrive.
LINGER_SECONDS = 2.0
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def read_timeout() -> float:
    """``BFF_READ_TIMEOUT``: seconds for the headers, and again for the body (> 0)."""
    raw = os.environ.get(READ_TIMEOUT_ENV, "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_READ_TIMEOUT
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{READ_TIMEOUT_ENV} must be a number of seconds over 0, not {raw!r}")
    return seconds


_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


class _ErrorPage:
    """Stands in for the client's socket while gunicorn writes its error page: it keeps
    the bytes (of which only the status is read), so none reaches the client. It has only
    what gunicorn's writing uses (``util.write_nonblock``): any other use fails here."""

    def __init__(self) -> None:
        self.written = bytearray()

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking": gunicorn writes at once, without switching modes

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> int:
        """The status gunicorn chose; 500 if it wrote nothing this worker can read."""
        match = _STATUS_LINE.match(self.written)
        return int(match.group(1)) if match else 500


def error_response(status: int) -> bytes:
    """The whole HTTP answer for ``status``, in the error shape."""
    body = server_error_body(status)
    retry = "Retry-After: 1\r\n" if status == 503 else ""
    head = (
        f"HTTP/1.1 {status} {status_phrase(status)}\r\n"
        f"{retry}"
        "Content-Type: application/json\r\n"
        "Connection: close\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class BufferedConn(TConn):
    """A connection whose next request is read into memory first."""

    def __init__(self, worker: BffThreadWorker, *args: Any) -> None:
        super().__init__(*args)
        self.worker = worker
        self.buffer: RequestBuffer | None = None
        self.ready: bytes | None = None  # a whole request, for the thread's parser
        self.cut_short = False
        self.sent_continue = False
        self.deadline = 0.0

    def close(self, graceful: bool = False) -> None:
        if graceful:
            self.worker.linger(self.sock)  # drained in the event loop, not waited for
        else:
            util.close(self.sock)


class BffThreadWorker(ThreadWorker):
    """``gthread`` reading whole requests in its event loop, with the error answers of
    bff.server_errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout()
        self.reading: dict[BufferedConn, None] = {}  # in arrival order
        self.lingering: dict[socket.socket, float] = {}  # socket -> when to give up
        self.buffered_bytes = 0

    def _buffering(self) -> bool:
        return not self.cfg.is_ssl

    def accept(self, listener: Any) -> None:
        if not self._buffering():
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ECONNABORTED,):
                return None
            raise
        self.nr_conns += 1
        conn = BufferedConn(self, self.cfg, client, address, listener.getsockname())
        self._read_request(conn, b"")
        return None

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        if not isinstance(conn, BufferedConn):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_request(conn, b"", readable=True)
        return None

    def enqueue_req(self, conn: Any) -> None:
        if isinstance(conn, BufferedConn) and conn.ready is None:
            # The thread left bytes of a next (pipelined) request: read the rest first.
            self._read_request(conn, conn.parser.unreader.take_buffered())
            return
        super().enqueue_req(conn)

    def _read_request(self, conn: BufferedConn, initial: bytes, readable: bool = False) -> None:
        """Start reading ``conn``'s next request (``initial``: bytes of it already read;
        ``readable``: the poller just said bytes are waiting, so read them now rather than
        on the loop's next turn)."""
        conn.buffer = RequestBuffer(MAX_BODY_BYTES)
        conn.deadline = time.monotonic() + self.read_timeout
        conn.sock.setblocking(False)
        if initial and self._fed(conn, initial):
            return
        if readable and self._read_some(conn):
            return
        self.reading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_bytes, conn))

    def _on_bytes(self, conn: BufferedConn, sock: socket.socket) -> None:
        self._read_some(conn)

    def _read_some(self, conn: BufferedConn) -> bool:
        """One read; True when the connection left the reading state."""
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data = b""
        if not data:  # the client went away before its request was whole
            self._stop_reading(conn)
            self.nr_conns -= 1
            util.close(conn.sock)
            return True
        return self._fed(conn, data)

    def _fed(self, conn: BufferedConn, data: bytes) -> bool:
        """Add ``data``; True when the connection left the reading state (handed to a
        thread or answered)."""
        buffer = conn.buffer
        assert buffer is not None
        if self.buffered_bytes + len(data) > BUFFER_BUDGET:
            self._stop_reading(conn)
            self._answer_and_close(conn, 503)
            return True
        had_head = buffer.head_done
        need = buffer.feed(data)
        self.buffered_bytes += len(data)
        if need is Need.MORE:
            if buffer.head_done and not had_head:
                conn.deadline = time.monotonic() + self.read_timeout  # the body's own
                if buffer.expects_continue():
                    _send_quietly(conn.sock, _CONTINUE)
                    conn.sent_continue = True
            return False
        request, cut_short = bytes(buffer.data), buffer.cut_short
        self._stop_reading(conn)
        if need is Need.HEAD_TOO_LARGE:
            self._answer_and_close(conn, 431)
        elif need is Need.BODY_TOO_LARGE:
            self._answer_and_close(conn, 413)
        else:
            conn.ready = request
            conn.cut_short = cut_short
            conn.data_ready = True  # gthread's wait for a first byte: it is all here
            super().enqueue_req(conn)
        return True

    def _release(self, conn: BufferedConn) -> None:
        if conn.buffer is not None:
            self.buffered_bytes -= len(conn.buffer.data)

    def _stop_reading(self, conn: BufferedConn) -> None:
        if conn in self.reading:
            del self.reading[conn]
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
        self._release(conn)
        conn.buffer = None

    def _answer_and_close(self, conn: BufferedConn, status: int) -> None:
        _send_quietly(conn.sock, error_response(status))
        self.nr_conns -= 1
        self.linger(conn.sock)

    def linger(self, sock: socket.socket) -> None:
        """Close ``sock`` the way RFC 9112 section 9.6 asks (our side first, then read
        what the client still sends until it closes), in the event loop."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            self.poller.register(sock, selectors.EVENT_READ, self._on_linger_bytes)
        except (OSError, ValueError, KeyError):
            util.close(sock)
            return
        self.nr_conns += 1
        self.lingering[sock] = time.monotonic() + LINGER_SECONDS

    def _on_linger_bytes(self, sock: socket.socket) -> None:
        try:
            if sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._end_linger(sock)

    def _end_linger(self, sock: socket.socket) -> None:
        if self.lingering.pop(sock, None) is None:
            return
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        util.close(sock)

    def murder_pending(self) -> None:
        """gthread's pending connections, then ours: requests past their deadline (408),
        lingering sockets past theirs."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [conn for conn in self.reading if conn.deadline <= now]:
            self._stop_reading(conn)
            self._answer_and_close(conn, 408)
        for sock in [sock for sock, until in self.lingering.items() if until <= now]:
            self._end_linger(sock)

    def handle(self, conn: Any) -> Any:
        """In a thread: give the parser the request read by the event loop."""
        if isinstance(conn, BufferedConn) and conn.ready is not None:
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(conn.ready)
            conn.ready = None
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        if isinstance(conn, BufferedConn):
            if conn.cut_short:
                # The rest of the body is unread and may never come: answer, then close.
                req.must_close = True
                conn.cut_short = False
            if conn.sent_continue:
                # The event loop said 100 Continue already; gunicorn would say it again.
                req._expected_100_continue = False
                conn.sent_continue = False
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # gunicorn decides the status and logs the error; its page goes to a stand-in.
        page = _ErrorPage()
        super().handle_error(req, page, addr, exc)
        try:
            util.write_nonblock(client, error_response(page.status()))
        except Exception:
            self.log.debug("Failed to send error message.")


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    """Send a short answer on a non-blocking socket; a client that cannot take it loses it."""
    try:
        sock.send(data)
    except OSError:
        pass
