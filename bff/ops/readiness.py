"""What ``GET /readyz`` answers: the store and Cognito probed, one probe at a time.

A probe can take seconds when a dependency is down (a blackholed Cognito answers nothing),
and ``/readyz`` needs no credentials: if every request probed, or waited for the probe in
flight, a handful of anonymous clients would hold every thread of a worker and starve
``/healthz`` and the API. So per process:

* the answer is kept for ``CACHE_SECONDS``;
* once it is stale, one request probes (single flight); every other request meanwhile
  answers at once with the last answer, or, before the first probe has finished, with
  "not checked yet" (not ready);
* the Cognito probe has its own short deadline, ``PROBE_SECONDS`` (retries included), in
  place of the request's usual one (``COGNITO_CONNECT_TIMEOUT + COGNITO_READ_TIMEOUT``);
  the store's ping is bounded by the store's own timeout (``BFF_STORE_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bff.cognito import resilience

CACHE_SECONDS = 3.0
PROBE_SECONDS = 2.0
NOT_CHECKED = "not checked yet (a probe is running)"


@dataclass
class Readiness:
    """The last answer of this process, when it was computed, and how many probes ran."""

    checked_at: float = -1e9
    checks: dict[str, str] = field(default_factory=dict)
    probes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, store: Any, gateway: Any) -> dict[str, str]:
        """The checks by part (``ok`` or what is wrong), probing only when stale and no
        other thread is probing."""
        if time.monotonic() - self.checked_at < CACHE_SECONDS:
            return dict(self.checks)
        if not self.lock.acquire(blocking=False):
            # Another request is probing: never wait for it.
            return dict(self.checks) or {"store": NOT_CHECKED, "cognito": NOT_CHECKED}
        try:
            if time.monotonic() - self.checked_at >= CACHE_SECONDS:
                self.probes += 1
                self.checks = {"store": check_store(store), "cognito": check_cognito(gateway)}
                self.checked_at = time.monotonic()
            return dict(self.checks)
        finally:
            self.lock.release()


def check_store(store: Any) -> str:
    try:
        return "ok" if store.ping() else "unreachable"
    except Exception as exc:  # a store that cannot even be asked is not ready
        return f"unreachable ({type(exc).__name__})"


def check_cognito(gateway: Any) -> str:
    probe = getattr(gateway, "probe", None)
    if probe is None:  # a test double without a probe: nothing to ask
        return "ok"
    try:
        with resilience.request_deadline(PROBE_SECONDS):
            problem = probe()
    except Exception as exc:  # the deadline passed (CognitoUnavailable) or worse
        return f"Cognito is unreachable ({type(exc).__name__})"
    return "ok" if problem is None else str(problem)
