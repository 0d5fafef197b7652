"""statemachine stays pure; the generated docs match the machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bff_tools import docsgen
from bff_tools.cli import cli
from tests.support.programs import require_typescript_generator

ROOT = Path(__file__).resolve().parents[2]

GUARD = """
import builtins
real = builtins.__import__
def guard(name, *args, **kwargs):
    if name.split(".")[0] in {"flask", "boto3", "botocore", "moto"}:
        raise ImportError("statemachine must not import " + name)
    return real(name, *args, **kwargs)
builtins.__import__ = guard
import statemachine, statemachine.replay, statemachine.mermaid
flow = statemachine.Flow()
flow.apply("SignUp", {"UserConfirmed": False})
print(flow.state)
"""


def test_statemachine_imports_without_flask_boto3_moto() -> None:
    result = subprocess.run(
        [sys.executable, "-c", GUARD], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "SIGNED_UP"


def test_generated_docs_match_the_code() -> None:
    require_typescript_generator()
    assert docsgen.stale_docs() == [], "run `bff docs` and commit the result"


def test_drift_check_catches_a_hand_edit(tmp_path: Path) -> None:
    require_typescript_generator()
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    types = Path("clients", "typescript", "src", "openapi.ts")
    (tmp_path / types).parent.mkdir(parents=True)
    shutil.copy(ROOT / types, tmp_path / types)
    doc = tmp_path / "docs" / "auth-lifecycle.md"
    doc.write_text(doc.read_text().replace("NEW --> SIGNED_UP", "NEW --> AUTHENTICATED"))
    assert docsgen.stale_docs(root=tmp_path) == [doc]
    docsgen.write_docs(root=tmp_path)
    assert docsgen.stale_docs(root=tmp_path) == []


def test_diagram_is_generated_from_the_machine() -> None:
    text = (ROOT / "docs" / "auth-lifecycle.md").read_text()
    assert "stateDiagram-v2" in text
    assert "DEVICE_SRP_AUTH --> DEVICE_PASSWORD_VERIFIER: device_password_verifier_required" in text
    assert "sequenceDiagram" in text


def test_bff_diagram_check_command() -> None:
    result = CliRunner().invoke(cli, ["diagram", "--check"])
    assert result.exit_code == 0, result.output
