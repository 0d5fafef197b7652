"""The client tests' shared fixture: one lock on the TypeScript client's build.

The client's own tests (`npm test`) and the React example's (which builds the client,
then bundles or serves it) both write and read clients/typescript/dist; under pytest-xdist
two modules may run at once, so each holds this lock for its whole module.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"


@pytest.fixture(scope="module")
def client_build() -> Iterator[None]:
    """Held while a module builds or uses clients/typescript/dist."""
    CLIENT.joinpath("node_modules").mkdir(exist_ok=True)  # ignored by git, like the build
    with CLIENT.joinpath("node_modules", ".tests.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
