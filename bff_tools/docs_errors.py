"""docs/api.md's error catalogue, generated: code → status → meaning → when.

The rows are the error classes (``bff.errors.catalogue()``: the code, status and
``default_message`` of each, and its docstring for *when*); the codes the WSGI servers
answer before the app runs (bff.server_errors) are classes too. A new error class is a new
row without touching this module; the OpenAPI document's enum of codes has the same list.
"""

from __future__ import annotations

from bff.errors import catalogue


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("``", "`")


def render_error_catalogue() -> str:
    lines = ["| code | status | meaning | when |", "|---|---|---|---|"]
    lines += [
        f"| `{e.code}` | {e.status} | {_cell(e.meaning)} | {_cell(e.when)} |" for e in catalogue()
    ]
    return "\n".join(lines) + "\n"
