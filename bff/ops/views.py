"""``GET /healthz``, ``GET /readyz`` and ``GET /metrics`` (the ``ops`` blueprint).

None of them reads a session or a cookie, needs ``X-CSRF`` (they are GETs) or counts
against a rate limit (no limit decorates them). Every answer is ``no-store``.

* ``/healthz``: the process answers; touches nothing else.
* ``/readyz``: the store answers a ping and Cognito answers a probe (GetUser with a token
  that is not one: see ``CognitoGateway.probe``). The result is cached per process for
  ``READY_CACHE_SECONDS``, so a load balancer polling every second costs one probe per
  interval. 503 in the one error shape, ``not_ready``, naming the failing part(s).
* ``/metrics``: Prometheus text (bff.ops.metrics). 404 when ``BFF_METRICS_ENABLED`` is off
  (the production default unless ``BFF_METRICS_KEY`` is set); with ``BFF_METRICS_KEY`` it
  needs ``Authorization: Bearer <key>`` (401 otherwise).
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from bff.config import BffSettings
from bff.errors import MetricsKeyRequired, NotFound, NotReady
from bff.ops import metrics

READY_CACHE_SECONDS = 3.0
ops = Blueprint("ops", __name__)


@dataclass
class Readiness:
    """The last readiness answer of this process, and when it was computed."""

    checked_at: float = -1e9
    checks: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@ops.get("/healthz")
def healthz() -> Response:
    """The process is up (no dependency is asked)."""
    return _no_store(jsonify({"status": "ok"}))


def _check_store(store: Any) -> str:
    try:
        return "ok" if store.ping() else "unreachable"
    except Exception as exc:  # a store that cannot even be asked is not ready
        return f"unreachable ({type(exc).__name__})"


def _check_cognito(gateway: Any) -> str:
    probe = getattr(gateway, "probe", None)
    if probe is None:  # a test double without a probe: nothing to ask
        return "ok"
    problem = probe()
    return "ok" if problem is None else str(problem)


def _readiness() -> dict[str, str]:
    extension = current_app.extensions["bff"]
    state: Readiness = extension.setdefault("readiness", Readiness())
    with state.lock:  # one probe at a time per process; the others wait for its answer
        if time.monotonic() - state.checked_at >= READY_CACHE_SECONDS:
            state.checks = {
                "store": _check_store(extension["store"]),
                "cognito": _check_cognito(extension["gateway"]),
            }
            state.checked_at = time.monotonic()
        return dict(state.checks)


@ops.get("/readyz")
def readyz() -> Response:
    """The store and Cognito answer (cached a few seconds); 503 naming what does not."""
    checks = _readiness()
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if not failing:
        return _no_store(jsonify({"status": "ready", "checks": checks}))
    raise NotReady(
        f"Not ready: {', '.join(f'{name} {checks[name]}' for name in failing)}.",
        details={"checks": checks, "failing": failing, "retry_after": int(READY_CACHE_SECONDS)},
        headers={"Cache-Control": "no-store"},
    )


@ops.get("/metrics")
def metrics_view() -> Response:
    """Prometheus text format; off (404) or behind a bearer key in production."""
    settings: BffSettings = current_app.extensions["bff"]["settings"]
    if not settings.metrics_enabled:
        raise NotFound()
    if settings.metrics_key:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            offered.strip().encode(), settings.metrics_key.encode()
        ):
            raise MetricsKeyRequired(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body, content_type = metrics.exposition()
    return _no_store(Response(body, content_type=content_type))
