"""Benchmark: the client's SRP work for one remembered-device sign-in, against the GMP floor.

Run: .venv/bin/python tests/benchmarks/srp_device.py [--rounds N]

One remembered-device sign-in makes the BFF compute a fresh SRP key pair (g^a, a 1024-bit
a) for DEVICE_SRP_AUTH, then the DEVICE_PASSWORD_VERIFIER answer: g^x (x a SHA-256), S =
(B - k g^x)^(a + u x) (a ~1024-bit exponent), the HKDF key and the HMAC claim. The floor is
three gmpy2.powmod calls of the same sizes and nothing else; the BFF's g^a and g^x use the
fixed-base table (bff.cognito.srp.G_POWERS), so it can beat that floor. CPU time of this
process (time.process_time), so other load on the machine does not count; rounds
alternate; medians from the same run. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bff.cognito import srp  # noqa: E402

GOAL = 1.25


def _challenge() -> dict[str, str]:
    server_b = srp.powmod(srp.G, secrets.randbits(1024), srp.BIG_N)
    return {
        "SALT": secrets.token_hex(16),
        "SRP_B": format(server_b, "x"),
        "SECRET_BLOCK": base64.b64encode(secrets.token_bytes(64)).decode(),
        "USERNAME": "user-sub",
    }


def device_sign_in(challenge: dict[str, str], password: str) -> None:
    """What the gateway computes for DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER."""
    ephemeral = srp.SrpEphemeral.generate()
    srp.device_password_verifier_responses(
        ephemeral,
        device_group_key="-group-key",
        device_key="eu-west-1_" + "d" * 36,
        device_password=password,
        challenge_parameters=challenge,
    )


def gmp_floor(server_b: int) -> None:
    """Three bare GMP exponentiations of the same sizes."""
    import gmpy2

    small_a, x, u = secrets.randbits(1024), secrets.randbits(256), secrets.randbits(256)
    gmpy2.powmod(srp.G, small_a, srp.BIG_N)
    gmpy2.powmod(srp.G, x, srp.BIG_N)
    gmpy2.powmod(server_b, small_a + u * x, srp.BIG_N)


def measure(rounds: int = 300, echo: Any = print) -> dict[str, float]:
    if srp.gmpy2 is None:
        echo("gmpy2 is not installed: no GMP floor to compare with")
        return {}
    srp.G_POWERS.warm()
    challenge = _challenge()
    server_b = int(challenge["SRP_B"], 16)
    password = base64.b64encode(secrets.token_bytes(40)).decode()
    ours, floor = [], []
    for _ in range(rounds):
        began = time.process_time()
        device_sign_in(challenge, password)
        ours.append(time.process_time() - began)
        began = time.process_time()
        gmp_floor(server_b)
        floor.append(time.process_time() - began)
    ours_ms, floor_ms = statistics.median(ours) * 1000, statistics.median(floor) * 1000
    echo(f"device SRP, client CPU per sign-in: median {ours_ms:6.2f} ms ({rounds} rounds)")
    echo(f"GMP floor, three gmpy2.powmod:      median {floor_ms:6.2f} ms")
    echo(f"ratio {ours_ms / floor_ms:.2f}x (goal <= {GOAL}x)")
    return {"ours_ms": ours_ms, "floor_ms": floor_ms, "ratio": ours_ms / floor_ms}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    measure(parser.parse_args().rounds)
