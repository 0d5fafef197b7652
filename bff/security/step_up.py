"""Step-up on account changes: a budget of wrong current passwords per session.

Changing the password (ChangePassword checks the current one) and replacing the
authenticator app (the BFF checks the current password first) both ask for the current
password, so a stolen session alone changes neither. Each attempt is counted against the
session *before* Cognito is asked (an atomic increment in the rate limits' counters: Redis
when the store is Redis), so a burst of parallel guesses gets no more tries than one after
another. A right password clears the count; an attempt that fails for another reason (a
weak new password, an outage) gives its reservation back.

The ``FAILURES``-th wrong password ends the session (``on_exhausted``: the caller revokes
its tokens and deletes it) and answers 401 ``step_up_failed``; before that a wrong one is
400 ``incorrect_password`` with ``details.attempts_left``. Why three: a user who mistypes
their own password gets it right within two more tries (the count is per session and a
right one resets it), while a session thief, who has no password, gets three guesses and
then needs a full sign-in, password and MFA. Three is also sudo's default
(``passwd_tries``). Unlike sign-in's per-username delays this cannot lock anyone out: it
only ends the session doing the guessing.

The budget holds whether or not the rate limits are on (``BFF_RATELIMIT_ENABLED``): with
them off it keeps its own counters, in Redis when the rate limits' storage URL is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app
from limits.storage import Storage

from bff.config import BffSettings
from bff.errors import IncorrectPassword, StepUpFailed
from bff.security import rate_limits
from bff.security.counters import counter_storage
from bff.store.redis_connect import limiter_storage

EXTENSION = "bff_step_up"
#: Wrong current passwords in one session before it ends (the third ends it).
FAILURES = 3

T = TypeVar("T")


@dataclass(frozen=True)
class StepUp:
    """The wrong-password counters of one app; a count lives as long as a session may."""

    storage: Storage
    window_seconds: int
    failures: int = FAILURES

    @staticmethod
    def key(sid: str) -> str:
        return "bff-step-up:" + hashlib.sha256(sid.encode()).hexdigest()[:32]

    def failures_of(self, sid: str) -> int:
        return int(self.storage.get(self.key(sid)))

    def check(self, sid: str, run: Callable[[], T], on_exhausted: Callable[[], None]) -> T:
        """Run an attempt that checks the current password, counted against ``sid``."""
        key = self.key(sid)
        attempt = self.storage.incr(key, self.window_seconds)
        if attempt > self.failures:  # spent by attempts running beside this one
            on_exhausted()
            raise StepUpFailed()
        try:
            result = run()
        except IncorrectPassword as wrong:
            if attempt >= self.failures:
                on_exhausted()
                raise StepUpFailed() from None
            wrong.details["attempts_left"] = self.failures - attempt
            raise
        except BaseException:
            self.storage.incr(key, self.window_seconds, amount=-1)
            raise
        self.storage.clear(key)
        return result


def step_up() -> StepUp:
    found: StepUp = current_app.extensions[EXTENSION]
    return found


def init_app(app: Flask, settings: BffSettings) -> None:
    """Share the rate limits' counters; build the same kind when the limits are off."""
    limits: rate_limits.RateLimits | None = app.extensions.get(rate_limits.EXTENSION)
    if limits is not None:
        storage = limits.storage
    else:
        uri, options = limiter_storage(
            settings.ratelimit_storage_url,
            timeout=settings.store_timeout_seconds,
            tls=settings.store_tls,
            iam=settings.store_iam,
        )
        storage = counter_storage(uri, options)
    app.extensions[EXTENSION] = StepUp(storage, settings.session_absolute_seconds)
