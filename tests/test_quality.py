"""The code stays to the style card: ruff lint and format on the whole tree, mypy --strict
on every package (the configuration is pyproject.toml's [tool.ruff] and [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint() -> None:
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format() -> None:
    result = _run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_checks_every_package_strictly() -> None:
    mypy = PYPROJECT["tool"]["mypy"]
    packages = sorted(
        p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").is_file()
    )
    assert sorted(mypy["files"]) == packages
    assert mypy["strict"] is True
    for override in mypy.get("overrides", []):  # untyped libraries only, no relaxed checks
        assert set(override) <= {"module", "ignore_missing_imports"}, override


def test_mypy() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout[-4000:]
