"""What the relay counts, next to the BFF's own metrics at ``GET /metrics``.

Every label comes from a closed set, whatever the requests look like: the remote API's
configured name, the method's class (``read``: GET/HEAD; ``write``: the rest), the status
(a standard HTTP status, the BFF's own error answers included; anything else is ``other``)
and the refresh outcome. Neither paths nor users appear.

================================  =========================================================
``bff_relay_requests_total``      proxied requests by API, method class and status
``bff_relay_request_seconds``     time to the upstream's status line, by API (histogram)
``bff_relay_token_refreshes``     token renewals (before a proxied or local API call, and
                                  the session refresh and revalidation), by
                                  outcome: ``refreshed`` (Cognito called), ``shared`` (a
                                  concurrent request's refresh was used), ``refused`` (the
                                  session ended), ``failed`` (Cognito unavailable)
================================  =========================================================
"""

from __future__ import annotations

from http import HTTPStatus

from prometheus_client import Counter, Histogram

from bff.ops.metrics import BUCKETS

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_STATUSES = frozenset(str(int(s)) for s in HTTPStatus)
REFRESH_OUTCOMES = ("refreshed", "shared", "refused", "failed")

RELAY_REQUESTS = Counter(
    "bff_relay_requests",
    "Proxied requests by remote API, method class (read/write) and status.",
    ("api", "method_class", "status"),
)
RELAY_SECONDS = Histogram(
    "bff_relay_request_seconds",
    "Time from forwarding to the upstream's status line, by remote API.",
    ("api",),
    buckets=BUCKETS,
)
TOKEN_REFRESHES = Counter(
    "bff_relay_token_refreshes",
    "Access-token renewals before an API call, by outcome.",
    ("outcome",),
)


def method_class(method: str) -> str:
    return "read" if method.upper() in READ_METHODS else "write"


def status_label(status: int) -> str:
    label = str(status)
    return label if label in _STATUSES else "other"


def count_request(api: str, method: str, status: int) -> None:
    RELAY_REQUESTS.labels(api, method_class(method), status_label(status)).inc()


def observe_upstream(api: str, seconds: float) -> None:
    RELAY_SECONDS.labels(api).observe(seconds)


def count_token_refresh(outcome: str) -> None:
    if outcome not in REFRESH_OUTCOMES:
        raise ValueError(f"unknown refresh outcome {outcome!r}")
    TOKEN_REFRESHES.labels(outcome).inc()
