"""``GET /healthz``, ``GET /readyz`` and ``GET /metrics`` (the ``ops`` blueprint).

None of them reads a session or a cookie, needs ``X-CSRF`` (they are GETs) or counts
against a rate limit (no limit decorates them). Every answer is ``no-store``.

* ``/healthz``: the process answers; touches nothing else.
* ``/readyz``: the store answers a ping and Cognito answers a probe (GetUser with a token
  that is not one: see ``CognitoGateway.probe``), one probe at a time per process, the
  answer kept a few seconds, never waiting for a probe in flight (bff.ops.readiness).
  503 in the one error shape, ``not_ready``, naming the failing part(s).
* ``/metrics``: Prometheus text (bff.ops.metrics). 404 when ``BFF_METRICS_ENABLED`` is off
  (the production default unless ``BFF_METRICS_KEY`` is set); with ``BFF_METRICS_KEY`` it
  needs ``Authorization: Bearer <key>`` (401 otherwise).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from bff.config import BffSettings
from bff.errors import MetricsKeyRequired, NotFound, NotReady
from bff.ops import metrics, readiness

ops = Blueprint("ops", __name__)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@ops.get("/healthz")
def healthz() -> Response:
    """The process is up (no dependency is asked)."""
    return _no_store(jsonify({"status": "ok"}))


def _readiness() -> dict[str, str]:
    extension = current_app.extensions["bff"]
    state: readiness.Readiness = extension.setdefault("readiness", readiness.Readiness())
    return state.answer(extension["store"], extension["gateway"])


@ops.get("/readyz")
def readyz() -> Response:
    """The store and Cognito answer (cached a few seconds); 503 naming what does not."""
    checks = _readiness()
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if not failing:
        return _no_store(jsonify({"status": "ready", "checks": checks}))
    raise NotReady(
        f"Not ready: {', '.join(f'{name} {checks[name]}' for name in failing)}.",
        details={
            "checks": checks,
            "failing": failing,
            "retry_after": int(readiness.CACHE_SECONDS),
        },
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
