"""How long a request waits during an outage, and what it answers. Figures, not assertions.

Real faults (tests/support/faults.py): a closed port, a loopback proxy that blackholes or
delays Cognito, Cognito answering 500, a private redis-server frozen (SIGSTOP) and killed, a
SQLite file under an exclusive lock. Defaults are the shipped ones (COGNITO_CONNECT_TIMEOUT
3, COGNITO_READ_TIMEOUT 10, BFF_STORE_TIMEOUT_SECONDS 2) unless a line says otherwise.

    .venv/bin/python tests/benchmarks/outages.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
    os.environ.setdefault(key, value)

from bff.app import create_app  # noqa: E402
from local_cognito import LocalCognito  # noqa: E402
from tests.support.faults import FaultProxy, RedisProcess, closed_port, sqlite_locked  # noqa: E402

HEADERS = {"X-CSRF": "1"}
BODY = {"username": "nobody@example.com", "password": "Corr3ct-Horse!"}


def timed(label: str, app: Any, method: str = "POST", path: str = "/api/sign-in") -> None:
    client = app.test_client()
    start = time.perf_counter()
    response = client.open(path, method=method, json=BODY, headers=HEADERS)
    elapsed = time.perf_counter() - start
    code = (response.get_json() or {}).get("error", {}).get("code", "-")
    retry = response.headers.get("Retry-After", "-")
    print(
        f"  {label:<58} {response.status_code} {code:<20} Retry-After {retry:<3} {elapsed:6.2f} s"
    )


def main() -> None:
    local = LocalCognito(port=0)
    info = local.start()
    work = Path(tempfile.mkdtemp())
    base = {**info.as_environment(), "BFF_RATELIMIT_ENABLED": "false", "BFF_LOG_LEVEL": "ERROR"}
    n = 0

    def app(**extra: Any) -> Any:
        nonlocal n
        n += 1
        return create_app({**base, "instance_path": str(work / str(n)), **extra})

    print("Cognito:")
    timed("closed port", app(COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}"))
    proxy = FaultProxy(info.endpoint_url)
    proxy.mode = "blackhole"
    timed("blackholed (read timeout 10 s, connect 3 s)", app(COGNITO_ENDPOINT_URL=proxy.url))
    print(f"    requests that reached the proxy: {proxy.actions}")
    proxy.mode, proxy.actions[:] = "error500", []
    timed("Cognito answers 500 InternalErrorException", app(COGNITO_ENDPOINT_URL=proxy.url))
    proxy.mode, proxy.delay = "pass", 4.0
    timed(
        "every answer 4 s late (read timeout 3, connect 1: deadline 4 s)",
        app(COGNITO_ENDPOINT_URL=proxy.url, COGNITO_READ_TIMEOUT="3", COGNITO_CONNECT_TIMEOUT="1"),
    )
    proxy.close()

    print("Store:")
    redis_server = RedisProcess()
    try:
        redis_app = app(store_url=redis_server.url)
        redis_server.freeze()
        timed("Redis frozen (SIGSTOP)", redis_app)
        redis_server.thaw()
        redis_server.kill()
        timed("Redis killed", redis_app)
    finally:
        redis_server.stop()
    sqlite_app = app()
    client = sqlite_app.test_client()
    client.post("/api/sign-in", json=BODY, headers=HEADERS)  # a session cookie to look up
    with sqlite_locked(sqlite_app.extensions["bff"]["store"].path):
        start = time.perf_counter()
        response = client.post("/api/sign-in", json=BODY, headers=HEADERS)
        elapsed = time.perf_counter() - start
        code = response.get_json()["error"]["code"]
        print(
            f"  {'SQLite under an exclusive lock':<58} {response.status_code} {code:<20} "
            f"Retry-After {response.headers.get('Retry-After', '-'):<3} {elapsed:6.2f} s"
        )
    local.stop()


if __name__ == "__main__":
    main()
