"""`bff serve`, `bff outbox` and `bff qa run` work together with no flags: the tools find the
running `bff serve` (its URLs and, in local mode, its generated admin key) through its
instance folder, even when the local Cognito could not take port 9229."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bff_tools import discovery
from tests.support.serve import bff_serve

pytestmark = pytest.mark.slow  # `bff serve`, `bff qa run` and `bff outbox` subprocesses

BFF = Path(sys.executable).with_name("bff")
JOURNEYS = sorted((Path(__file__).parent / "journeys").glob("*.yaml"))


def _tool_env(instance: Path) -> dict[str, str]:
    """No Cognito endpoint, no BFF URL, no admin key: only where the instance folder is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "BFF_"))}
    env["BFF_INSTANCE_PATH"] = str(instance)
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path, bool]]:
    workdir = tmp_path_factory.mktemp("bff-serve-discovery")
    instance = workdir / "instance"
    env = {**_tool_env(instance), "BFF_RATELIMIT_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
    # Hold 9229 so that the local Cognito must fall back to another port: the tools can only
    # find it through the instance folder.
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 9229))
        holder.listen(1)
        held = True
    except OSError:
        held = False  # another process has it: the fallback is exercised all the same
    try:
        with bff_serve(workdir, env, cognito_port=None) as urls:
            yield urls, instance, held
    finally:
        holder.close()
    assert not (instance / discovery.STATE_FILE).exists(), "the state file outlived bff serve"


def _tool(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BFF), *args],
        capture_output=True,
        text=True,
        env=_tool_env(instance),
        timeout=120,
        check=False,
    )


def test_serve_falls_back_to_a_free_port_and_writes_where_it_is(
    served: tuple[dict[str, str], Path, bool],
) -> None:
    urls, instance, held = served
    if held:
        assert not urls["local Cognito"].endswith(":9229")
    state = json.loads((instance / discovery.STATE_FILE).read_text())
    assert state["cognito_endpoint"] == urls["local Cognito"]
    assert state["bff_url"] + "/api" == urls["BFF"]
    key_file = instance / "local-admin-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_outbox_and_qa_run_need_no_flags(served: tuple[dict[str, str], Path, bool]) -> None:
    _, instance, _ = served
    journeys = _tool(instance, "qa", "run", *map(str, JOURNEYS))
    assert journeys.returncode == 0, journeys.stdout + journeys.stderr
    assert journeys.stdout.count("steps passed.") == len(JOURNEYS)

    outbox = _tool(instance, "outbox", "--json")
    assert outbox.returncode == 0, outbox.stderr
    kinds = {message["kind"] for message in json.loads(outbox.stdout)}
    assert {"confirmation_code", "temporary_password"} <= kinds
    # The generated admin key is never printed.
    assert (instance / "local-admin-key").read_text().strip() not in journeys.stdout
