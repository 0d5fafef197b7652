"""Clocks for the store and the sessions that only move when a test says so."""

from __future__ import annotations

import time


class FakeClock:
    """Epoch seconds frozen at creation; ``advance`` moves them."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StoreClock:
    """Real epoch seconds plus whatever a test adds with ``advance`` (for an app that also
    talks to the local Cognito, whose clock is real)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
