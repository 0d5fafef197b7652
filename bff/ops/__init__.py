"""Operations: health, readiness, metrics, request ids and structured logs.

``init_app(app, settings)`` (called by the app factory) wires them:

* bff.ops.request_id: an id per request, returned as ``X-Request-Id``, in each log line
  of the request and in the journal entries it fires;
* bff.ops.logs: JSON lines (production) or text (local) with that id;
* bff.ops.metrics: Prometheus counters and histograms; Cognito calls are timed through
  bff.cognito.error_translation's call observer, the store through a timing wrapper
  around its sub-stores, steps and requests by the hook below;
* bff.ops.views: ``/healthz``, ``/readyz``, ``/metrics``.

docs/operations.md describes all of it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, request

from bff import body
from bff.config import BffSettings
from bff.ops import labels, logs, metrics, request_id
from bff.ops.views import ops

log = logging.getLogger("bff.request")

#: Routes whose requests are not logged at INFO (a load balancer polls them all day).
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


#: Where a view notes the state its step reached (``note_step_state``), so the metrics hook
#: need not decode the response it just encoded.
STEP_STATE = "_bff_step_state"


def note_step_state(state: str) -> None:
    """Tell the metrics hook which state this request's step reached."""
    setattr(g, STEP_STATE, state)


def _step_outcome(response: Response) -> str:
    """The state a step reached, or its error code (from the step or error shape)."""
    noted = g.get(STEP_STATE)
    if isinstance(noted, str) and response.status_code == 200:
        return noted
    body: Any = response.get_json(silent=True) if response.is_json else None
    if isinstance(body, dict):
        flow = body.get("flow")
        if isinstance(flow, dict) and isinstance(flow.get("state"), str):
            return str(flow["state"])
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return str(error["code"])
    return str(response.status_code)


def _begin() -> None:
    g.ops_started = time.perf_counter()


def _finish(response: Response) -> Response:
    began = g.get("ops_started")
    if began is None:
        return response
    seconds = time.perf_counter() - began
    route = _route()
    # Labels from known sets only (bff.ops.labels): a client chooses its method freely.
    method = labels.method(request.method)
    metrics.HTTP_REQUESTS.labels(route, method, labels.status(response.status_code)).inc()
    metrics.HTTP_SECONDS.labels(route).observe(seconds)
    if method == "POST" and route.startswith("/api/") and not body.view_streams_own_body():
        # Not a proxied POST (bff.relay): its answer is the upstream's, streamed, not a step.
        metrics.STEPS.labels(route, labels.step_outcome(_step_outcome(response))).inc()
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    if log.isEnabledFor(level):
        # The route template, not the path: a path can hold an e-mail (admin routes). The
        # method as sent, escaped by the formatter. A proxy's request id goes beside ours as
        # a field of the record (bff.ops.logs), not into the message the scrubber rewrites.
        upstream = request_id.upstream()
        log.log(
            level,
            "%s %s %d %.1f ms",
            request.method,
            route,
            response.status_code,
            seconds * 1000,
            extra={logs.UPSTREAM_ID: upstream} if upstream else None,
        )
    return response


def init_app(app: Flask, settings: BffSettings) -> None:
    """Request ids, logs, metrics hooks and the ops routes."""
    logs.configure_logging(settings.log_format, settings.log_level)
    request_id.init_app(app, settings.trusted_proxies)
    # Right after the request id, before the guards: refused requests are counted too.
    app.before_request_funcs.setdefault(None, []).insert(1, _begin)
    app.after_request(_finish)
    from bff.cognito.error_translation import add_call_observer

    add_call_observer(metrics.observe_cognito_call)
    app.register_blueprint(ops)
