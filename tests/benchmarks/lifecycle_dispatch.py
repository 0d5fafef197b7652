"""Benchmark: why the lifecycle machine is built once and flows are dispatched through it.

Prints, measured in the same run: building a transitions.Machine per flow, attaching a flow
with add_model/remove_model, and dispatching a trigger on the shared machine (what
statemachine.Flow.fire does), each per flow, with ratios.

    .venv/bin/python tests/benchmarks/lifecycle_dispatch.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from transitions import Machine

from statemachine import Flow
from statemachine.lifecycle import MACHINE, NEW, STATES, TRANSITIONS

DEFINITION = [{k: v for k, v in t.items() if k != "doc"} for t in TRANSITIONS]


def per_flow_machine() -> None:
    flow = Flow()
    Machine(
        model=flow,
        states=list(STATES),
        transitions=DEFINITION,
        initial=NEW,
        auto_transitions=False,
        send_event=True,
    )


def attach_and_detach() -> None:
    flow = Flow()
    MACHINE.add_model(flow, initial=NEW)
    MACHINE.remove_model(flow)


def shared_dispatch() -> None:
    Flow().fire("signed_up")


def measure(fn: Callable[[], None], rounds: int) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        samples.append((time.perf_counter() - start) / rounds)
    return statistics.median(samples) * 1e6


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    results = {
        "Machine per flow": measure(per_flow_machine, rounds),
        "add_model + remove_model": measure(attach_and_detach, rounds),
        "Flow.fire on the shared machine": measure(shared_dispatch, rounds),
    }
    base = results["Flow.fire on the shared machine"]
    print(f"{'per flow':<34} {'µs':>9} {'× fire':>8}   (median of 5 x {rounds})")
    for name, micros in results.items():
        print(f"{name:<34} {micros:>9.1f} {micros / base:>8.1f}")


if __name__ == "__main__":
    main()
