"""Rate limits on the steps an attacker would repeat: per client address and per username.

``limit_mfa``, ``limit_sign_up`` and ``limit_resend`` decorate views; each counts per client
address AND per username (from the body's ``username``/``email``, else the session's or
the flow's user), shared by every route carrying the same decorator, with the limits of
``BFF_RATELIMIT_<NAME>`` ("10 per minute;50 per hour", limits' notation) and limits'
sliding-window-counter strategy. Sign-in is limited per client here and throttled per
username by bff.security.throttle. A spent limit raises ``RateLimited`` (429
``too_many_requests`` with ``Retry-After``) through the one error handler.

Counters live in bff.security.counters (Redis when the store is Redis). With
``BFF_RATELIMIT_ENABLED=false`` nothing is counted.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from bff import sessions
from bff.config import BffSettings
from bff.errors import RateLimited, retry_after
from bff.ops.metrics import count_rate_limit_refusal
from bff.security.counters import counter_storage
from bff.security.proxies import client_address
from bff.store.redis_connect import limiter_storage

EXTENSION = "bff_rate_limits"
LIMIT_NAMES = ("sign_in", "mfa", "sign_up", "resend")
#: Prefix of every counter's key in the storage.
KEY_PREFIX = "bff-rl"

Per = Literal["client", "user"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RateLimits:
    """One app's limits: the counters' storage, each limit's parsed items, and the
    predicates that exempt a request (``exempt_when``)."""

    storage: Storage
    strategy: SlidingWindowCounterRateLimiter
    items: dict[str, list[RateLimitItem]]
    exemptions: list[Callable[[], bool]] = field(default_factory=list)

    def exempt(self) -> bool:
        return any(predicate() for predicate in self.exemptions)

    def check(self, name: str, per: Per, key: str) -> None:
        """Count one attempt for ``key``; raise RateLimited when a limit is spent."""
        for item in self.items[name]:
            if self.strategy.hit(item, KEY_PREFIX, name, per, key):
                continue
            count_rate_limit_refusal(f"{name}:{per}")
            reset_at = self.strategy.get_window_stats(item, KEY_PREFIX, name, per, key).reset_time
            wait = max(1, math.ceil(reset_at - time.time()))
            raise RateLimited(
                f"Too many attempts. Try again in {wait} seconds.", details=retry_after(wait)
            )


def username_of_request() -> str | None:
    """Who the attempt is for: the body's username/email, else the session's or flow's user
    (lowercased; cached for the request)."""
    cached = g.get("_bff_ratelimit_username", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    username: str | None = None
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        for field in ("username", "email"):
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                username = value.strip().lower()
                break
    if username is None and sessions.EXTENSION in current_app.extensions:
        record = sessions.current_session()
        if record and isinstance(record.get("username"), str):
            username = record["username"].lower()
        elif request.view_args and isinstance(request.view_args.get("flow_id"), str):
            store = current_app.extensions[sessions.EXTENSION].store
            flow = store.flows.load(request.view_args["flow_id"])
            if flow is not None and flow.username:
                username = flow.username.lower()
    g._bff_ratelimit_username = username
    return username


def username_key(username: str) -> str:
    """A username's key in the counters: hashed, so the storage holds no e-mail address."""
    return hashlib.sha256(username.encode()).hexdigest()[:32]


def limit(name: str, *, per_user: bool = True) -> Callable[[F], F]:
    """A decorator counting ``name``'s attempts per client (and per username)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            limits: RateLimits | None = current_app.extensions.get(EXTENSION)
            if limits is not None and not limits.exempt():
                limits.check(name, "client", client_address())
                username = username_of_request() if per_user else None
                if username:
                    limits.check(name, "user", username_key(username))
            return view(*args, **kwargs)

        return limited  # type: ignore[return-value]

    decorate.__name__ = f"limit_{name}"
    decorate.__doc__ = f"Rate-limit a view with BFF_RATELIMIT_{name.upper()}, per client and user."
    return decorate


limit_mfa = limit("mfa")
limit_sign_up = limit("sign_up")
limit_resend = limit("resend")


def exempt_when(app: Flask, predicate: Callable[[], bool]) -> None:
    """Skip ``app``'s rate limits for the requests ``predicate`` accepts (the sign-in delay
    after wrong passwords still applies). Nothing to skip when the limits are off."""
    limits: RateLimits | None = app.extensions.get(EXTENSION)
    if limits is not None:
        limits.exemptions.append(predicate)


def init_app(app: Flask, settings: BffSettings) -> None:
    """Build the app's limits (nothing when ``BFF_RATELIMIT_ENABLED`` is false)."""
    if not settings.ratelimit_enabled:
        app.extensions.pop(EXTENSION, None)
        return
    # A Redis for the counters (one node, a cluster, Sentinel) gets the store's timeout,
    # TLS and no-retry rule: a stopped Redis is a quick 503 store_unavailable, not a request
    # hanging on the limiter.
    uri, options = limiter_storage(
        settings.ratelimit_storage_url,
        timeout=settings.store_timeout_seconds,
        tls=settings.store_tls,
        iam=settings.store_iam,
    )
    storage = counter_storage(uri, options)
    items = {name: parse_many(getattr(settings, f"ratelimit_{name}")) for name in LIMIT_NAMES}
    app.extensions[EXTENSION] = RateLimits(storage, SlidingWindowCounterRateLimiter(storage), items)
