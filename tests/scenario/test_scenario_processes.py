"""`bff scenario` as real processes: the CLI wiring against `bff local-cognito --json`, and
the interactive question/answer script driven through a terminal (pexpect).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pyotp
import pytest

from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock

pytestmark = pytest.mark.slow  # `bff` subprocesses

BFF = Path(sys.executable).with_name("bff")
PASSWORD = "Interactive-Pa55!"
JWT = re.compile(r"eyJ[\w-]{8,}\.[\w-]+\.[\w-]+")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Cognito configuration, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITO_")}
    env.pop("BFF_SCENARIO_PASSWORD", None)
    env.update(extra)
    return env


def env_for(info: LocalCognitoInfo) -> dict[str, str]:
    return clean_env(
        COGNITO_USER_POOL_ID=info.user_pool_id,
        COGNITO_CLIENT_ID=info.client_id,
        COGNITO_ENDPOINT_URL=info.endpoint_url,
        AWS_REGION=info.region,
    )


@pytest.fixture
def local_cognito_process(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`bff local-cognito --json --port 0` in its own process; yields its JSON line."""
    process = subprocess.Popen(
        [str(BFF), "local-cognito", "--json", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else "no output"
        yield json.loads(line)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_cli_straight_through_against_a_local_cognito_process(
    local_cognito_process: dict[str, Any], tmp_path: Path
) -> None:
    info = local_cognito_process
    result = subprocess.run(
        [
            str(BFF),
            "scenario",
            "--endpoint",
            info["endpoint_url"],
            "--user-pool-id",
            info["user_pool_id"],
            "--client-id",
            info["client_id"],
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(AWS_REGION=info["region"]),
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "[13/13] RespondToAuthChallenge: DEVICE_PASSWORD_VERIFIER" in result.stdout
    assert "Final state: AUTHENTICATED" in result.stdout
    assert not JWT.search(result.stdout)
    assert result.stderr == ""


def spawn(info: LocalCognitoInfo, transcript: io.StringIO) -> pexpect.spawn:
    child = pexpect.spawn(
        str(BFF),
        ["scenario", "--interactive"],
        env=env_for(info),
        encoding="utf-8",
        timeout=30,
        dimensions=(60, 200),
    )
    child.logfile_read = transcript
    return child


def answer_identity(child: pexpect.spawn, username: str, email: str) -> None:
    child.expect("User name")
    child.sendline(username)
    child.expect("Email address")
    child.sendline(email)
    child.expect("Password")
    child.sendline(PASSWORD)
    child.expect("Repeat for confirmation")
    child.sendline(PASSWORD)


def wrong_code(*right: str) -> str:
    """A 6-digit code that is none of ``right``."""
    candidate = int(right[0])
    while f"{candidate:06d}" in right:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


STEP_LINE = re.compile(r"^\[\s*(\d+)/(\d+)\] (\w+):", re.MULTILINE)


def test_interactive_script_with_a_wrong_code_and_another_code(
    local_cognito: LocalCognitoInfo, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    username = f"int-{uuid.uuid4().hex[:10]}"
    transcript = io.StringIO()
    child = spawn(local_cognito, transcript)
    child.expect("User name")
    child.sendline(username)
    child.expect("Email address")
    child.sendline(unique_email)
    # A weak password is refused as soon as it is typed, before it is asked a second time,
    # and asked again (no exit 1, no Cognito call for it).
    child.expect("Password")
    child.sendline("weakpass1")
    child.expect("this password needs an upper-case letter, a symbol")
    assert "Repeat for confirmation" not in child.before
    child.expect("Password")
    child.sendline(PASSWORD)
    child.expect("Repeat for confirmation")
    child.sendline(PASSWORD)

    # The code is asked for first: no "another code?" before anyone looked for one.
    child.expect("Confirmation code emailed to")
    assert "another confirmation code" not in child.before
    first_code = outbox.latest_code(unique_email)
    child.sendline(wrong_code(first_code))
    child.expect(r"refused: .* \[code_mismatch\]")
    child.expect(r"Try the confirmation code again\?")
    child.sendline("y")
    # "Y" goes straight back to the code prompt: no other question in between.
    child.expect("Confirmation code emailed to")
    assert "another confirmation code" not in child.before
    assert re.search(r"\[ 3/14\] ConfirmSignUp: try the confirmation code again", child.before)
    child.sendline(wrong_code(first_code))
    child.expect(r"refused: .* \[code_mismatch\]")
    # Declined: a new code is offered before giving up.
    child.expect(r"Try the confirmation code again\?")
    child.sendline("n")
    child.expect(r"Do you need another confirmation code\?")
    child.sendline("y")
    child.expect("ResendConfirmationCode: ask for another code")
    child.expect("Confirmation code emailed to")
    messages = outbox.messages(to=unique_email, kind="confirmation_code")
    assert len(messages) == 2  # the sign-up's code and the resent one
    child.sendline(messages[-1]["code"])

    child.expect(r"Secret for manual entry: ([A-Z2-7]+)")
    totp = pyotp.TOTP(child.match.group(1))
    child.expect("Code shown by your authenticator app")
    # Codes at the local Cognito's time: its TOTP steps follow its clock, which other tests
    # of this session may have moved.
    child.sendline(totp.at(cognito_clock.now()))
    child.expect("A NEW code from your authenticator app")
    # A code works once: the next 30-s step's code (the local Cognito accepts ±1 step).
    child.sendline(totp.at(cognito_clock.now() + 30))
    child.expect(r"Remember this device")
    child.sendline("y")
    child.expect("signed in with the remembered device: no MFA code was asked")
    child.expect("Final state: AUTHENTICATED")

    assert finish(child) == 0, transcript.getvalue()
    output = transcript.getvalue()
    assert "SIGNED_UP (stays; code_rejected)" in output
    assert "SIGNED_UP (stays; code_resent)" in output
    assert PASSWORD not in output and "weakpass1" not in output
    assert not JWT.search(output)
    # The counter stays right with the retries: 13 main steps + two more ConfirmSignUp tries
    # and a resend; numbered 1..16 with no gap, ending at 16/16.
    numbered = [(int(n), int(total)) for n, total, _ in STEP_LINE.findall(output)]
    assert [n for n, _ in numbered] == list(range(1, 17))
    assert numbered[-1] == (16, 16)
    assert all(n <= total for n, total in numbered)
    assert "Done: 16 Cognito actions" in output


def test_interactive_wrong_totp_not_retried_fails_at_that_step(
    local_cognito: LocalCognitoInfo, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    transcript = io.StringIO()
    child = spawn(local_cognito, transcript)
    answer_identity(child, f"int-{uuid.uuid4().hex[:10]}", unique_email)
    child.expect("Confirmation code emailed to")
    child.sendline(outbox.latest_code(unique_email))
    child.expect(r"Secret for manual entry: ([A-Z2-7]+)")
    totp = pyotp.TOTP(child.match.group(1))
    child.expect("Code shown by your authenticator app")
    now = cognito_clock.now()
    # Not the code of any step the server's ±1 window could accept around now.
    child.sendline(wrong_code(*(totp.at(now + 30 * k) for k in (-2, -1, 0, 1, 2))))
    child.expect(r"Try the authenticator code again\?")
    child.sendline("n")

    assert finish(child) == 1
    output = transcript.getvalue()
    assert re.search(
        r"Error: step 6/13 VerifySoftwareToken failed: .+ \[code_mismatch\]", output
    ), output
    # Cognito answers EnableSoftwareTokenMFAException here (API reference,
    # VerifySoftwareToken); the lifecycle counts it as a rejected code.
    assert re.search(r"flow: MFA_SETUP \(stays; code_rejected\)", output), output
    assert "Traceback" not in output
