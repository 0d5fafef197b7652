"""The shared test helpers' own rules (tests/support)."""

from __future__ import annotations

import pytest

from tests.support import programs
from tests.support.totp import fresh_totp


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
    codes = [fresh_totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", used) for _ in range(3)]
    assert len(set(codes)) == 3 and set(codes) == used
