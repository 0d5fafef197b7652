"""The programs some tests need besides Python: redis-server, chromium, mermaid-cli.

Outside CI a missing program skips the tests that need it, naming the program and how to
get it. With ``CI`` set to true (as `.ci/run` does) a missing program fails them instead:
CI must run every test.
"""

from __future__ import annotations

import os

import pytest

CI_TRUE = {"1", "true", "yes"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_TRUE


def require_program(name: str, found: str | None, how_to_get: str) -> str:
    """``found`` (the program's path) when it is there; else skip the test, or fail it in
    CI, with a message naming ``name`` and ``how_to_get`` it."""
    if found:
        return found
    message = f"{name} is not installed: {how_to_get}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: tests needing {name} must run, not skip)")
    pytest.skip(message)


def require_typescript_generator() -> None:
    """Node.js and the TypeScript client's npm install (openapi-typescript), which
    ``bff docs`` needs to generate the client's types: skip without them, fail in CI."""
    from bff_tools.docs_typescript import generator_missing
    from bff_tools.docsgen import ROOT

    problem = generator_missing(ROOT)
    if problem is not None:
        require_program("openapi-typescript", None, problem)
