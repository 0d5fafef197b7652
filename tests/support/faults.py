"""Real faults for the outage tests: a loopback TCP proxy in front of the local Cognito that
passes, blackholes, delays or fails requests; a private redis-server to stop, freeze and
kill; a SQLite file held under an exclusive lock."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.support.programs import require_program
from tests.support.redis_server import redis_answers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    return free_port()


class FaultProxy:
    """A loopback TCP proxy to ``upstream`` (``http://host:port``).

    ``mode``: ``"pass"`` forwards; ``"blackhole"`` accepts and reads but never answers;
    ``"error500"`` answers every request HTTP 500 InternalErrorException, as Cognito does
    when it fails. ``delay`` (seconds) holds every answer back that long. ``actions`` lists the
    ``X-Amz-Target`` action of every request received, so a test counts the tries.
    """

    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.mode = "pass"
        self.delay = 0.0
        self.actions: list[str] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self._server.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _read_request(self, client: socket.socket, buffer: bytes) -> tuple[bytes, bytes] | None:
        head, rest, length = _read_message(client, buffer)
        if head is None:
            return None
        target = _header(head, b"x-amz-target")
        if target is not None:
            with self._lock:
                self.actions.append(target.decode().rpartition(".")[2])
        if len(rest) < length:
            return None
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        buffer = b""
        try:
            while True:
                got = self._read_request(client, buffer)
                if got is None:
                    return
                request, buffer = got
                if self.mode == "blackhole":
                    self._stopped.wait()  # never answer; the client's read timeout decides
                    return
                if self.delay:
                    time.sleep(self.delay)
                if self.mode == "error500":
                    body = json.dumps(
                        {"__type": "InternalErrorException", "message": "Internal error"}
                    ).encode()
                    client.sendall(
                        b"HTTP/1.1 500 Internal Server Error\r\n"
                        b"Content-Type: application/x-amz-json-1.1\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                upstream.sendall(request)
                client.sendall(_read_response(upstream))
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()


def _read_response(sock: socket.socket) -> bytes:
    head, rest, _ = _read_message(sock, b"")
    if head is None:
        return rest
    return head + b"\r\n\r\n" + rest


def _read_message(sock: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes, int]:
    """Read one HTTP/1.1 message framed by Content-Length; ``buffer`` is what was read already.

    Returns (head, rest, length): ``rest`` is all read after the head (the body and any
    next message); ``head`` is None when the peer closed before the head ended (``rest`` is
    then all that was read), and ``len(rest) < length`` when it closed within the body.
    """
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buffer, 0
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    value = _header(head, b"content-length")
    length = int(value) if value is not None else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest, length


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of the last ``name`` header (lower case) in a message head, stripped."""
    found = None
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            found = value.strip()
    return found


class RedisProcess:
    """A private redis-server this test may stop (SIGSTOP), resume, kill and restart."""

    def __init__(self) -> None:
        self.exe = require_program(
            "redis-server",
            shutil.which("redis-server"),
            "apt-get install redis-server (.ci/run does)",
        )
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not redis_answers(self.url, self.proc):
            pytest.fail(f"redis-server did not start on port {self.port}")

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    server = RedisProcess()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def sqlite_locked(path: str) -> Iterator[None]:
    """Hold ``path`` under an exclusive write lock (``BEGIN EXCLUSIVE``) for the block."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
