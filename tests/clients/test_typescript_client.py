"""The TypeScript client (clients/typescript): its own tests under node's test runner, which
start a real `bff serve` on free ports (sign-up → MFA set-up → remembered device → sign-in
with no MFA, typed errors), and its package as `npm pack` would publish it.

`.ci/run` runs `npm ci` in clients/typescript first; outside CI a missing Node.js or npm
install skips these tests and says how to get them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.programs import require_program, require_typescript_generator

#: npm, node and `bff serve` subprocesses; clients/typescript/dist is this module's meanwhile
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("client_build")]

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
BFF = Path(sys.executable).with_name("bff")


def _npm(*args: str) -> subprocess.CompletedProcess[str]:
    npm = require_program("npm", shutil.which("npm"), "install Node.js 18+ (Debian: nodejs npm)")
    require_typescript_generator()
    return subprocess.run(
        [npm, *args],
        cwd=CLIENT,
        env={**os.environ, "BFF_COMMAND": str(BFF)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_client_passes_its_node_tests_against_bff_serve() -> None:
    result = _npm("test")

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout
    passed = int(result.stdout.split("# pass ", 1)[1].split()[0])
    assert passed >= 4, result.stdout[-3000:]


def test_the_package_packs_its_built_code_and_types() -> None:
    result = _npm("pack", "--dry-run", "--json")

    assert result.returncode == 0, result.stderr[-3000:]
    packed = json.loads(result.stdout)[0]
    files = {entry["path"] for entry in packed["files"]}
    assert {"package.json", "dist/index.js", "dist/index.d.ts", "dist/openapi.d.ts"} <= files
    assert "src/openapi.ts" in files
    assert not any(path.startswith(("test/", "node_modules/")) for path in files)
