"""The QA journeys run against a real `bff serve` process (with its in-process local
Cognito), through `bff qa run` as a subprocess, as CI runs them; a wrong expectation stops
the run at that step; `bff journal` prints what the BFF journaled, and `bff replay` reads it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bff_tools.qa import JourneyRunner, load_journey
from tests.support.serve import bff_serve, serve_environment

pytestmark = pytest.mark.slow  # `bff serve` and `bff qa run` subprocesses

BFF = Path(sys.executable).with_name("bff")
JOURNEYS = sorted((Path(__file__).parent / "journeys").glob("*.yaml"))


@dataclass(frozen=True)
class Server:
    base_url: str
    cognito_endpoint: str
    env: dict[str, str]


def _env(workdir: Path) -> dict[str, str]:
    # A default `bff serve`, as the README runs it: rate limits on, no BFF_ADMIN_API_KEY
    # (serve generates one in the instance folder; `bff qa run` reads it there and sends
    # it, which exempts the journeys from the per-address limits in local mode only).
    return serve_environment(workdir)


@pytest.fixture(scope="module")
def bff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`bff serve --port 0` as a subprocess; yields its URLs once it is serving."""
    workdir = tmp_path_factory.mktemp("bff-serve")
    env = _env(workdir)
    with bff_serve(workdir, env) as urls:
        assert "local Cognito" in urls, (workdir / "serve.log").read_text()
        yield Server(urls["BFF"].removesuffix("/api"), urls["local Cognito"], env)


def qa_run(server: Server, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BFF),
            "qa",
            "run",
            *map(str, files),
            "--base-url",
            server.base_url,
            "--cognito-endpoint",
            server.cognito_endpoint,
        ],
        capture_output=True,
        text=True,
        env=server.env,
        timeout=120,
        check=False,
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
    }


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda p: p.stem)
def test_journey_passes_against_bff_serve(bff_server: Server, journey: Path) -> None:
    result = qa_run(bff_server, journey)

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
        return subprocess.run(
            [str(BFF), "journal", *args],
            capture_output=True,
            text=True,
            env=bff_server.env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

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
    replay = subprocess.run(
        [str(BFF), "replay", str(saved)],
        capture_output=True,
        text=True,
        env=bff_server.env,
        timeout=60,
        check=False,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr

    missing = journal("no-such-flow")
    assert missing.returncode == 1
    assert "no flow 'no-such-flow'" in missing.stderr
