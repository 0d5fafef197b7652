"""No import loop in the runtime: the graph of every import in bff/ (module level or inside
a function: a hidden import is still a loop) has no cycle. Importing ``a.b.c`` runs the
packages ``a`` and ``a.b`` first, so those are edges too, except the importer's own
packages (already being imported). Imports under ``if TYPE_CHECKING:`` never run: no edge."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "bff"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    _module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py")) if path.is_file()
}


def _resolve(name: str) -> str | None:
    """The project module ``name`` is, or the nearest package above it that is one."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, tree: ast.AST) -> set[str]:
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))
    own = _packages_of(module)
    edges: set[str] = set()
    for name in found:
        target = _resolve(name)
        if target is not None:
            edges |= {target, *_packages_of(target)} - own - {module}
    return edges


def _packages_of(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))} & MODULES.keys()


def import_graph() -> dict[str, set[str]]:
    return {
        module: _imported(module, ast.parse(path.read_text(encoding="utf-8")))
        for module, path in MODULES.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_runtime_has_no_import_loop() -> None:
    assert cycles(import_graph()) == []


def test_the_graph_sees_function_level_and_relative_imports() -> None:
    tree = ast.parse(
        "from . import steps\nfrom .protocol import Flows\n"
        "def f():\n    from bff.api import context\n"
        "if TYPE_CHECKING:\n    from bff.app import create_app\n"
    )
    assert _imported("bff.flows", tree) == {
        "bff.flows.steps",
        "bff.flows.protocol",
        "bff.api.context",
        "bff.api",  # the package runs first
    }
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
