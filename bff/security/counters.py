"""Where rate-limit and sign-in-failure counters live: Redis, or this process's memory.

``counter_storage(url, options)`` gives the `limits` library's Redis storage for a Redis
URL (shared by every instance: one count for the whole deployment) and ``MemoryCounters``
for ``memory://`` (one count per process; with several SQLite workers each counts alone,
as docs/security.md says).

``MemoryCounters`` is ours rather than limits' ``MemoryStorage``, which starts a
``threading.Timer`` from almost every hit to drop expired counters: a thread start per
request, which a busy machine makes cost milliseconds (tests/benchmarks/step_overhead.py).
Counters here check their own expiry when read, and the expired ones are swept from the
request that comes ``SWEEP_INTERVAL_SECONDS`` after the last sweep: no thread at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from limits.storage import SlidingWindowCounterSupport, Storage, storage_from_string
from limits.storage.base import TimestampedSlidingWindow


class MemoryCounters(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Expiring counters in this process, with the sliding-window-counter support limits'
    strategy needs. Thread-safe (one lock); ``clock`` is movable for tests."""

    STORAGE_SCHEME = None  # built directly, never registered as a URL scheme of limits
    SWEEP_INTERVAL_SECONDS = 5.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._expiry: dict[str, float] = {}
        self._next_sweep = clock() + self.SWEEP_INTERVAL_SECONDS

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def now(self) -> float:
        """The counters' clock (epoch seconds)."""
        return self._clock()

    def __len__(self) -> int:
        """How many counters are held (expired ones until the next sweep)."""
        return len(self._counts)

    def sweep(self) -> int:
        """Drop every expired counter now; return how many went."""
        with self._lock:
            return self._sweep(self._clock())

    def _sweep(self, now: float) -> int:
        expired = [key for key, at in self._expiry.items() if at <= now]
        for key in expired:
            del self._counts[key], self._expiry[key]
        self._next_sweep = now + self.SWEEP_INTERVAL_SECONDS
        return len(expired)

    def _live(self, key: str, now: float) -> int:
        if self._expiry.get(key, now + 1) <= now:
            del self._counts[key], self._expiry[key]
        return self._counts.get(key, 0)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        with self._lock:
            now = self._clock()
            if now >= self._next_sweep:
                self._sweep(now)
            count = self._live(key, now) + amount
            self._counts[key] = count
            if count == amount:  # a new counter: its window starts now
                self._expiry[key] = now + expiry
            return count

    def decr(self, key: str, amount: int = 1) -> int:
        with self._lock:
            count = max(0, self._live(key, self._clock()) - amount)
            if key in self._counts:
                self._counts[key] = count
            return count

    def get(self, key: str) -> int:
        with self._lock:
            return self._live(key, self._clock())

    def get_expiry(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            return self._expiry.get(key, now) if self._live(key, now) else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            self._expiry.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._expiry.pop(key, None)

    def _window(self, key: str, expiry: int, now: float) -> tuple[int, float, int, float]:
        # limits' formula (limits.storage.MemoryStorage): the previous window's count, how
        # long its weight lasts, the current window's count and how long it lasts.
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous = self._live(previous_key, now)
        current = self._live(current_key, now)
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        with self._lock:
            now = self._clock()
            previous, previous_ttl, current, _ = self._window(key, expiry, now)
            if int(previous * previous_ttl / expiry + current) + amount > limit:
                return False
            _, current_key = self.sliding_window_keys(key, expiry, now)
            self._counts[current_key] = current + amount
            if current == 0:
                self._expiry[current_key] = now + 2 * expiry
            return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        with self._lock:
            return self._window(key, expiry, self._clock())

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        for window_key in self.sliding_window_keys(key, expiry, self._clock()):
            self.clear(window_key)


def give_back(storage: Storage, key: str, seconds: int) -> None:
    """Take one back from the counter ``key`` (``seconds``: its window). limits' Redis
    storage has no decrement: an increment by -1 it is. A counter that went meanwhile (its
    window ended, or a success cleared it) would come back at -1, a free failure for its
    next window: it is cleared instead."""
    if storage.incr(key, seconds, amount=-1) < 0:
        storage.clear(key)


def storage_now(storage: Storage) -> float:
    """The time the counters of ``storage`` expire by: this process's counters' clock, or
    the epoch (Redis keeps the counters' TTLs; ``get_expiry`` answers in epoch seconds)."""
    if isinstance(storage, MemoryCounters):
        return storage.now()
    return time.time()


def counter_storage(
    url: str, options: Mapping[str, Any], clock: Callable[[], float] | None = None
) -> Storage:
    """The counters' storage for ``BFF_RATELIMIT_STORAGE_URL``; ``clock`` (epoch seconds,
    the store's: tests move it) for the process's own counters."""
    if url.startswith("memory://"):
        return MemoryCounters(clock or time.time)
    storage = storage_from_string(url, **options)
    if not isinstance(storage, Storage):  # limits' async storages: never for these schemes
        raise ValueError(f"{url.split(':', 1)[0]}: not a synchronous counter storage")
    return storage
