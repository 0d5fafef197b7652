"""pytest plugin: ``redis_url``, a private redis-server for the test session (the Redis
store tests and the API tests that share a store between two apps use it).

Without redis-server the tests that need it skip outside CI and fail in CI
(tests.support.programs)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from tests.support.programs import require_program


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers(url: str, proc: subprocess.Popen[bytes], seconds: float = 10) -> bool:
    """Wait until the redis-server ``proc`` started answers PING at ``url``: False when it
    exits first or does not answer within ``seconds``."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                client.ping()
                return True
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    exe = require_program(
        "redis-server", shutil.which("redis-server"), "apt-get install redis-server (.ci/run does)"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    if not redis_answers(url, proc):
        proc.kill()
        pytest.fail(f"redis-server did not start on port {port}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
