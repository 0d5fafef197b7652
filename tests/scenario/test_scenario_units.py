"""The scenario's small parts: fresh TOTP codes, abbreviations, generated passwords."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import pytest

from bff_tools.scenario import TotpCodes, abbreviate, generate_password

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def code_at_step(step: int) -> str:
    return pyotp.TOTP(SECRET).at(datetime.fromtimestamp(step * 30, tz=UTC))


def test_local_mode_uses_the_next_step_instead_of_waiting() -> None:
    fake = FakeTime(1_000 * 30 + 12.0)  # 12 s into step 1000
    codes = TotpCodes(SECRET, allow_next_step=True, clock=fake.clock, sleep=fake.sleep)

    assert codes.next_code() == code_at_step(1000)
    assert codes.next_code() == code_at_step(1001)  # the current step is used: the next one
    assert fake.slept == []
    # Both allowed steps used: wait for step 1001 to begin, then 1002 is the next.
    assert codes.next_code() == code_at_step(1002)
    assert fake.slept == [pytest.approx(18.05)]


def test_strict_mode_waits_for_a_fresh_step() -> None:
    fake = FakeTime(2_000 * 30 + 29.0)
    waits: list[float] = []
    codes = TotpCodes(
        SECRET, allow_next_step=False, clock=fake.clock, sleep=fake.sleep, on_wait=waits.append
    )

    assert codes.next_code() == code_at_step(2000)
    assert codes.next_code() == code_at_step(2001)
    assert fake.slept == waits == [pytest.approx(1.05)]


def test_two_steps_with_the_same_code_are_not_both_used(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTime(3_000 * 30 + 1.0)
    codes = TotpCodes(SECRET, allow_next_step=True, clock=fake.clock, sleep=fake.sleep)
    # Steps 3000 and 3001 happen to share a code (1 in a million in real life).
    monkeypatch.setattr(codes, "_code_at_step", lambda step: "111111" if step < 3002 else "222222")

    assert codes.next_code() == "111111"
    assert codes.next_code() == "222222"  # 3001 skipped: its code was already used
    assert fake.slept == [pytest.approx(29.05)]


def test_abbreviate_keeps_eight_characters() -> None:
    assert abbreviate("eyJraWQiOiJhYmMiLCJhbGciOiJSUzI1NiJ9.payload.sig") == "eyJraWQi…"
    assert abbreviate(None) == "(none)"
    assert abbreviate("") == "(none)"


def test_generated_passwords_meet_the_pool_policy() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 20
        assert re.search(r"[a-z]", password)
        assert re.search(r"[A-Z]", password)
        assert re.search(r"\d", password)
        assert re.search(r"[^A-Za-z0-9]", password)
