"""Benchmark: the sign-in delay's reservation against the check-then-count it replaced.

Run: .venv/bin/python tests/benchmarks/sign_in_delay.py [--burst N] [--rounds N]

Both protocols over the same counters, in-process (bff.security.counters.MemoryCounters)
and a private redis-server (limits' Redis storage): ``reserve`` (bff.security.throttle:
the failure counted before Cognito is called) and the former check, call, count. For
each: how many of a burst of N concurrent wrong passwords reach "Cognito" (a stand-in
that takes 20 ms and refuses), the counter operations of a right and of a wrong password,
and the median time of a right password's counter work. Same run, same machine; prints
figures and ratios, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from limits.storage import Storage  # noqa: E402

from bff.errors import SignInDelayed  # noqa: E402
from bff.security.counters import MemoryCounters, counter_storage  # noqa: E402
from bff.security.throttle import (  # noqa: E402
    FAILURE_WINDOW_SECONDS,
    SignInThrottle,
    failure_delay,
)
from tests.support.production import redis_server  # noqa: E402

FREE, CAP = 5, 60
COGNITO_SECONDS = 0.02


class CountingStorage:
    """A storage whose calls are counted by name (each is one round trip on Redis)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


class CheckThenCount:
    """The former protocol: check the wait, call Cognito, count the failure after."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage

    def attempt(self, username: str, cognito: Callable[[], bool]) -> bool:
        fail_key, wait_key = f"old-fail:{username}", f"old-wait:{username}"
        if self.storage.get(wait_key) > 0:
            self.storage.get_expiry(wait_key)  # the Retry-After
            return False
        if cognito():
            self.storage.clear(fail_key)
            self.storage.clear(wait_key)
            return True
        failures = self.storage.incr(fail_key, FAILURE_WINDOW_SECONDS)
        delay = failure_delay(failures, FREE, CAP)
        if delay:
            self.storage.clear(wait_key)
            self.storage.incr(wait_key, delay)
        return True


class Reserve:
    """bff.security.throttle's protocol."""

    def __init__(self, storage: Any) -> None:
        self.throttle = SignInThrottle(storage, FREE, CAP)

    def attempt(self, username: str, cognito: Callable[[], bool]) -> bool:
        try:
            attempt = self.throttle.reserve(username)
        except SignInDelayed:
            return False
        if cognito():
            self.throttle.succeeded(attempt)
        else:
            self.throttle.failed(attempt)
        return True


def burst(protocol: Any, username: str, size: int) -> int:
    """``size`` wrong passwords at once; how many reached Cognito."""
    reached: list[int] = []
    start = threading.Barrier(size)

    def wrong() -> bool:
        reached.append(1)
        time.sleep(COGNITO_SECONDS)
        return False

    def one() -> None:
        start.wait()
        protocol.attempt(username, wrong)

    threads = [threading.Thread(target=one) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(reached)


def operations(protocol: Any, storage: CountingStorage, username: str, right: bool) -> int:
    storage.calls.clear()
    protocol.attempt(username, lambda: right)
    return sum(storage.calls.values())


def right_password_seconds(protocol: Any, rounds: int) -> float:
    samples = []
    for n in range(rounds):
        began = time.perf_counter()
        protocol.attempt(f"timed-{n}", lambda: True)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


@contextmanager
def storages() -> Iterator[Iterator[tuple[str, Storage]]]:
    with redis_server() as url:
        yield iter([("memory", MemoryCounters()), ("redis", counter_storage(url, {}))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    print(
        f"burst of {args.burst} wrong passwords, Cognito "
        f"{COGNITO_SECONDS * 1000:.0f} ms, free {FREE}"
    )
    with storages() as found:
        for name, inner in found:
            storage = CountingStorage(inner)
            old, new = CheckThenCount(storage), Reserve(storage)
            through_old = burst(old, f"{name}-burst-old", args.burst)
            through_new = burst(new, f"{name}-burst-new", args.burst)
            ops = {
                label: (
                    operations(protocol, storage, f"{name}-ops-{label}", right=True),
                    operations(protocol, storage, f"{name}-ops-{label}-w", right=False),
                )
                for label, protocol in (("old", old), ("new", new))
            }
            seconds_old = right_password_seconds(old, args.rounds)
            seconds_new = right_password_seconds(new, args.rounds)
            print(
                f"{name:6} reached Cognito: check-then-count {through_old}, reserve "
                f"{through_new}; counter operations right/wrong password: "
                f"old {ops['old'][0]}/{ops['old'][1]}, new {ops['new'][0]}/{ops['new'][1]}; "
                f"right password's counter work: old {seconds_old * 1e6:.0f} us, new "
                f"{seconds_new * 1e6:.0f} us (ratio {seconds_new / seconds_old:.2f})"
            )


if __name__ == "__main__":
    main()
