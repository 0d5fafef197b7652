"""The production shape as subprocesses: a local Cognito in its own process, gunicorn
instances with the shipped config (bff.gunicorn_conf), a redis-server. Used by the
multi-instance test (tests/ops) and the throughput benchmark (tests/benchmarks)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

BIN = Path(sys.executable).parent


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (gunicorn's workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, IndexError):
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / TICKS
    return own + sum(cpu_seconds(int(child)) for child in children)


def children_named(name: str) -> list[int]:
    """This process's children whose command is ``name`` (never another user's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != name:
                continue
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if parent == str(os.getpid()):
            found.append(int(entry.name))
    return sorted(found)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 15) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds; RuntimeError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    """Wait until ``url`` answers 200; AssertionError with ``log`` when ``process`` exits
    first or ``seconds`` pass."""

    def up() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            if process.poll() is not None:
                raise AssertionError(f"{url} did not come up:\n{log.read_text()}") from None
            return False

    try:
        wait_until(up, seconds, url)
    except RuntimeError:
        raise AssertionError(f"{url} did not come up:\n{log.read_text()}") from None


@dataclass(frozen=True)
class CognitoProcess:
    endpoint_url: str
    region: str
    user_pool_id: str
    client_id: str
    pid: int = 0

    def environment(self) -> dict[str, str]:
        return {
            "COGNITO_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_CLIENT_ID": self.client_id,
        }


@contextmanager
def local_cognito_process(workdir: Path) -> Iterator[CognitoProcess]:
    """`bff local-cognito --port 0 --json` in its own process."""
    log = workdir / "local-cognito.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [str(BIN / "bff"), "local-cognito", "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, log.read_text()
            info = json.loads(line)
            yield CognitoProcess(
                info["endpoint_url"],
                info["region"],
                info["user_pool_id"],
                info["client_id"],
                process.pid,
            )
        finally:
            _stop(process)
            if process.stdout is not None:
                process.stdout.close()


def bff_environment(cognito: CognitoProcess, workdir: Path, **extra: str) -> dict[str, str]:
    """What every instance of one deployment shares: the pool, the keys, the store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "BFF_"))}
    env.update(cognito.environment())
    env.update(
        # Local mode: plain-http cookies, so a test client over http keeps them; the keys
        # are given, as in production, so every instance reads what the others wrote.
        BFF_MODE="local",
        BFF_SECRET_KEY=secrets.token_urlsafe(48),
        BFF_DEVICE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        BFF_INSTANCE_PATH=str(workdir / "instance"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Instance:
    base_url: str
    log: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> int:
        return _stop(self.process, timeout=40)


@contextmanager
def gunicorn(
    env: Mapping[str, str], workdir: Path, name: str, *args: str, up_seconds: float = 60
) -> Iterator[Instance]:
    """gunicorn with the shipped config on a free port, serving ``bff:create_app()``."""
    port = free_port()
    log = workdir / f"{name}.log"
    metrics = workdir / f"{name}-metrics"
    metrics.mkdir(exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                "python:bff.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                *args,
                "bff:create_app()",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
            cwd=workdir,
        )
        instance = Instance(f"http://127.0.0.1:{port}", log, process)
        try:
            wait_until_up(instance.base_url + "/healthz", process, log, up_seconds)
            yield instance
        finally:
            instance.stop()


@contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """A private redis-server (for scripts; the tests use the redis_url fixture)."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from tests.support.redis_server import redis_answers

        url = f"redis://127.0.0.1:{port}/0"
        if not redis_answers(url, process):
            raise RuntimeError(f"redis-server did not start on port {port}")
        yield url
    finally:
        _stop(process)
