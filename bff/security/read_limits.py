"""Per-session limits on the reads that may call Cognito.

``limit_read`` decorates the signed-in GET views that call Cognito (ListDevices, GetUser)
or may, when the session's tokens are due for a re-check or a refresh (``/api/me``,
``/api/session``). One budget per session, shared by all of them: ``BFF_RATELIMIT_READ``
("5 per second;60 per minute" by default, limits' notation, sliding-window counters). A
spent budget raises ``RateLimited`` (429 ``too_many_requests`` with ``Retry-After``)
through the one error handler, before Cognito is called. One session drove Cognito at 227
calls a second without it.

Only a live session is counted (a cookie naming none gets its 401 without a counter, so
invented cookies cannot fill the counter store), under a hash of its id. The counters are
the rate limits' (bff.security.counters: Redis when the store is Redis); with
``BFF_RATELIMIT_ENABLED=false``, or for a request the rate limits exempt, nothing is
counted.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse_many

from bff import sessions
from bff.config import BffSettings
from bff.errors import RateLimited, retry_after
from bff.ops.metrics import count_rate_limit_refusal
from bff.security import rate_limits

EXTENSION = "bff_read_limits"
#: The counters' namespace (beside the rate limits' ``bff-rl``).
KEY_PREFIX = "bff-read"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ReadLimits:
    """One app's read budget per session, over the rate limits' counters."""

    limits: rate_limits.RateLimits
    items: tuple[RateLimitItem, ...]

    def check(self, sid: str) -> None:
        """Count one read for session ``sid``; RateLimited when its budget is spent."""
        key = hashlib.sha256(sid.encode()).hexdigest()[:32]
        strategy = self.limits.strategy
        for item in self.items:
            if strategy.hit(item, KEY_PREFIX, key):
                continue
            count_rate_limit_refusal("read:session")
            reset_at = strategy.get_window_stats(item, KEY_PREFIX, key).reset_time
            wait = max(1, math.ceil(reset_at - time.time()))
            raise RateLimited(
                f"Too many reads for this session. Try again in {wait} seconds.",
                details=retry_after(wait),
            )


def limit_read(view: F) -> F:
    """Count the view against the session's read budget (``BFF_RATELIMIT_READ``)."""

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        reads: ReadLimits | None = current_app.extensions.get(EXTENSION)
        if reads is not None and not reads.limits.exempt():
            record = sessions.current_session()
            sid = record.get("sid") if record is not None else None
            if isinstance(sid, str) and sid:
                reads.check(sid)
        return view(*args, **kwargs)

    return limited  # type: ignore[return-value]


def init_app(app: Flask, settings: BffSettings) -> None:
    """The read budget shares the rate limits' counters; off when they are."""
    limits: rate_limits.RateLimits | None = app.extensions.get(rate_limits.EXTENSION)
    if limits is None:
        app.extensions.pop(EXTENSION, None)
        return
    app.extensions[EXTENSION] = ReadLimits(limits, tuple(parse_many(settings.ratelimit_read)))
