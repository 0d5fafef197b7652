"""Sign-in: per client address a rate limit; per username progressive delays, counted on
failed passwords only.

OWASP Authentication Cheat Sheet, "account lockout": delays, not hard lockouts (Cognito's
own model for wrong passwords is the same). Only wrong passwords count, and a right one
(Cognito accepted it: bff.flows.budgets.password_accepted) resets the count, so a stranger
cannot lock a user out, only make the next try wait at most
``BFF_SIGN_IN_DELAY_CAP_SECONDS`` after their last failure. A step that succeeds without a
password (an emailed code chosen at choice-based sign-in) resets nothing: else a stranger
could wipe the count between guesses. A delayed try raises
``SignInDelayed`` (429 ``sign_in_delayed`` with ``Retry-After``). Counters live with the
rate limits' (bff.security.counters), keyed by a hash of the username's normal form
(bff.usernames).

The check is a reservation, made before Cognito is called: each try adds itself to the
failures first (one atomic increment), and a try whose failure would arm a delay must also
take the wait itself (a second atomic increment, on the wait's counter: only the first
taker finds it new). So of a burst of any size, the ``free`` first tries and one more reach
Cognito; sustained, one try per delay. A right password clears both counters; a try that
ended otherwise (an outage, a refused device) gives its reservation back.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Flask, current_app
from limits.storage import Storage

from bff.config import BffSettings
from bff.errors import NotAuthorized, SignInDelayed, retry_after
from bff.flows.budgets import watching_passwords
from bff.security import rate_limits
from bff.security.counters import give_back, storage_now
from bff.usernames import username_digest

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


@dataclass
class Attempt:
    """A reserved sign-in failure for one username: its counters, and whether this try
    took the wait (armed the delay the next try meets)."""

    fail_key: str
    wait_key: str
    holds_wait: bool


class SignInThrottle:
    """Per-username progressive delays over a counter storage."""

    def __init__(self, storage: Storage, free: int, cap: int) -> None:
        self.storage = storage
        self.free = free
        self.cap = cap

    @staticmethod
    def _keys(username: str) -> tuple[str, str]:
        digest = username_digest(username)
        return f"bff-signin-fail:{digest}", f"bff-signin-wait:{digest}"

    def wait(self, username: str) -> int:
        """Seconds left before ``username`` may try again (0: now)."""
        return self._wait_left(self._keys(username)[1])

    def _wait_left(self, wait_key: str) -> int:
        if self.storage.get(wait_key) <= 0:
            return 0
        expires = self.storage.get_expiry(wait_key)
        return max(1, math.ceil(expires - storage_now(self.storage)))

    def reserve(self, username: str) -> Attempt:
        """Count this try as a failure before Cognito sees it; ``SignInDelayed`` when the
        username must wait (then nothing stays counted)."""
        fail_key, wait_key = self._keys(username)
        wait = self._wait_left(wait_key)
        if not wait:
            failures = self.storage.incr(fail_key, FAILURE_WINDOW_SECONDS)
            delay = failure_delay(failures, self.free, self.cap)
            if not delay or self.storage.incr(wait_key, delay) == 1:
                return Attempt(fail_key, wait_key, holds_wait=bool(delay))
            # Another try holds the wait already: this one is delayed, not counted.
            give_back(self.storage, fail_key, FAILURE_WINDOW_SECONDS)
            wait = self._wait_left(wait_key) or 1
        raise SignInDelayed(
            f"Too many failed sign-ins for this user. Try again in {wait} seconds.",
            details=retry_after(wait),
        )

    @staticmethod
    def failed(attempt: Attempt) -> None:
        """A wrong password: the reservation stands (nothing to write)."""

    def succeeded(self, attempt: Attempt) -> None:
        """A right password resets the count, and any wait this try armed."""
        self.storage.clear(attempt.fail_key)
        if attempt.holds_wait:
            self.storage.clear(attempt.wait_key)

    def released(self, attempt: Attempt) -> None:
        """Neither right nor wrong (an outage, a refused step): the try is given back."""
        give_back(self.storage, attempt.fail_key, FAILURE_WINDOW_SECONDS)
        if attempt.holds_wait:
            self.storage.clear(attempt.wait_key)


def _throttled(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        throttle: SignInThrottle | None = current_app.extensions.get(EXTENSION)
        username = rate_limits.username_of_request() if throttle is not None else None
        if throttle is None or not username:
            return view(*args, **kwargs)
        attempt = throttle.reserve(username)
        with watching_passwords() as accepted:
            try:
                result = view(*args, **kwargs)
            except NotAuthorized:
                throttle.failed(attempt)
                raise
            except BaseException:
                throttle.released(attempt)
                raise
            if accepted():
                throttle.succeeded(attempt)
            else:  # a step that proved no password (an emailed code chosen) resets nothing
                throttle.released(attempt)
        return result

    return cast(F, wrapper)


_by_client = rate_limits.limit("sign_in", per_user=False)


#: The per-username delay alone, for a challenge answer that may carry a password (the
#: PASSWORD factor at SELECT_CHALLENGE): its own per-address limit is the MFA one.
throttle_passwords = _throttled


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
