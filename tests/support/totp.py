"""TOTP codes for test users, computed with the BFF's own helper (bff.cognito.totp) at the
local Cognito's time.

The local Cognito counts TOTP steps on its own clock (local_cognito/clock.py), so codes are
computed at that clock's time, and a test that needs a fresh step moves the clock 30 s on
instead of waiting for one. ``clock`` is the in-process ``LocalCognito.clock`` (the
``cognito_clock`` fixture for the session's local Cognito) or, for a local Cognito in another
process (`bff serve`, gunicorn's), ``bff_tools.local_clock.LocalClock(endpoint_url)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bff.cognito.totp import PERIOD, current_code


class CognitoClock(Protocol):
    """What the helpers need of a local Cognito's clock."""

    def now(self) -> float: ...

    def advance(self, seconds: float) -> float: ...


def totp_code(secret: str, step_offset: int = 0, *, clock: CognitoClock) -> str:
    """The code for the local Cognito's current 30-second step moved by ``step_offset``
    (Cognito accepts ±1 step), so a test gets three distinct valid codes at once."""
    return current_code(secret, datetime.fromtimestamp(clock.now() + PERIOD * step_offset, UTC))


def fresh_totp(secret: str, used: set[str], clock: CognitoClock) -> str:
    """A valid TOTP code not in ``used`` (then added to it). Cognito, and the local Cognito,
    accept the codes of the neighbouring 30-second steps too, each once: try now, then the
    next and the previous step; when all three are used, move the clock one step on (never
    wait for real time to get there)."""
    for _ in range(3):
        for offset in (0, 1, -1):
            code = totp_code(secret, offset, clock=clock)
            if code not in used:
                used.add(code)
                return code
        clock.advance(PERIOD)
    raise AssertionError("no fresh TOTP code in three steps of the local Cognito's clock")
