"""Prometheus metrics: what the BFF counts, and ``GET /metrics`` in the text format.

What is counted (labels never carry a username, an e-mail, a flow id or anything a user
typed: only route templates, methods, Cognito action names, error codes, states and store
names, each from a known set, ``other`` for anything else: bff.ops.labels):

================================  =========================================================
``bff_http_requests_total``       requests by route template, method and status
``bff_http_request_seconds``      request latency by route template (histogram)
``bff_steps_total``               API steps (POST under /api) by route and outcome: the
                                  state reached, or the error code
``bff_cognito_calls_total``       Cognito calls by action and outcome (``ok`` or the code)
``bff_cognito_call_seconds``      Cognito call latency by action (histogram)
``bff_store_op_seconds``          store operation latency by backend, sub-store and op
``bff_rate_limit_refusals_total`` 429s from the BFF's rate limits, by limit scope
================================  =========================================================

Active sessions are not counted: neither store can count live sessions without scanning
(Redis keys expire on their own), which is not cheap enough for a scrape.

Under gunicorn (several worker processes) prometheus-client's multiprocess mode is used:
``bff.gunicorn_conf`` sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker imports this
module, each worker writes its samples there, and ``/metrics`` sums every worker's files
(https://prometheus.github.io/client_python/multiprocess/). Without that variable the
samples live in the process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from bff.ops import labels

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
disable_created_metrics()  # no *_created series: they double the output and say little
#: Latency buckets (seconds): a local store answers in well under a millisecond, Cognito in
#: tens of milliseconds, a timeout in seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "bff_http_requests",
    "HTTP requests by route template, method and status.",
    ("route", "method", "status"),
)
HTTP_SECONDS = Histogram(
    "bff_http_request_seconds",
    "HTTP request latency by route template.",
    ("route",),
    buckets=BUCKETS,
)
STEPS = Counter(
    "bff_steps",
    "API steps by route and outcome (the state reached, or the error code).",
    ("route", "outcome"),
)
COGNITO_CALLS = Counter(
    "bff_cognito_calls",
    "Cognito calls by action and outcome (ok, or Cognito's error code).",
    ("action", "outcome"),
)
COGNITO_SECONDS = Histogram(
    "bff_cognito_call_seconds", "Cognito call latency by action.", ("action",), buckets=BUCKETS
)
STORE_SECONDS = Histogram(
    "bff_store_op_seconds",
    "Store operation latency by backend, sub-store and operation.",
    ("backend", "store", "op"),
    buckets=BUCKETS,
)
RATE_LIMIT_REFUSALS = Counter(
    "bff_rate_limit_refusals",
    "Requests refused by the BFF's rate limits, by limit scope.",
    ("limit",),
)


def observe_cognito_call(action: str, seconds: float, error_code: str | None) -> None:
    """One Cognito call (registered with bff.cognito.error_translation.add_call_observer)."""
    COGNITO_CALLS.labels(action, labels.cognito_outcome(error_code)).inc()
    COGNITO_SECONDS.labels(action).observe(seconds)


def count_rate_limit_refusal(scope: str) -> None:
    RATE_LIMIT_REFUSALS.labels(scope or "unknown").inc()


class _TimedSubStore:
    """A sub-store (flows, sessions, devices, webhook_events) whose public calls are timed."""

    #: Helpers of the sub-store that are not store operations: never timed.
    UNTIMED = frozenset({"now", "flow_clock"})

    def __init__(self, inner: Any, backend: str, name: str) -> None:
        self._inner = inner
        self._backend = backend
        self._name = name
        self._timed: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, attribute: str) -> Any:
        cached = self._timed.get(attribute)
        if cached is not None:
            return cached
        value = getattr(self._inner, attribute)
        if attribute.startswith("_") or attribute in self.UNTIMED or not callable(value):
            return value
        histogram = STORE_SECONDS.labels(self._backend, self._name, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - began)

        self._timed[attribute] = timed  # one wrapper (and label lookup) per operation
        return timed

    def __repr__(self) -> str:
        return f"timed({self._inner!r})"


SUB_STORES = ("flows", "sessions", "devices", "webhook_events")


def instrument_store(store: Any) -> Any:
    """Time every operation of ``store``'s sub-stores (in place; returns the store)."""
    backend = type(store).__name__.removesuffix("Store").lower() or "store"
    for name in SUB_STORES:
        inner = getattr(store, name, None)
        if inner is not None and not isinstance(inner, _TimedSubStore):
            setattr(store, name, _TimedSubStore(inner, backend, name))
    return store


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition() -> tuple[bytes, str]:
    """The metrics text (every worker's, in multiprocess mode) and its content type."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
