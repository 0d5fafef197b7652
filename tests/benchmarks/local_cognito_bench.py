"""What the local Cognito benchmarks share: moto's dummy AWS credentials, one password,
and timing helpers (samples in milliseconds; a median and p90 line).

Imported by local_cognito_latency.py and local_cognito_state.py, which run as scripts
(their folder is first on sys.path). Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

PASSWORD = "Correct-h0rse!"


def timed(fn: Callable[[], Any], rounds: int) -> list[float]:
    """Run ``fn`` ``rounds`` times; each run's wall time in milliseconds."""
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    """One line: the median and p90 of ``samples`` (milliseconds)."""
    p90 = sorted(samples)[max(int(len(samples) * 0.9) - 1, 0)]
    return f"median {statistics.median(samples):7.2f} ms  p90 {p90:7.2f} ms"
