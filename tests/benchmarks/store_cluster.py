"""The Redis store's compare-and-set on one node and on a Redis Cluster, in the same run.

Starts a private redis-server and a six-node cluster (three primaries with a replica each,
tests/support/redis_topologies.py) on loopback, then saves flows (the flow store's
compare-and-set script, uncontended: each save wins) from one thread and from several
threads, and prints operations per second for each and the cluster/node ratio. Both run
side by side, rounds alternating between them (the median of ``ROUNDS``), so a change in the
machine's load falls on both. The cluster client pays for routing each key to its slot's
primary; three primaries can serve more at once than one node when the client is not the
bottleneck. Figures, not assertions.

    .venv/bin/python tests/benchmarks/store_cluster.py [--ops N] [--threads T]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cryptography.fernet import Fernet  # noqa: E402

from bff.store import Store, open_store  # noqa: E402
from statemachine.flow import Flow  # noqa: E402
from tests.support.redis_topologies import redis_cluster, start_server  # noqa: E402

ROUNDS = 3


def _saves_per_second(store: Store, ops: int, threads: int) -> float:
    """``ops`` compare-and-set saves shared by ``threads`` threads, each on its own flows."""
    per_thread = max(1, ops // threads)
    flows = [[Flow(username=f"b{t}-{i}@example.com") for i in range(16)] for t in range(threads)]
    for own in flows:
        for flow in own:
            store.flows.create(flow, 600)
    start = threading.Barrier(threads + 1)

    def saves(own: list[Flow]) -> None:
        start.wait()
        for i in range(per_thread):
            store.flows.save(own[i % len(own)], 600)  # wins: this thread owns the flow

    workers = [threading.Thread(target=saves, args=(own,)) for own in flows]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - began)


def _alternating(stores: list[Store], ops: int, threads: int) -> list[float]:
    """The median saves/s of each store over ``ROUNDS`` rounds taken in turn."""
    samples: list[list[float]] = [[] for _ in stores]
    for _ in range(ROUNDS):
        for store, found in zip(stores, samples, strict=True):
            found.append(_saves_per_second(store, ops, threads))
    return [statistics.median(found) for found in samples]


def measure(ops: int = 4000, threads: int = 8, echo: Any = print) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        node = start_server(Path(tmp) / "node", [])
        try:
            with redis_cluster(Path(tmp) / "cluster") as cluster:
                key = Fernet.generate_key()
                stores = [
                    open_store(f"redis://127.0.0.1:{node.port}/0", key=key),
                    open_store(cluster.url, key=key),
                ]
                try:
                    for store in stores:  # warm: connections made, scripts loaded
                        _saves_per_second(store, min(ops, 200), 1)
                    node_one, cluster_one = _alternating(stores, ops, 1)
                    node_many, cluster_many = _alternating(stores, ops, threads)
                finally:
                    for store in stores:
                        store.close()
        finally:
            node.stop()
    echo(f"flow compare-and-set saves/s, {ops} saves a round, median of {ROUNDS} (loopback):")
    echo(f"  {'':<22} {'1 thread':>10} {f'{threads} threads':>12}")
    echo(f"  {'one node':<22} {node_one:>10,.0f} {node_many:>12,.0f}")
    echo(f"  {'cluster (3 primaries)':<22} {cluster_one:>10,.0f} {cluster_many:>12,.0f}")
    echo(
        f"  cluster / node: {cluster_one / node_one:.2f}x (1 thread), "
        f"{cluster_many / node_many:.2f}x ({threads} threads)"
    )
    return {
        "node_ops": node_one,
        "cluster_ops": cluster_one,
        "ratio": cluster_one / node_one,
        "node_threaded_ops": node_many,
        "cluster_threaded_ops": cluster_many,
        "threaded_ratio": cluster_many / node_many,
        "threads": float(threads),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=8)
    arguments = parser.parse_args()
    measure(arguments.ops, arguments.threads)
