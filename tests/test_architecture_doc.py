"""docs/architecture.md stays true to the tree: every package or module its diagrams name
exists, and every package of the repository (each top-level one and each bff/ subpackage)
appears in its component diagrams. (Its Mermaid renders: tests/test_mermaid_render.py.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BLOCKS = re.findall(r"```mermaid\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
# A path into the code as the diagrams write it: bff/api, bff/security.py, statemachine...
NAMED = re.compile(
    r"\b(?:bff_tools|local_cognito|statemachine|examples|bff)(?:/[A-Za-z_]+)*(?:\.py)?\b"
)


def _packages(folder: Path) -> set[str]:
    return {
        str(p.relative_to(ROOT))
        for p in folder.iterdir()
        if p.is_dir() and (p / "__init__.py").is_file() and p.name != "tests"
    }


def _named(block: str) -> set[str]:
    return {name.rstrip("/") for name in NAMED.findall(block)}


def test_the_doc_has_a_component_diagram_and_a_view_of_each_kind_of_request() -> None:
    assert BLOCKS[0].startswith("flowchart")
    text = DOC.read_text(encoding="utf-8")
    for request in ("POST /api/sign-in", "GET /api/me", "/api/webhooks/pandadoc", "/api/admin"):
        assert request in text


def test_every_name_in_the_diagrams_exists() -> None:
    named = set().union(*map(_named, BLOCKS))
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"docs/architecture.md names what is not in the tree: {missing}"


def test_every_package_is_in_the_component_diagrams() -> None:
    packages = _packages(ROOT) | _packages(ROOT / "bff")
    assert {"bff", "bff_tools", "local_cognito", "statemachine", "bff/api"} <= packages
    components = [block for block in BLOCKS if block.startswith("flowchart")]
    absent = sorted(packages - set().union(*map(_named, components)))
    assert not absent, f"add to docs/architecture.md's component diagrams: {absent}"
