"""Benchmark: the MFA set-up QR code (bff.cognito.totp.qr_svg) for a typical otpauth URI.

Run: .venv/bin/python tests/benchmarks/qr.py [--rounds N]

Times qr_svg (zxing-cpp's encoder, then the SVG path of dark runs) for a 32-character secret,
a 23-character account and the default issuer, and checks the code decodes (zxing-cpp's
reader, as tests/gateway/test_totp_helpers.py does). CPU time (time.process_time).
Goal: 5 ms. Prints figures.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bff.cognito import totp  # noqa: E402

GOAL_MS = 5.0


def _uri() -> str:
    secret = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(32))
    return totp.otpauth_uri(
        secret, account=f"qa-{secrets.token_hex(4)}@example.com", issuer="Cognito BFF"
    )


def decodes(uri: str) -> bool:
    import zxingcpp

    matrix = totp.qr_matrix(uri)
    zone, scale = totp.QR_QUIET_ZONE, 4
    side = (len(matrix) + 2 * zone) * scale
    pixels = bytearray(b"\xff" * side * side)
    for y, row in enumerate(matrix):
        for x, module in enumerate(row):
            if module == 0:
                for line in range((y + zone) * scale, (y + zone + 1) * scale):
                    start = line * side + (x + zone) * scale
                    pixels[start : start + scale] = b"\x00" * scale
    found = zxingcpp.read_barcode(memoryview(bytes(pixels)).cast("B", (side, side)))
    return found is not None and found.text == uri


def measure(rounds: int = 300, echo: Any = print) -> dict[str, float]:
    uris = [_uri() for _ in range(rounds)]
    totp.qr_svg(uris[0])
    samples = []
    for uri in uris:
        began = time.process_time()
        totp.qr_svg(uri)
        samples.append(time.process_time() - began)
    median_ms = statistics.median(samples) * 1000
    ok = decodes(uris[0])
    version = (len(totp.qr_matrix(uris[0])) - 17) // 4
    echo(f"QR code (version {version}, level M) as SVG: median {median_ms:.2f} ms ({rounds} codes)")
    echo(f"decodes back to the URI: {'yes' if ok else 'NO'}; goal <= {GOAL_MS} ms")
    return {"qr_ms": median_ms, "ratio": median_ms / GOAL_MS, "decodes": float(ok)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    measure(parser.parse_args().rounds)
