"""The code stays to the style card: ruff lint and format on the whole tree, mypy --strict
on every package (the configuration is pyproject.toml's [tool.ruff] and [tool.mypy])."""

from __future__ import annotations

import re
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


#: A banner comment: ``# -- section ----``, ``# ------ section``, ``// ---- section ----``.
BANNER = re.compile(r"^\s*(?:#|//)\s*(?:[-=]{4,}|[-=]{2,}\s.*[-=]{4,}\s*$)")


def banner_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if BANNER.match(line)]


def test_no_banner_comments() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.js", "*.sh", ".ci/run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = {
        path: lines
        for path in tracked
        if (ROOT / path).is_file()
        if (lines := banner_lines((ROOT / path).read_text(encoding="utf-8")))
    }
    assert found == {}, "banner comments (say what a section is in a docstring or split it)"


def test_the_banner_check_tells_a_banner_from_a_comment() -> None:
    assert banner_lines(
        "# -- sign-up ----------\n    # ------------ devices\n// ---- DOM --\n"
    ) == [
        1,
        2,
        3,
    ]
    assert banner_lines("# --check fails on drift\n# a - b -- c\nx = 1  # -- no ----\n") == []


def test_benchmarks_and_test_support_call_what_exists() -> None:
    """The benchmarks run outside the suite, so nothing else would notice a call that no
    longer fits what it calls (a helper moved or its parameters changed): mypy's default
    checks, not strict, over them and the test support they import."""
    result = _run(
        "mypy",
        "--config-file",
        str(ROOT / "tests" / "mypy-benchmarks.ini"),
        "tests/benchmarks",
        "tests/support",
    )
    assert result.returncode == 0, result.stdout[-4000:]
