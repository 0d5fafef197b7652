"""TOTP codes for test users, computed with the BFF's own helper (bff.cognito.totp)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bff.cognito.totp import current_code


def totp_code(secret: str, step_offset: int = 0) -> str:
    """The code for the current 30-second step moved by ``step_offset`` (Cognito accepts
    ±1 step), so a test gets three distinct valid codes without waiting."""
    return current_code(secret, datetime.now(UTC) + timedelta(seconds=30 * step_offset))


def fresh_totp(secret: str, used: set[str]) -> str:
    """A valid TOTP code not in ``used`` (then added to it). Cognito, and the local Cognito,
    accept the codes of the neighbouring 30-second steps too, each once: try now, then the
    next and the previous step, before waiting for a new step."""
    deadline = time.monotonic() + 35
    while time.monotonic() < deadline:
        for offset in (0, 1, -1):
            code = totp_code(secret, offset)
            if code not in used:
                used.add(code)
                return code
        time.sleep(0.5)
    raise AssertionError("no fresh TOTP code within a 30-second step")
