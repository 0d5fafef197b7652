"""`import bff.app` against the import of its own runtime dependencies, in fresh processes.

Run: .venv/bin/python tests/benchmarks/import_time.py [--rounds N]

Each round starts two new interpreters: one imports the libraries the runtime needs
(flask, flask-smorest, marshmallow, transitions, boto3, cryptography, redis,
prometheus-client, zxing-cpp, gmpy2, warrant-lite, python-dotenv, limits), the other
imports ``bff.app`` (which imports those and the project's own runtime modules). The
median wall time of each, their ratio against the goal (<= 1.15x: the project's own
modules may add 15 %), and the modules each loaded are printed. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

GOAL = 1.15
DEPENDENCIES = (
    "flask",
    "flask_smorest",
    "marshmallow",
    "transitions",
    "boto3",
    "botocore.config",
    "cryptography.fernet",
    "redis",
    "prometheus_client",
    "zxingcpp",
    "gmpy2",
    "warrant_lite",
    "dotenv",
    "limits",
)
_TIMED = (
    "import sys, time\nstart = time.perf_counter()\n{imports}\n"
    "print(time.perf_counter() - start, len(sys.modules), "
    "sum(m.split('.')[0] == 'moto' for m in sys.modules))"
)


def _run(imports: str) -> tuple[float, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", _TIMED.format(imports=imports)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def measure(rounds: int = 10) -> dict[str, float]:
    deps, app = [], []
    for _ in range(rounds):
        # Alternate, so that a burst of load on the machine hits both sides alike.
        deps.append(_run("\n".join(f"import {name}" for name in DEPENDENCIES)))
        app.append(_run("import bff.app"))
    deps_s = statistics.median(r[0] for r in deps)
    app_s = statistics.median(r[0] for r in app)
    result = {
        "deps_ms": deps_s * 1000,
        "app_ms": app_s * 1000,
        "ratio": app_s / deps_s,
        "deps_modules": deps[-1][1],
        "app_modules": app[-1][1],
        "app_moto_modules": app[-1][2],
    }
    print(
        f"runtime dependencies: median {result['deps_ms']:.0f} ms, "
        f"{result['deps_modules']} modules ({rounds} fresh processes)"
    )
    print(
        f"import bff.app:       median {result['app_ms']:.0f} ms, "
        f"{result['app_modules']} modules, {result['app_moto_modules']} of them moto's"
    )
    print(f"ratio {result['ratio']:.2f}x (goal <= {GOAL}x)")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    measure(parser.parse_args().rounds)
