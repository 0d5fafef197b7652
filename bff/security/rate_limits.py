"""Rate limits on the steps an attacker would repeat, per client address; the budgets per
username and per sign-in are built here too.

``limit_mfa``, ``limit_sign_up`` and ``limit_resend`` decorate views; each counts attempts
per client address, shared by every route carrying the same decorator, with the limits of
``BFF_RATELIMIT_<NAME>`` ("10 per minute;50 per hour", limits' notation) and limits'
sliding-window-counter strategy. ``limit_sign_up`` also counts per username (from the
body's ``username``/``email``, else the session's or the flow's user). A spent limit
raises ``RateLimited`` (429 ``too_many_requests`` with ``Retry-After``) through the one
error handler.

What a stranger naming a username could turn against its owner is not counted per
username here: wrong codes are counted per username and kind, and wrong challenge answers
per sign-in, by the flows (bff.flows.budgets over bff.security.budgets); mailed codes per
username quietly (the step answers as usual, nothing is sent); wrong passwords delay
sign-in per username (bff.security.throttle). Every per-username key is the username's
one normal form (bff.usernames).

Counters live in bff.security.counters (Redis when the store is Redis). With
``BFF_RATELIMIT_ENABLED=false`` nothing is counted.
"""

from __future__ import annotations

import functools
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
from bff.flows.budgets import UNLIMITED, Budgets
from bff.ops.metrics import count_rate_limit_refusal
from bff.security import budgets
from bff.security.counters import counter_storage
from bff.security.proxies import client_address
from bff.store.redis_connect import limiter_storage
from bff.usernames import canonical_username, username_digest

EXTENSION = "bff_rate_limits"
#: ``app.extensions[BUDGETS]``: the app's failure budgets (bff.security.budgets).
BUDGETS = "bff_failure_budgets"
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
            # limits' reset time is on the epoch (time.time() plus the window's rest).
            wait = max(1, math.ceil(reset_at - time.time()))
            raise RateLimited(
                f"Too many attempts. Try again in {wait} seconds.", details=retry_after(wait)
            )


def username_of_request() -> str | None:
    """Who the attempt is for: the body's username/email, else the session's or flow's user
    (in its normal form, bff.usernames; cached for the request)."""
    cached = g.get("_bff_ratelimit_username", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    username: str | None = None
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        for field in ("username", "email"):
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                username = canonical_username(value)
                break
    if username is None and sessions.EXTENSION in current_app.extensions:
        record = sessions.current_session()
        if record and isinstance(record.get("username"), str):
            username = canonical_username(record["username"])
        elif request.view_args and isinstance(request.view_args.get("flow_id"), str):
            store = current_app.extensions[sessions.EXTENSION].store
            flow = store.flows.load(request.view_args["flow_id"])
            if flow is not None and flow.username:
                username = canonical_username(flow.username)
    g._bff_ratelimit_username = username
    return username


def username_key(username: str) -> str:
    """A username's key in the counters: hashed, so the storage holds no e-mail address."""
    return username_digest(username)


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


#: Code steps (challenge answers, confirmation and reset codes), per client address.
limit_mfa = limit("mfa", per_user=False)
limit_sign_up = limit("sign_up")
#: Steps that mail something, per client address (per username: bff.flows.budgets).
limit_resend = limit("resend", per_user=False)


def exempt_when(app: Flask, predicate: Callable[[], bool]) -> None:
    """Skip ``app``'s rate limits for the requests ``predicate`` accepts (the sign-in delay
    after wrong passwords still applies). Nothing to skip when the limits are off."""
    limits: RateLimits | None = app.extensions.get(EXTENSION)
    if limits is not None:
        limits.exemptions.append(predicate)


def init_app(app: Flask, settings: BffSettings, clock: Callable[[], float] | None = None) -> None:
    """Build the app's limits and failure budgets (nothing when ``BFF_RATELIMIT_ENABLED`` is
    false); ``clock``: the store's, for counters kept in this process."""
    if not settings.ratelimit_enabled:
        app.extensions.pop(EXTENSION, None)
        app.extensions.pop(BUDGETS, None)
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
    storage = counter_storage(uri, options, clock)
    items = {name: parse_many(getattr(settings, f"ratelimit_{name}")) for name in LIMIT_NAMES}
    limits = RateLimits(storage, SlidingWindowCounterRateLimiter(storage), items)
    app.extensions[EXTENSION] = limits
    failure_budgets = budgets.from_settings(storage, settings)
    failure_budgets.exempt = limits.exempt  # the local QA allowance skips them too
    app.extensions[BUDGETS] = failure_budgets


def failure_budgets(app: Flask) -> Budgets:
    """The budgets the flows charge (bff.flows.budgets): none when rate limits are off."""
    found: Budgets | None = app.extensions.get(BUDGETS)
    return found if found is not None else UNLIMITED
