"""Generated documentation: the parts of docs/ whose truth is code.

Each generated part sits between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->`` in a Markdown file, or is the whole file. ``bff docs``
rewrites them all; ``bff docs --check`` (and the tests) fail when a committed doc differs
from what the code generates now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from statemachine import (
    STATE_DESCRIPTIONS,
    STATES,
    TRIGGER_DESCRIPTIONS,
    TRIGGERS,
    allowed_triggers,
)
from statemachine.journeys import JOURNEYS
from statemachine.mermaid import journey_diagram, state_diagram

from .docs_actions import render_cognito_actions
from .docs_errors import render_error_catalogue
from .docs_typescript import TYPES_FILE, GeneratorMissing, render_typescript_types

ROOT = Path(__file__).resolve().parent.parent
WHOLE_FILE = "*"


@dataclass(frozen=True)
class GeneratedPart:
    path: str  # relative to the repository root
    name: str  # block name, or WHOLE_FILE
    render: Callable[[], str]


def _lifecycle_diagram() -> str:
    return "```mermaid\n" + state_diagram() + "```\n"


def _lifecycle_journeys() -> str:
    parts = []
    for journey in JOURNEYS:
        parts.append(
            f"### {journey.title}\n\n{journey.summary}\n\n"
            f"```mermaid\n{journey_diagram(journey)}```\n"
        )
    return "\n".join(parts)


def _lifecycle_tables() -> str:
    lines = ["| state | meaning | allowed triggers |", "|---|---|---|"]
    for state in STATES:
        allowed = allowed_triggers(state)
        lines.append(
            f"| `{state}` | {STATE_DESCRIPTIONS[state]} | {', '.join(allowed) or '(end)'} |"
        )
    lines += ["", "| trigger | fired when |", "|---|---|"]
    lines += [f"| `{t}` | {TRIGGER_DESCRIPTIONS[t]} |" for t in TRIGGERS]
    return "\n".join(lines) + "\n"


def _typescript_types() -> str:
    try:
        return render_typescript_types(ROOT)
    except GeneratorMissing as exc:
        raise ToolMissing(str(exc)) from exc


#: Every generated part of docs/ (and the TypeScript client's types). Other modules add
#: theirs here.
GENERATED_DOCS: list[GeneratedPart] = [
    GeneratedPart("docs/auth-lifecycle.md", "lifecycle-journeys", _lifecycle_journeys),
    GeneratedPart("docs/auth-lifecycle.md", "lifecycle-diagram", _lifecycle_diagram),
    GeneratedPart("docs/auth-lifecycle.md", "lifecycle-tables", _lifecycle_tables),
    GeneratedPart("docs/cognito-actions.md", WHOLE_FILE, render_cognito_actions),
    GeneratedPart("docs/api.md", "error-catalogue", render_error_catalogue),
    GeneratedPart(TYPES_FILE.as_posix(), WHOLE_FILE, _typescript_types),
]


class DocsError(Exception):
    pass


class ToolMissing(DocsError):
    """A program a generated part needs is not installed (said, never reported as stale)."""


def _require_checkout(root: Path) -> None:
    """The generated docs live in a checkout: an installed BFF (site-packages) has no
    docs/ to regenerate or check, and saying "stale" there would be a false alarm."""
    if not any((root / part.path).is_file() for part in GENERATED_DOCS):
        raise DocsError(
            f"{root} is not a checkout of the project (none of its generated docs is there): "
            "`bff docs` regenerates and checks the docs/ of a checkout; an installed BFF "
            "carries none"
        )


def _block_pattern(name: str) -> re.Pattern[str]:
    begin = rf"<!-- BEGIN GENERATED: {re.escape(name)} -->\n"
    end = rf"<!-- END GENERATED: {re.escape(name)} -->"
    return re.compile(rf"({begin})(.*?)({end})", re.DOTALL)


def render_file(text: str, parts: list[GeneratedPart]) -> str:
    """``text`` with every part of ``parts`` regenerated in place."""
    for part in parts:
        if part.name == WHOLE_FILE:
            text = part.render()
            continue
        match = _block_pattern(part.name).search(text)
        if match is None:
            raise DocsError(f"{part.path} has no GENERATED block named {part.name!r}")
        text = text[: match.start(2)] + part.render() + text[match.end(2) :]
    return text


def _by_path(root: Path) -> dict[Path, list[GeneratedPart]]:
    grouped: dict[Path, list[GeneratedPart]] = {}
    for part in GENERATED_DOCS:
        grouped.setdefault(root / part.path, []).append(part)
    return grouped


def stale_docs(root: Path | None = None, only: str | None = None) -> list[Path]:
    """The generated docs whose committed text differs from what the code generates."""
    root = root or ROOT
    _require_checkout(root)
    stale = []
    for path, parts in _by_path(root).items():
        if only and not path.match(only):
            continue
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        try:
            fresh = render_file(current, parts)
        except ToolMissing:
            raise
        except DocsError:
            stale.append(path)
            continue
        if fresh != current:
            stale.append(path)
    return stale


def write_docs(root: Path | None = None, only: str | None = None) -> list[Path]:
    """Regenerate the generated docs; return the files that changed."""
    root = root or ROOT
    _require_checkout(root)
    changed = []
    for path, parts in _by_path(root).items():
        if only and not path.match(only):
            continue
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        fresh = render_file(current, parts)
        if fresh != current:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fresh, encoding="utf-8")
            changed.append(path)
    return changed
