"""Sign-in: per client address a rate limit; per username progressive delays, counted on
failed passwords only.

OWASP Authentication Cheat Sheet, "account lockout": delays, not hard lockouts (Cognito's
own model for wrong passwords is the same). Only wrong passwords count, and a right one
resets the count: a stranger cannot lock a user out, only make the next try wait at most
``BFF_SIGN_IN_DELAY_CAP_SECONDS`` after their last failure. A delayed try raises
``SignInDelayed`` (429 ``sign_in_delayed`` with ``Retry-After``). Counters live with the
rate limits' (bff.security.counters), keyed by a hash of the username.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app
from limits.storage import Storage

from bff.config import BffSettings
from bff.errors import NotAuthorized, SignInDelayed, retry_after
from bff.security import rate_limits

EXTENSION = "bff_sign_in_throttle"
#: Failures are forgotten this long after the first of a series (and at once on success).
FAILURE_WINDOW_SECONDS = 3600

F = TypeVar("F", bound=Callable[..., Any])


def failure_delay(failures: int, free: int, cap: int) -> int:
    """Seconds a username waits after ``failures`` wrong passwords: none for the first
    ``free - 1``, then 1, 2, 4, ... doubling, never more than ``cap``."""
    if failures < free:
        return 0
    return int(min(cap, 2 ** (failures - free)))


class SignInThrottle:
    """Per-username progressive delays over a counter storage."""

    def __init__(self, storage: Storage, free: int, cap: int) -> None:
        self.storage = storage
        self.free = free
        self.cap = cap

    @staticmethod
    def _keys(username: str) -> tuple[str, str]:
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        return f"bff-signin-fail:{digest}", f"bff-signin-wait:{digest}"

    def wait(self, username: str) -> int:
        """Seconds left before ``username`` may try again (0: now)."""
        _, wait_key = self._keys(username)
        if self.storage.get(wait_key) <= 0:
            return 0
        return max(1, math.ceil(self.storage.get_expiry(wait_key) - time.time()))

    def failed(self, username: str) -> None:
        fail_key, wait_key = self._keys(username)
        failures = self.storage.incr(fail_key, FAILURE_WINDOW_SECONDS)
        delay = failure_delay(failures, self.free, self.cap)
        if delay:
            self.storage.clear(wait_key)
            self.storage.incr(wait_key, delay)

    def succeeded(self, username: str) -> None:
        for key in self._keys(username):
            self.storage.clear(key)


def _throttled(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        throttle: SignInThrottle | None = current_app.extensions.get(EXTENSION)
        username = rate_limits.username_of_request() if throttle is not None else None
        if throttle is None or not username:
            return view(*args, **kwargs)
        wait = throttle.wait(username)
        if wait:
            raise SignInDelayed(
                f"Too many failed sign-ins for this user. Try again in {wait} seconds.",
                details=retry_after(wait),
            )
        try:
            result = view(*args, **kwargs)
        except NotAuthorized:
            throttle.failed(username)
            raise
        throttle.succeeded(username)
        return result

    return cast(F, wrapper)


_by_client = rate_limits.limit("sign_in", per_user=False)


def limit_sign_in(view: F) -> F:
    """Rate-limit sign-in per client address (BFF_RATELIMIT_SIGN_IN) and delay it per
    username after failed passwords only (``SignInThrottle``)."""
    return _by_client(_throttled(view))


def init_app(app: Flask, settings: BffSettings) -> None:
    """The throttle shares the rate limits' counters; off when they are."""
    limits: rate_limits.RateLimits | None = app.extensions.get(rate_limits.EXTENSION)
    if limits is None:
        app.extensions.pop(EXTENSION, None)
        return
    app.extensions[EXTENSION] = SignInThrottle(
        limits.storage, settings.sign_in_free_failures, settings.sign_in_delay_cap_seconds
    )
