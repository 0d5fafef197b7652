"""The QA journeys run against a real `bff serve` process (with its in-process local
Cognito), through `bff qa run` as a subprocess, as CI runs them; a wrong expectation stops
the run at that step; `bff journal` prints what the BFF journaled, and `bff replay` reads it.

`bff serve`, `bff outbox` and `bff qa run` work together with no flags: the tools find the
running `bff serve` (its URLs and, in local mode, its generated admin key) through its
instance folder, even when the local Cognito could not take port 9229. So one `bff serve`
runs as a developer runs it (no Cognito endpoint, BFF URL or admin key in the environment:
only the instance folder), and each shipped journey is played on it once, with no flags
(``played``): the journeys' test and the tools' test read the same result.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bff_tools import discovery
from bff_tools.qa import JourneyRunner, load_journey
from tests.support.serve import bff_serve

pytestmark = pytest.mark.slow  # `bff serve`, `bff qa run`, `bff outbox` subprocesses

BFF = Path(sys.executable).with_name("bff")
JOURNEYS = sorted((Path(__file__).parent / "journeys").glob("*.yaml"))


def _tool_env(instance: Path) -> dict[str, str]:
    """No Cognito endpoint, no BFF URL, no admin key: only where the instance folder is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "BFF_"))}
    env["BFF_INSTANCE_PATH"] = str(instance)
    return env


@dataclass(frozen=True)
class Server:
    """The running `bff serve`: its printed URLs, its instance folder, and whether this test
    held 9229 (when another process holds it, the fallback is exercised all the same)."""

    urls: dict[str, str]
    instance: Path
    held: bool

    @property
    def base_url(self) -> str:
        return self.urls["BFF"].removesuffix("/api")

    @property
    def cognito_endpoint(self) -> str:
        return self.urls["local Cognito"]

    @property
    def env(self) -> dict[str, str]:
        """The tools' environment: the instance folder only."""
        return _tool_env(self.instance)


@pytest.fixture(scope="module")
def bff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`bff serve --port 0` as a subprocess; yields once it is serving. A default `bff
    serve`, as the README runs it: rate limits on, no BFF_ADMIN_API_KEY (serve generates one
    in the instance folder; `bff qa run` reads it there and sends it, which exempts the
    journeys from the per-address limits in local mode only)."""
    workdir = tmp_path_factory.mktemp("bff-serve")
    instance = workdir / "instance"
    env = {**_tool_env(instance), "PYTHONUNBUFFERED": "1"}
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
            assert "local Cognito" in urls, (workdir / "serve.log").read_text()
            yield Server(urls, instance, held)
    finally:
        holder.close()
    assert not (instance / discovery.STATE_FILE).exists(), "the state file outlived bff serve"


def _tool(server: Server, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BFF), *args],
        capture_output=True,
        text=True,
        env=server.env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def played(bff_server: Server) -> Callable[[Path], subprocess.CompletedProcess[str]]:
    """``played(journey)``: `bff qa run JOURNEY` with no flags, run the first time a test
    asks for that journey and remembered for the others (each journey runs once)."""
    results: dict[Path, subprocess.CompletedProcess[str]] = {}

    def play(journey: Path) -> subprocess.CompletedProcess[str]:
        if journey not in results:
            results[journey] = _tool(bff_server, "qa", "run", str(journey))
        return results[journey]

    return play


def qa_run(server: Server, *files: Path) -> subprocess.CompletedProcess[str]:
    """`bff qa run` with the URLs given as flags."""
    return _tool(
        server,
        "qa",
        "run",
        *map(str, files),
        "--base-url",
        server.base_url,
        "--cognito-endpoint",
        server.cognito_endpoint,
    )


def test_the_main_journeys_are_shipped() -> None:
    assert {p.name for p in JOURNEYS} >= {
        "signup_mfa_device.yaml",
        "admin_new_password.yaml",
        "forgot_password.yaml",
        "reset_required.yaml",
        "expired_temporary_password.yaml",
        "change_password.yaml",
        "replace_authenticator.yaml",
        "sms_mfa_choice.yaml",
    }


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_journey_passes_against_bff_serve(
    played: Callable[[Path], subprocess.CompletedProcess[str]], journey: Path
) -> None:
    result = played(journey)

    steps = len(load_journey(journey).steps)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"All {steps} steps passed." in result.stdout
    assert result.stdout.count(" pass\n") == steps
    assert "FAIL" not in result.stdout


def test_a_wrong_expected_state_fails_at_that_step(bff_server: Server, tmp_path: Path) -> None:
    script = (JOURNEYS[0].parent / "signup_mfa_device.yaml").read_text()
    wrong = script.replace(
        "expect: {status: 200, state: CONFIRMED, next_steps: [sign_in]}",
        "expect: {status: 200, state: MFA_SETUP, next_steps: [sign_in]}",
    )
    assert wrong != script
    broken = tmp_path / "wrong_state.yaml"
    broken.write_text(wrong)

    result = qa_run(bff_server, broken)

    assert result.returncode == 1
    assert (
        "FAILED at step 3 (confirm with the emailed code): expected state MFA_SETUP, got CONFIRMED"
        in result.stderr
    )
    rows = [line for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]  # nothing ran after step 3
    assert rows[-1].rstrip().endswith("FAIL")
    assert "Traceback" not in result.stderr


def test_journal_of_a_journey_flow(bff_server: Server, tmp_path: Path) -> None:
    lines: list[str] = []
    runner = JourneyRunner(
        load_journey(JOURNEYS[0].parent / "signup_mfa_device.yaml"),
        base_url=bff_server.base_url,
        cognito_endpoint=bff_server.cognito_endpoint,
        echo=lines.append,
        environ=bff_server.env,
    )
    runner.run()
    flow_id = runner.variables["flow_id"]

    def journal(*args: str) -> subprocess.CompletedProcess[str]:
        return _tool(bff_server, "journal", *args, cwd=tmp_path)

    table = journal(flow_id)
    assert table.returncode == 0, table.stderr
    assert f"flow {flow_id}" in table.stdout
    assert "state SIGNED_OUT" in table.stdout
    # The last flow is the second sign-in: the remembered device, no MFA, then sign-out.
    rows = [line.split() for line in table.stdout.splitlines()[2:]]
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("device_srp_required", "NEW", "DEVICE_SRP_AUTH"),
        ("device_password_verifier_required", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"),
        ("authenticated", "DEVICE_PASSWORD_VERIFIER", "AUTHENTICATED"),
        ("signed_out", "AUTHENTICATED", "SIGNED_OUT"),
    ]

    as_json = journal(flow_id, "--json")
    entries = json.loads(as_json.stdout)
    assert entries[-1]["to"] == "SIGNED_OUT"
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    saved = tmp_path / "journal.json"
    saved.write_text(as_json.stdout)
    replay = _tool(bff_server, "replay", str(saved))
    assert replay.returncode == 0, replay.stdout + replay.stderr

    missing = journal("no-such-flow")
    assert missing.returncode == 1
    assert "no flow 'no-such-flow'" in missing.stderr


def test_serve_falls_back_to_a_free_port_and_writes_where_it_is(bff_server: Server) -> None:
    urls, instance = bff_server.urls, bff_server.instance
    if bff_server.held:
        assert not urls["local Cognito"].endswith(":9229")
    state = json.loads((instance / discovery.STATE_FILE).read_text())
    assert state["cognito_endpoint"] == urls["local Cognito"]
    assert state["bff_url"] + "/api" == urls["BFF"]
    key_file = instance / "local-admin-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_outbox_and_qa_run_need_no_flags(
    bff_server: Server, played: Callable[[Path], subprocess.CompletedProcess[str]]
) -> None:
    journeys = [played(journey) for journey in JOURNEYS]
    for result in journeys:
        assert result.returncode == 0, result.stdout + result.stderr
    stdout = "".join(result.stdout for result in journeys)
    assert stdout.count("steps passed.") == len(JOURNEYS)

    outbox = _tool(bff_server, "outbox", "--json")
    assert outbox.returncode == 0, outbox.stderr
    kinds = {message["kind"] for message in json.loads(outbox.stdout)}
    assert {"confirmation_code", "temporary_password"} <= kinds
    # The generated admin key is never printed.
    assert (bff_server.instance / "local-admin-key").read_text().strip() not in stdout
