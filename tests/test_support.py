"""The shared test helpers' own rules (tests/support)."""

from __future__ import annotations

import pytest

from local_cognito.clock import Clock
from tests.support import programs
from tests.support.totp import fresh_totp, totp_code

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_present_program_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert programs.require_program("redis-server", "/usr/bin/redis-server", "x") == (
        "/usr/bin/redis-server"
    )


@pytest.mark.parametrize("ci", ["", "false", "0"])
def test_a_missing_program_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed: apt-get"):
        programs.require_program("redis-server", None, "apt-get install redis-server")


@pytest.mark.parametrize("ci", ["true", "TRUE", "1", "yes"])
def test_a_missing_program_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed.*CI=true"):
        programs.require_program("chromium", None, "apt-get install chromium")


def test_fresh_totp_never_repeats_a_code() -> None:
    used: set[str] = set()
    codes = [fresh_totp(SECRET, used, Clock()) for _ in range(3)]
    assert len(set(codes)) == 3 and set(codes) == used


class FrozenClock:
    """A local Cognito clock that real time does not move (a step boundary cannot fall
    between two calls)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return 1_700_000_010.0 + self.offset

    def advance(self, seconds: float) -> float:
        self.offset += seconds
        return self.offset


def test_fresh_totp_moves_the_clock_a_step_on_instead_of_waiting() -> None:
    clock = FrozenClock()
    used: set[str] = set()
    first_three = {fresh_totp(SECRET, used, clock) for _ in range(3)}
    assert clock.offset == 0  # the steps before, at and after now: no move needed

    fourth = fresh_totp(SECRET, used, clock)

    assert clock.offset == 30
    assert fourth not in first_three
    assert fourth == totp_code(SECRET, 1, clock=clock)  # the step after the new now
