"""Failure budgets per step kind, counted in the rate limits' counters (bff.flows.budgets
says which steps charge which kind, and with which key).

Each kind has one or more windows (``BFF_FAILURES_CONFIRM``, ``BFF_FAILURES_RESET``,
``BFF_FAILURES_MFA``, ``BFF_MAILS_PER_USERNAME``: limits' notation, "10 per minute;50 per
hour"); a window starts at its key's first failure and lasts its period. A failure is
reserved (one atomic increment per window) before Cognito is called and given back when
the step did not fail, so concurrent guesses cannot all pass one check before any of them
is counted. Keys are hashed: the counters hold no username and no flow id.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

from limits import parse_many
from limits.storage import Storage

from bff.config import BffSettings
from bff.errors import RateLimited, retry_after
from bff.flows.budgets import Reservation
from bff.ops.metrics import count_rate_limit_refusal
from bff.security.counters import give_back, storage_now

#: Prefix of every failure counter's key.
KEY_PREFIX = "bff-fail"

#: What a spent budget tells the user, by kind.
MESSAGES = {
    "mfa": "Too many wrong answers for this sign-in. Sign in again, or wait {wait} seconds.",
    "confirm": "Too many wrong confirmation codes for this user. Try again in {wait} seconds.",
    "reset": "Too many wrong reset codes for this user. Try again in {wait} seconds.",
}


@dataclass(frozen=True)
class Window:
    """At most ``amount`` failures in ``seconds`` from the first one."""

    amount: int
    seconds: int


def windows(limits: str) -> tuple[Window, ...]:
    """The windows of a setting in limits' notation ("10 per minute;50 per hour")."""
    return tuple(Window(item.amount, item.get_expiry()) for item in parse_many(limits))


@dataclass
class _Held:
    """A reserved failure: the counters it was added to."""

    storage: Storage
    taken: list[tuple[str, int]]

    def release(self) -> None:
        for key, seconds in self.taken:
            give_back(self.storage, key, seconds)
        self.taken = []


def _never() -> bool:
    return False


class _Exempt:
    def release(self) -> None:
        return None


class FailureBudgets:
    """``bff.flows.budgets.Budgets`` over a counter storage, for every kind configured."""

    def __init__(self, storage: Storage, kinds: dict[str, tuple[Window, ...]]) -> None:
        self.storage = storage
        self.kinds = kinds
        #: Whether this request is exempt (the rate limits' exemptions: bff.qa_allowance).
        self.exempt: Callable[[], bool] = _never

    def reserve(self, kind: str, key: str) -> Reservation:
        if self.exempt():
            return _Exempt()
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        held = _Held(self.storage, [])
        for index, window in enumerate(self.kinds[kind]):
            counter = f"{KEY_PREFIX}:{kind}:{index}:{digest}"
            count = self.storage.incr(counter, window.seconds)
            held.taken.append((counter, window.seconds))
            if count > window.amount:
                expires = self.storage.get_expiry(counter)
                held.release()
                count_rate_limit_refusal(f"{kind}:budget")
                wait = max(1, math.ceil(expires - storage_now(self.storage)))
                message = MESSAGES.get(kind, "Too many attempts. Try again in {wait} seconds.")
                raise RateLimited(message.format(wait=wait), details=retry_after(wait))
        return held


def from_settings(storage: Storage, settings: BffSettings) -> FailureBudgets:
    """The budgets of ``settings`` (bff.flows.budgets names the kinds)."""
    mails = windows(settings.mails_per_username)
    return FailureBudgets(
        storage,
        {
            "confirm": windows(settings.failures_confirm),
            "reset": windows(settings.failures_reset),
            "mfa": windows(settings.failures_mfa),
            "mail_reset": mails,
            "mail_confirm": mails,
            "mail_temporary": mails,
        },
    )
