"""Every Mermaid block in README.md and docs/ renders in Mermaid itself (mermaid-cli + chromium).

GitHub renders these blocks; here mermaid-cli renders them offline with Debian's chromium.
`.ci/run` installs both (mmdc under .ci/tools). Without them the rendering tests skip outside
CI and fail in CI (tests/support/programs.py), naming the missing program.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.programs import require_program

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
DOCS = sorted(p for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")] if p.exists())
BLOCKS = [
    (f"{doc.relative_to(ROOT)}#{i + 1}", source)
    for doc in DOCS
    for i, source in enumerate(BLOCK.findall(doc.read_text(encoding="utf-8")))
]


def _tool(name: str, env: str, *candidates: str) -> str:
    found = next(
        (
            candidate
            for candidate in (os.environ.get(env), *candidates)
            if candidate and (shutil.which(candidate) or Path(candidate).is_file())
        ),
        None,
    )
    return require_program(
        name,
        found,
        f"looked for {', '.join(candidates)}; run `bash .ci/run`, which installs Debian's "
        f"chromium and mermaid-cli under .ci/tools, or set {env} to the executable",
    )


@dataclass(frozen=True)
class MermaidCli:
    """mermaid-cli set up to use Debian's chromium, and a folder for its files."""

    mmdc: str
    config: Path
    workdir: Path

    def run(self, src: Path, out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.mmdc, "-q", "-p", str(self.config), "-i", str(src), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="module")
def mermaid_cli(tmp_path_factory: pytest.TempPathFactory) -> MermaidCli:
    mmdc = _tool(
        "mermaid-cli (mmdc)", "MMDC", str(ROOT / ".ci/tools/node_modules/.bin/mmdc"), "mmdc"
    )
    chromium = _tool("chromium", "CHROMIUM", "/usr/bin/chromium", "chromium")
    workdir = tmp_path_factory.mktemp("mermaid")
    config = workdir / "puppeteer.json"
    # Flags as the workplace probe found necessary: no sandbox as root, no background traffic.
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    config.write_text(json.dumps({"executablePath": chromium, "args": args}))
    return MermaidCli(mmdc, config, workdir)


@pytest.fixture(scope="module")
def render(mermaid_cli: MermaidCli) -> Callable[[str, str], subprocess.CompletedProcess[str]]:
    """Render one diagram alone (its own chromium)."""

    def _render(name: str, source: str) -> subprocess.CompletedProcess[str]:
        safe = re.sub(r"[^A-Za-z0-9]+", "_", name)
        src, out = mermaid_cli.workdir / f"{safe}.mmd", mermaid_cli.workdir / f"{safe}.svg"
        src.write_text(source, encoding="utf-8")
        result = mermaid_cli.run(src, out)
        if result.returncode == 0 and (not out.exists() or "<svg" not in out.read_text()):
            result.returncode = 99
        return result

    return _render


@pytest.fixture(scope="module")
def rendered_together(mermaid_cli: MermaidCli) -> dict[str, str]:
    """Every block rendered in one mmdc run (one chromium for them all: a chromium start
    costs seconds), block name → SVG. Empty when that run failed: each test then renders its
    block alone, so the failure names the block."""
    src = mermaid_cli.workdir / "every-block.md"
    src.write_text("".join(f"```mermaid\n{source}```\n\n" for _, source in BLOCKS))
    if mermaid_cli.run(src, mermaid_cli.workdir / "rendered.md").returncode != 0:
        return {}
    # mmdc writes the SVG of the markdown's n-th block next to its output, as rendered-n.svg.
    svgs = {}
    for number, (name, _) in enumerate(BLOCKS, start=1):
        svg = mermaid_cli.workdir / f"rendered-{number}.svg"
        svgs[name] = svg.read_text() if svg.exists() else ""
    return svgs


def test_docs_have_diagrams() -> None:
    names = [name for name, _ in BLOCKS]
    assert any(name.startswith("docs/auth-lifecycle.md") for name in names)
    assert any("stateDiagram-v2" in source for _, source in BLOCKS)
    assert any("sequenceDiagram" in source for _, source in BLOCKS)


@pytest.mark.browser
@pytest.mark.parametrize(("name", "source"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_diagram_renders(render, rendered_together, name: str, source: str) -> None:
    svg = rendered_together.get(name, "")
    if svg:  # rendered in the one run of every block
        assert "<svg" in svg, f"{name}: mmdc wrote no SVG"
    else:  # that run failed: this block alone, so a failure names it
        result = render(name, source)
        assert result.returncode == 0, f"{name} does not render:\n{result.stderr[-2000:]}"


@pytest.mark.browser
def test_a_broken_diagram_does_not_render(render) -> None:
    result = render("broken", "stateDiagram-v2\n    A --> : -->> [[\n")
    assert result.returncode != 0
