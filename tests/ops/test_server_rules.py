"""What bff.gunicorn_conf refuses at start-up (bff.ops.server.server_problems), fast: the
real refusal by a gunicorn process is in test_gunicorn_redis.py."""

from __future__ import annotations

import pytest

from bff.config import load_settings
from bff.ops.server import server_problems

POOL = {"COGNITO_USER_POOL_ID": "eu-west-1_Pool", "COGNITO_CLIENT_ID": "client"}


def _settings(**env: str):  # type: ignore[no-untyped-def]
    return load_settings(environ={"BFF_SECRET_KEY": "k" * 48, "BFF_MODE": "local", **env})


@pytest.mark.parametrize(
    ("env", "workers", "refused"),
    [
        ({}, 1, False),  # one worker: its own counters are all the counters
        ({}, 2, True),  # memory:// with two workers
        ({"BFF_RATELIMIT_ENABLED": "false"}, 4, False),
        ({"BFF_STORE_URL": "redis://127.0.0.1:6379/0"}, 4, False),  # limits in Redis
        ({"BFF_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/1"}, 4, False),
        ({"BFF_RATELIMIT_STORAGE_URL": "memory://"}, 2, True),
    ],
)
def test_per_process_rate_limits_with_several_workers(
    env: dict[str, str], workers: int, refused: bool
) -> None:
    problems = server_problems(_settings(**POOL, **env), workers)
    assert bool(problems) is refused
    if refused:
        assert "per-process rate limits (memory://)" in problems[0]


def test_no_pool_is_refused_whatever_the_workers() -> None:
    problems = server_problems(_settings(BFF_RATELIMIT_ENABLED="false"), 1)
    assert len(problems) == 1 and "no Cognito pool is configured" in problems[0]


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("", 10.0), ("2.5", 2.5), (" 30 ", 30.0), ("0", None), ("-1", None)]
    + [("ten", None), ("nan", None)],
)
def test_the_read_timeout_of_the_worker(
    raw: str, seconds: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BFF_READ_TIMEOUT: seconds over 0, or a clear refusal (bff.gunicorn_conf reads it at
    start-up, before any worker)."""
    from bff.gunicorn_worker import read_timeout

    monkeypatch.setenv("BFF_READ_TIMEOUT", raw)
    if seconds is None:
        with pytest.raises(ValueError, match="BFF_READ_TIMEOUT must be a number of seconds"):
            read_timeout()
    else:
        assert read_timeout() == seconds
