"""The local Cognito's clock: real time plus an offset that tests can move forward.

Confirmation codes, challenge sessions, temporary passwords, refresh-token expiry and TOTP
codes read this clock, so a test can jump 24 hours ahead, or to the next 30-second TOTP step
(``POST /_local/clock``), instead of waiting. Until someone moves it, it is real time, which
is what an authenticator app computes its codes from. The JWTs' ``iat`` and ``exp`` stay on
real time: the verifiers that check them read real time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time shifted by an offset that only ever grows."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the local Cognito sees it."""
        return time.time() + self._offset

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the new offset. Time never runs backwards."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset
