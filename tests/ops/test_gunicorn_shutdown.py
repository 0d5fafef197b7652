"""Graceful shutdown under the shipped gunicorn config (bff.gunicorn_conf), for real: one
gthread worker, the SQLite store, the local Cognito in its own process and a loopback proxy
between them (tests.support.faults.FaultProxy) that holds every Cognito call back, so a step
is still waiting for Cognito when gunicorn gets SIGTERM.

What a deploy relies on (``BFF_GRACEFUL_TIMEOUT``): the step in flight is answered as usual
and gunicorn then exits 0, without waiting out the timeout. A connection made after SIGTERM
is not served: the worker no longer accepts, but it holds the listening socket until it
exits, so the connection waits in the kernel's queue and is reset then (it never reaches the
app nor Cognito); once gunicorn is gone, connecting is refused. A step outlasting the timeout
is cut off: its connection closes without an answer, and gunicorn still exits 0.

The moments are observed, not slept for: the proxy records the step reaching Cognito, and
the worker's epoll instance (Linux /proc) shows when it stops watching the listening socket.
No duration is asserted beyond bounds that only catch a hang. Slow: it starts gunicorn
twice (marked ``slow``).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.faults import FaultProxy
from tests.support.passwords import PASSWORD
from tests.support.production import (
    CognitoProcess,
    Instance,
    bff_environment,
    gunicorn,
    local_cognito_process,
)

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"
HEADERS = {"X-CSRF": "1", "Content-Type": "application/json", "Connection": "close"}
# How long to wait for something that should take milliseconds: only a hang fails it.
PATIENCE = 30.0
GRACEFUL_TIMEOUT = 10
COGNITO_DELAY = 2.0  # the step's time in flight, well under the graceful timeout


@pytest.fixture(scope="module")
def cognito(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CognitoProcess]:
    with local_cognito_process(tmp_path_factory.mktemp("gunicorn-shutdown")) as process:
        yield process


@pytest.fixture
def proxy(cognito: CognitoProcess) -> Iterator[FaultProxy]:
    fault = FaultProxy(cognito.endpoint_url)
    yield fault
    fault.close()


@contextmanager
def serving(
    cognito: CognitoProcess, proxy: FaultProxy, workdir: Path, graceful_timeout: int
) -> Iterator[Instance]:
    """gunicorn with the shipped config, one worker (so the memory rate limiter is allowed),
    the SQLite store, and Cognito behind ``proxy``."""
    env = bff_environment(
        cognito,
        workdir,
        COGNITO_ENDPOINT_URL=proxy.url,
        BFF_STORE_URL=f"sqlite:///{workdir}/bff.db",
        WEB_CONCURRENCY="1",
        BFF_GRACEFUL_TIMEOUT=str(graceful_timeout),
    )
    with gunicorn(env, workdir, "bff") as instance:
        yield instance


def _port(instance: Instance) -> int:
    return int(instance.base_url.rsplit(":", 1)[1])


def _sign_up_body() -> str:
    return json.dumps({"email": f"drain-{secrets.token_hex(4)}@example.com", "password": PASSWORD})


class Step(threading.Thread):
    """``POST /api/sign-up`` sent from a thread of its own; ``result`` is (status, body), or
    the error the client got."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.result: tuple[int, dict[str, Any]] | Exception | None = None

    def run(self) -> None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=PATIENCE)
        try:
            connection.request("POST", "/api/sign-up", _sign_up_body(), HEADERS)
            response = connection.getresponse()
            self.result = (response.status, json.loads(response.read()))
        except (OSError, http.client.HTTPException) as error:
            self.result = error
        finally:
            connection.close()


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {PATIENCE:.0f} s for {what}")
        time.sleep(0.01)


def _only_worker(instance: Instance) -> int:
    pid = instance.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def _listening_inode(port: int) -> str | None:
    """The inode of the socket listening on loopback ``port`` (/proc/net/tcp), if any."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
            return fields[9]
    return None


def _accepting(pid: int, port: int) -> bool:
    """Whether process ``pid`` waits for connections on ``port``: one of its epoll instances
    (the gthread worker's poller) watches its file descriptor of the listening socket."""
    inode = _listening_inode(port)
    if inode is None:
        return False
    listeners: set[str] = set()
    polls: list[str] = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target == f"socket:[{inode}]":
            listeners.add(fd.name)
        elif target == "anon_inode:[eventpoll]":
            polls.append(fd.name)
    for poll in polls:
        try:
            info = Path(f"/proc/{pid}/fdinfo/{poll}").read_text()
        except OSError:
            continue
        watched = {line.split()[1] for line in info.splitlines() if line.startswith("tfd:")}
        if watched & listeners:
            return True
    return False


def _sigterm_while_waiting_for_cognito(instance: Instance, proxy: FaultProxy, step: Step) -> int:
    """Start ``step``, send gunicorn SIGTERM once the step has reached Cognito (behind the
    proxy's delay), and return the worker's pid once it has stopped accepting."""
    worker = _only_worker(instance)
    port = _port(instance)
    assert _accepting(worker, port)  # so that the wait below means something
    step.start()
    _wait_for(lambda: "SignUp" in proxy.actions, "the step to reach Cognito")
    instance.process.send_signal(signal.SIGTERM)
    _wait_for(lambda: not _accepting(worker, port), "the worker to stop accepting")
    return worker


def test_a_step_in_flight_at_sigterm_is_answered_then_gunicorn_exits_0(
    cognito: CognitoProcess, proxy: FaultProxy, tmp_path: Path
) -> None:
    with serving(cognito, proxy, tmp_path, GRACEFUL_TIMEOUT) as instance:
        port = _port(instance)
        proxy.delay = COGNITO_DELAY
        step = Step(port)
        _sigterm_while_waiting_for_cognito(instance, proxy, step)

        # Made after SIGTERM, while the step is held: the kernel still queues the connection
        # (the worker keeps the listening socket open), but nothing accepts it.
        late = http.client.HTTPConnection(HOST, port, timeout=PATIENCE)
        try:
            late.connect()
            late.request("POST", "/api/sign-up", _sign_up_body(), HEADERS)

            step.join(PATIENCE)
            assert isinstance(step.result, tuple), step.result
            status, answer = step.result
            assert status == 200, answer
            assert answer["flow"]["state"] == "SIGNED_UP"

            # Exited by itself once the step was done, within the graceful timeout.
            assert instance.process.wait(timeout=GRACEFUL_TIMEOUT) == 0

            # Reset when the worker closed the listening socket on its way out.
            with pytest.raises(ConnectionResetError):
                late.getresponse()
        finally:
            late.close()

        assert proxy.actions.count("SignUp") == 1  # the late request never reached Cognito
        after = http.client.HTTPConnection(HOST, port, timeout=PATIENCE)
        try:
            with pytest.raises(ConnectionRefusedError):
                after.connect()
        finally:
            after.close()
        log = instance.log.read_text()
        assert "Handling signal: term" in log
        assert "Shutting down: Master" in log


def test_a_step_outlasting_the_graceful_timeout_is_cut_off(
    cognito: CognitoProcess, proxy: FaultProxy, tmp_path: Path
) -> None:
    graceful_timeout = 2
    with serving(cognito, proxy, tmp_path, graceful_timeout) as instance:
        proxy.delay = 5.0  # Cognito's answer would come 3 s after the timeout
        step = Step(_port(instance))
        _sigterm_while_waiting_for_cognito(instance, proxy, step)

        assert instance.process.wait(timeout=PATIENCE) == 0
        step.join(PATIENCE)
        # The worker was stopped with the step still waiting: the connection closed, no answer.
        assert isinstance(step.result, http.client.RemoteDisconnected), step.result
