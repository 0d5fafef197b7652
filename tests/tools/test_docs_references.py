"""Every Python name the user-facing docs tell a reader to import exists where they say."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The docs a new user reads first (other docs name loggers such as `bff.request`).
DOCS = [ROOT / "README.md", ROOT / "docs" / "local-cognito.md", ROOT / "docs" / "hosting.md"]
# `package.module.name` (optionally called) inside backticks: what a reader would import.
REFERENCE = re.compile(r"`((?:bff|bff_tools|local_cognito|statemachine)(?:\.\w+)+)[(`]")

HOST_SUFFIXES = {"com", "net", "org"}


def references() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for name in sorted(set(REFERENCE.findall(doc.read_text(encoding="utf-8")))):
            if name.rsplit(".", 1)[-1] not in HOST_SUFFIXES:  # bff.example.com is a host
                found.append((doc.name, name))
    return found


def resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then walk the attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


def test_the_docs_name_python_objects() -> None:
    names = {name for _, name in references()}
    assert "bff.local_outbox.read_outbox" in names


@pytest.mark.parametrize(("doc", "name"), references(), ids=lambda v: str(v))
def test_a_documented_python_name_exists(doc: str, name: str) -> None:
    try:
        resolve(name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{doc} names `{name}`, which does not exist: {exc}")
