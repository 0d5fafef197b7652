"""Every speed goal of the BFF, measured side by side in one run, as one table.

Run: .venv/bin/python tests/benchmarks/run_all.py [--quick]

Runs import_time.py, journey.py, qr.py, step_overhead.py, srp_device.py, relay.py,
throughput.py and store_cluster.py (each also runs alone; each module's docstring says what
it measures), prints their own lines, then a table with each goal next to the measured
figure and ratio. Ratios compare two things measured in the same run on the same machine;
nothing is asserted.
docs/performance.md has the figures of a run and the machine it ran on. --quick: fewer
rounds (a smoke run).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_time  # noqa: E402
import journey  # noqa: E402
import qr  # noqa: E402
import relay  # noqa: E402
import srp_device  # noqa: E402
import step_overhead  # noqa: E402
import store_cluster  # noqa: E402
import throughput  # noqa: E402


def _section(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run")
    quick = parser.parse_args().quick

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    _section("import bff.app vs its runtime dependencies")
    imports = import_time.measure(rounds=3 if quick else 10)
    _section("whole journey: BFF over HTTP vs boto3 direct")
    trip = journey.measure(rounds=3 if quick else 10)
    _section("QR code")
    code = qr.measure(rounds=50 if quick else 300)
    _section("BFF step overhead")
    step = step_overhead.measure(requests=200 if quick else 2000)
    _section("device SRP client CPU")
    device = srp_device.measure(rounds=50 if quick else 300)
    _section("token relay: proxied GET vs the same GET direct")
    proxy = relay.measure(requests=300 if quick else 2000, seconds=3 if quick else 10)
    _section("throughput")
    rates = throughput.measure(per_browser=1 if quick else 4)
    _section("Redis store: compare-and-set on one node vs a cluster")
    cas = store_cluster.measure(ops=500 if quick else 4000)

    rows = [
        (
            "import bff.app / its deps",
            f"<= {import_time.GOAL}x",
            f"{imports['app_ms']:.0f} ms / {imports['deps_ms']:.0f} ms",
            imports["ratio"],
            import_time.GOAL,
        ),
        (
            "journey via BFF / boto3, wall",
            f"<= {journey.GOAL}x",
            f"{trip['bff_ms']:.0f} ms / {trip['direct_ms']:.0f} ms",
            trip["ratio"],
            journey.GOAL,
        ),
        (
            "  floor: bare forwarder / boto3",
            "(none)",
            f"{trip['forwarder_ms']:.0f} ms / {trip['direct_ms']:.0f} ms",
            trip["floor_ratio"],
            None,
        ),
        (
            "journey via BFF / boto3, CPU",
            f"<= {journey.GOAL}x",
            f"{trip['bff_cpu_ms']:.0f} ms / {trip['direct_cpu_ms']:.0f} ms",
            trip["cpu_ratio"],
            journey.GOAL,
        ),
        (
            "QR code (SVG, decodes)",
            f"<= {qr.GOAL_MS:g} ms",
            f"{code['qr_ms']:.2f} ms" + ("" if code["decodes"] else " (NO DECODE)"),
            code["ratio"],
            1.0,
        ),
        (
            "BFF step / bare Flask POST",
            f"<= {step_overhead.GOAL}x",
            f"{step['step_us']:.0f} us / {step['bare_us']:.0f} us",
            step["ratio"],
            step_overhead.GOAL,
        ),
    ]
    rows.append(
        (
            "CAS saves/s cluster / node",
            "(none)",
            f"{cas['cluster_ops']:,.0f} / {cas['node_ops']:,.0f} /s",
            cas["ratio"],
            None,
        )
    )
    rows.append(
        (
            f"  {cas['threads']:.0f} threads: cluster / node",
            "(none)",
            f"{cas['cluster_threaded_ops']:,.0f} / {cas['node_threaded_ops']:,.0f} /s",
            cas["threaded_ratio"],
            None,
        )
    )
    rows += [
        (
            "relay: added latency, median",
            f"<= {relay.GOAL_ADDED_MS:g} ms",
            f"{proxy['proxied_median_ms']:.2f} - {proxy['direct_median_ms']:.2f} ms",
            proxy["added_median_ms"] / relay.GOAL_ADDED_MS,
            1.0,
        ),
        (
            "  p99 proxied / direct",
            "(none)",
            f"{proxy['proxied_p99_ms']:.2f} / {proxy['direct_p99_ms']:.2f} ms",
            proxy["proxied_p99_ms"] / proxy["direct_p99_ms"],
            None,
        ),
        (
            "relay: proxied GETs/s, 1 worker",
            f">= {relay.GOAL_RPS:g}/s",
            f"{proxy['rps']:.0f}/s",
            relay.GOAL_RPS / proxy["rps"],
            1.0,
        ),
    ]
    if device:
        rows.append(
            (
                "device SRP / 3 GMP powmods",
                f"<= {srp_device.GOAL}x",
                f"{device['ours_ms']:.2f} ms / {device['floor_ms']:.2f} ms",
                device["ratio"],
                srp_device.GOAL,
            )
        )
    print("\n" + f"{'benchmark':<32} {'goal':<10} {'measured':<24} {'ratio':>6}  met")
    for name, goal, measured, ratio, limit in rows:
        met = "-" if limit is None else "yes" if ratio <= limit else "NO"
        shown = f"{ratio:.2f}x" if "ms" not in goal else f"{ratio:.2f}"
        print(f"{name:<32} {goal:<10} {measured:<24} {shown:>6}  {met}")
    print(f"\n{'journeys/s':<32} " + "  ".join(f"{n:>2} browsers" for n in throughput.LEVELS))
    for setup, by_level in rates.items():
        print(f"{setup:<32} " + "  ".join(f"{by_level[n]:>10.2f}" for n in throughput.LEVELS))
    print(
        "(QR and relay ratios: measured / goal, goal / measured for requests/s. Other "
        "benchmarks in this folder print their own figures.)"
    )


if __name__ == "__main__":
    main()
