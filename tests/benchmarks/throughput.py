"""Benchmark: whole journeys per second with 1, 4 and 16 concurrent browsers.

Run: .venv/bin/python tests/benchmarks/throughput.py [--journeys-per-browser N]

Two set-ups, each against a local Cognito in its own process (`bff local-cognito`):

* gunicorn with the shipped config (bff.gunicorn_conf), 2 workers of 4 threads, Redis store;
* `bff serve` (werkzeug's threaded development server, one process), SQLite store.

Each browser runs the journey of tests/benchmarks/journey.py (sign-up to remembered-device
sign-in, 8 steps) over and over; journeys/s = completed journeys / wall time. While a level
runs, the CPU seconds each process used (from /proc) show which one saturates: with 2 cores,
a process using ~1 CPU-second per second is a single-threaded (GIL-bound) bottleneck.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from journey import bff_journey, serve_env  # noqa: E402

from bff.local_outbox import OutboxReader  # noqa: E402
from tests.support.production import (  # noqa: E402
    TICKS,
    children_named,
    cpu_seconds,
    gunicorn,
    local_cognito_process,
    redis_server,
)
from tests.support.serve import bff_serve  # noqa: E402

LEVELS = (1, 4, 16)


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def run_level(base_url: str, outbox: OutboxReader, browsers: int, per_browser: int) -> float:
    errors: list[BaseException] = []

    def browser() -> None:
        try:
            for _ in range(per_browser):
                bff_journey(base_url, outbox)
        except BaseException as exc:  # reported after the level
            errors.append(exc)

    threads = [threading.Thread(target=browser) for _ in range(browsers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} browsers failed: {errors[0]!r}")
    return browsers * per_browser / elapsed


def measure_setup(
    name: str,
    base_url: str,
    outbox: OutboxReader,
    processes: dict[str, Callable[[], float]],
    per_browser: int,
    echo: Any,
) -> dict[int, float]:
    bff_journey(base_url, outbox)  # warm
    rates = {}
    for browsers in LEVELS:
        before = {label: cpu() for label, cpu in processes.items()}
        busy_before, total_before = _machine_busy()
        began = time.perf_counter()
        rate = run_level(base_url, outbox, browsers, max(per_browser * 4 // browsers, 1))
        wall = time.perf_counter() - began
        used = {label: (cpu() - before[label]) / wall for label, cpu in processes.items()}
        busy_after, total_after = _machine_busy()
        machine = (busy_after - busy_before) / (total_after - total_before)
        rates[browsers] = rate
        load = ", ".join(f"{label} {share:.2f}" for label, share in used.items())
        echo(
            f"{name:<30} {browsers:>2} browsers: {rate:5.2f} journeys/s | CPU-s per s: {load}"
            f" | machine {machine:.0%} busy ({os.cpu_count()} cores, all users)"
        )
    return rates


def measure(per_browser: int = 4, echo: Any = print) -> dict[str, dict[int, float]]:
    results: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as folder:
        workdir = Path(folder)
        with local_cognito_process(workdir) as cognito:
            outbox = OutboxReader(cognito.endpoint_url)
            cognito_pid = cognito.pid
            with redis_server() as redis_url:
                env = serve_env(cognito, workdir)
                env["BFF_STORE_URL"] = redis_url
                with gunicorn(env, workdir, "bench", "--workers", "2", "--threads", "4") as app:
                    redis_pids = children_named("redis-server")
                    results["gunicorn 2x4 + Redis"] = measure_setup(
                        "gunicorn 2 workers + Redis",
                        app.base_url,
                        outbox,
                        {
                            "local Cognito": lambda: cpu_seconds(cognito_pid),
                            "gunicorn": lambda: cpu_seconds(app.process.pid),
                            "redis": lambda: sum(cpu_seconds(p) for p in redis_pids),
                            "client": time.process_time,
                        },
                        per_browser,
                        echo,
                    )
            serve_dir = workdir / "serve"
            serve_dir.mkdir()
            with bff_serve(serve_dir, serve_env(cognito, serve_dir)) as urls:
                serve_pid = [p for p in children_named("bff") if p != cognito_pid][0]
                results["bff serve"] = measure_setup(
                    "bff serve (werkzeug) + SQLite",
                    urls["BFF"].removesuffix("/api"),
                    outbox,
                    {
                        "local Cognito": lambda: cpu_seconds(cognito_pid),
                        "bff serve": lambda: cpu_seconds(serve_pid),
                        "client": time.process_time,
                    },
                    per_browser,
                    echo,
                )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--journeys-per-browser", type=int, default=4)
    measure(parser.parse_args().journeys_per_browser)
