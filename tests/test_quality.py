"""The code stays to the style card: ruff lint and format, mypy --strict on statemachine/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["bff", "bff_tools", "local_cognito", "statemachine", "tests"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint() -> None:
    result = _run("ruff", "check", *TARGETS)
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format() -> None:
    result = _run("ruff", "format", "--check", *TARGETS)
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_strict_statemachine() -> None:
    result = _run("mypy", "--strict", "statemachine")
    assert result.returncode == 0, result.stdout[-4000:]
