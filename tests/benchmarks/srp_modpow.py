"""Benchmark: one 3072-bit SRP modular exponentiation, gmpy2 vs Python's pow.

Run: .venv/bin/python tests/benchmarks/srp_modpow.py [repetitions]
Prints the median time per g^a mod N (a 1024-bit secret exponent, as SrpEphemeral uses)
and per (B - k g^x)^(a + u x) mod N (the client's S, a ~1280-bit exponent), and the ratio.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time

from bff.cognito import srp


def _median_ms(function, base: int, exponents: list[int]) -> float:
    timings = []
    for exponent in exponents:
        start = time.perf_counter()
        function(base, exponent, srp.BIG_N)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main(repetitions: int = 50) -> None:
    if srp.gmpy2 is None:
        print("gmpy2 is not installed: only the pure-Python path is available.")
        return
    cases = {
        "g^a (1024-bit a)": (srp.G, [secrets.randbits(1024) for _ in range(repetitions)]),
        "S (1280-bit exp)": (
            secrets.randbits(3071),
            [secrets.randbits(1280) for _ in range(repetitions)],
        ),
    }
    header = f"{'operation':<18} {'gmpy2 ms':>9} {'pow ms':>9} {'ratio':>7}"
    print(f"{header}   (median of {repetitions})")
    for name, (base, exponents) in cases.items():
        fast = _median_ms(srp.powmod_gmpy2, base, exponents)
        slow = _median_ms(srp.powmod_python, base, exponents)
        print(f"{name:<18} {fast:>9.3f} {slow:>9.3f} {slow / fast:>6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
