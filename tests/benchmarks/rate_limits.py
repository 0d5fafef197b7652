"""Benchmark: one rate-limit check on ``memory://`` counters, ours against limits' own.

Run: .venv/bin/python tests/benchmarks/rate_limits.py [--checks N]

The same strategy (limits' sliding window counter, "1000000 per minute") over two
storages: bff.security.counters.MemoryCounters (expiry checked on read, a sweep from a
write every 5 s) and limits' MemoryStorage (a ``threading.Timer`` started from almost
every hit to drop expired counters). Each check hits a new key, as requests from many
clients do. Wall time and threads started, in alternating blocks; medians per check from
the same run. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from limits import parse  # noqa: E402
from limits.storage import MemoryStorage, Storage  # noqa: E402
from limits.strategies import SlidingWindowCounterRateLimiter  # noqa: E402

from bff.security.counters import MemoryCounters  # noqa: E402

BLOCK = 200


def _block(limiter: SlidingWindowCounterRateLimiter, offset: int) -> float:
    item = parse("1000000 per minute")
    began = time.perf_counter()
    for n in range(BLOCK):
        limiter.hit(item, "bench", f"client-{offset + n}")
    return (time.perf_counter() - began) / BLOCK


def measure(checks: int = 20000, echo: Callable[[str], None] = print) -> dict[str, float]:
    storages: dict[str, Storage] = {"ours": MemoryCounters(), "limits": MemoryStorage()}
    limiters = {name: SlidingWindowCounterRateLimiter(s) for name, s in storages.items()}
    samples: dict[str, list[float]] = {name: [] for name in storages}
    threads: dict[str, int] = {name: 0 for name in storages}
    original = threading.Thread.start
    current = [""]

    def counting_start(thread: threading.Thread) -> None:
        threads[current[0]] += 1
        original(thread)

    with patch.object(threading.Thread, "start", counting_start):
        for block in range(max(checks // BLOCK, 1)):
            for name, limiter in limiters.items():
                current[0] = name
                samples[name].append(_block(limiter, block * BLOCK))
    result = {f"{name}_us": statistics.median(s) * 1e6 for name, s in samples.items()}
    result["ratio"] = result["limits_us"] / result["ours_us"]
    total = max(checks // BLOCK, 1) * BLOCK
    echo(f"rate-limit check, memory://, {total} checks each (median per check):")
    for name in storages:
        echo(f"  {name:7s} {result[f'{name}_us']:7.1f} µs   threads started: {threads[name]}")
    echo(f"  limits' MemoryStorage / ours: {result['ratio']:.2f}x")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=20000)
    measure(parser.parse_args().checks)
