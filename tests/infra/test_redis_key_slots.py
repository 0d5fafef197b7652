"""Every operation the BFF sends to Redis keeps its keys in one hash slot, so it runs on a
Redis Cluster (where a script or transaction over two slots fails with CROSSSLOT).

A redis-server of the test's own records every command (MONITOR) while `bff serve` runs
every shipped QA journey on it with rate limits on: the store's flows, sessions (rotations
included), per-user index and devices, and the limiter's counters. The server itself names
each command's keys (COMMAND GETKEYS, which reads EVALSHA's key count like the cluster
does); a script's or transaction's keys must all map to one slot (redis-py's ``key_slot``,
the cluster's CRC16). One node enforces nothing: this test is what catches a new cross-slot
operation before a cluster does.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis.cluster import key_slot

from bff_tools.qa import JourneyRunner, load_journey
from tests.support.redis_topologies import Server, start_server
from tests.support.serve import bff_serve, serve_environment

pytestmark = pytest.mark.slow  # a `bff serve` subprocess and every shipped journey

JOURNEYS = sorted((Path(__file__).parents[1] / "qa" / "journeys").glob("*.yaml"))
LINE = re.compile(r"^\+[\d.]+ \[(\d+) ([^\]]+)\] (.*)$")
ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b", '"': '"', "\\": "\\"}


def _unescape(arg: str) -> str:
    """Undo MONITOR's quoting (sdscatrepr): \\xHH and the C escapes."""
    out, i = [], 0
    while i < len(arg):
        if arg[i] == "\\" and i + 1 < len(arg):
            if arg[i + 1] == "x":
                out.append(chr(int(arg[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append(ESCAPES.get(arg[i + 1], arg[i + 1]))
            i += 2
            continue
        out.append(arg[i])
        i += 1
    return "".join(out)


@dataclass
class Recorder:
    """MONITOR on its own connection, in a thread: (client, args) of every command."""

    server: Server
    commands: list[tuple[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.create_connection(("127.0.0.1", self.server.port))
        self._sock.sendall(b"MONITOR\r\n")
        self._file = self._sock.makefile("rb")
        assert self._file.readline().strip() == b"+OK"
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self._file:
            match = LINE.match(raw.decode("latin-1").rstrip("\r\n"))
            if match:
                client, rest = match.group(2), match.group(3)
                self.commands.append((client, [_unescape(a) for a in ARG.findall(rest)]))

    def stop(self) -> list[tuple[str, list[str]]]:
        self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(10)
        self._file.close()
        self._sock.close()
        return self.commands


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[list[tuple[str, list[str]]], Server]]:
    server = start_server(tmp_path / "redis", [])
    try:
        recorder = Recorder(server)
        env = serve_environment(
            tmp_path,
            BFF_STORE_URL=f"redis://127.0.0.1:{server.port}/0",
            BFF_ADMIN_API_KEY=secrets.token_urlsafe(24),
            # On, but loose enough for journeys that sign in often from one address.
            BFF_RATELIMIT_ENABLED="1",
            BFF_RATELIMIT_SIGN_IN="1000 per minute",
            BFF_RATELIMIT_MFA="1000 per minute",
            BFF_RATELIMIT_SIGN_UP="1000 per minute",
            BFF_RATELIMIT_RESEND="1000 per minute",
        )
        with bff_serve(tmp_path, env) as urls:
            base_url = urls["BFF"].removesuffix("/api")
            for journey in JOURNEYS:
                lines: list[str] = []
                runner = JourneyRunner(
                    load_journey(journey),
                    base_url=base_url,
                    cognito_endpoint=urls["local Cognito"],
                    echo=lines.append,
                    environ=env,
                )
                assert all(result.passed for result in runner.run()), "\n".join(lines)
            # The runner's admin key skips the limits (bff.qa_allowance): a browser's
            # sign-ins do not, and count in the limiter and the per-username throttle.
            for _ in range(3):
                assert _wrong_sign_in(base_url) == 401
        yield recorder.stop(), server
    finally:
        server.stop()


def _wrong_sign_in(base_url: str) -> int:
    body = json.dumps({"username": "nobody@example.com", "password": "Wrong-passw0rd!"}).encode()
    request = urllib.request.Request(
        base_url + "/api/sign-in",
        data=body,
        method="POST",
        headers={"X-CSRF": "1", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def _keys(client: redis.Redis, args: list[str]) -> list[str]:
    try:
        found = client.command_getkeys(*args)
    except redis.ResponseError:  # a command without keys (PING, SCRIPT LOAD, MULTI...)
        return []
    return [k.decode() if isinstance(k, bytes) else str(k) for k in found]


def test_every_multi_key_operation_of_a_full_journey_stays_in_one_slot(
    recorded: tuple[list[tuple[str, list[str]]], Server],
) -> None:
    commands, server = recorded
    client = server.client()
    operations: list[tuple[str, list[str]]] = []  # (what, keys) of each atomic operation
    open_transactions: dict[str, list[str]] = defaultdict(list)
    in_transaction: set[str] = set()
    for who, args in commands:
        if who == "lua" or not args:
            continue  # a script's own calls: its declared keys are checked at EVALSHA
        name = args[0].upper()
        if name == "MULTI":
            in_transaction.add(who)
            open_transactions[who] = []
        elif name == "EXEC" and who in in_transaction:
            in_transaction.discard(who)
            operations.append(("MULTI/EXEC", open_transactions.pop(who)))
        elif who in in_transaction:
            open_transactions[who].extend(_keys(client, args))
        else:
            operations.append((name, _keys(client, args)))
    client.close()

    multi_key = [(what, keys) for what, keys in operations if len(set(keys)) > 1]
    crossing = [
        (what, keys) for what, keys in multi_key if len({key_slot(k.encode()) for k in keys}) > 1
    ]
    assert not crossing, crossing

    # The journeys did reach every kind of key, and the multi-key operations were there to
    # check: a session's rotation (its old and new key) and the limiter's sliding window
    # (the current and previous counter).
    every_key = {key for _, keys in operations for key in keys}
    for prefix in ("bff:flow:{", "bff:session:{", "bff:session-users:", "bff:device:", "LIMITS"):
        assert any(key.startswith(prefix) for key in every_key), prefix
    assert any(all(k.startswith("bff:session:") for k in keys) for _, keys in multi_key)
    assert any(all(k.startswith("LIMITS") for k in keys) for _, keys in multi_key)
