"""What a multi-process server (gunicorn, bff.gunicorn_conf) must refuse to serve."""

from __future__ import annotations

from bff.config import BffSettings


def server_problems(settings: BffSettings, workers: int) -> list[str]:
    """Why ``settings`` cannot be served by ``workers`` worker processes (empty: fine).

    * Rate limits kept per process (``memory://``, the default without a Redis store) with
      several workers: each worker would count alone, multiplying every limit.
    * No Cognito pool: every worker would start a local Cognito of its own, and a browser's
      next request could land on a worker whose pool has never heard of its user.
    """
    problems = []
    if (
        workers > 1
        and settings.ratelimit_enabled
        and settings.ratelimit_storage_url.startswith("memory://")
    ):
        problems.append(
            f"{workers} workers with per-process rate limits (memory://): each worker "
            "would count alone. Use a Redis store (BFF_STORE_URL=redis://...), or set "
            "BFF_RATELIMIT_STORAGE_URL to a Redis URL, or run one worker"
        )
    if not settings.cognito.is_configured:
        problems.append(
            "no Cognito pool is configured (COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID): each "
            "worker would start its own local Cognito. Point the BFF at a pool, or at one "
            "`bff local-cognito` with COGNITO_ENDPOINT_URL"
        )
    return problems
