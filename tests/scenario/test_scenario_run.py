"""`bff scenario` against the local Cognito: straight through, the optional steps, failures.

Runs in-process with click's CliRunner (the session's local Cognito, configured through the
same COGNITO_* variables a developer would set) and checks both what is printed and what
Cognito holds afterwards.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bff.cognito.gateway import CognitoGateway
from bff_tools.cli import cli
from bff_tools.scenario import MAIN_STEPS, generate_password
from local_cognito import LocalCognitoInfo

PASSWORD = "Scenario-Pa55word!"
JWT = re.compile(r"eyJ[\w-]{8,}\.[\w-]+\.[\w-]+")

# The spec's 13 actions, in order.
MAIN_ACTIONS = [
    "SignUp",
    "ConfirmSignUp",
    "ListUsers",
    "AdminInitiateAuth",
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "ConfirmDevice",
    "UpdateDeviceStatus",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "RespondToAuthChallenge",
]
# The transitions the BFF's state machine journals for that path.
MAIN_TRANSITIONS = [
    ("NEW", "SIGNED_UP", "signed_up"),
    ("SIGNED_UP", "CONFIRMED", "confirmed"),
    ("CONFIRMED", "MFA_SETUP", "mfa_setup_required"),
    ("MFA_SETUP", "MFA_SETUP", "software_token_associated"),
    ("MFA_SETUP", "MFA_SETUP", "software_token_verified"),
    ("MFA_SETUP", "SOFTWARE_TOKEN_MFA", "software_token_mfa_required"),
    ("SOFTWARE_TOKEN_MFA", "AUTHENTICATED", "authenticated"),
    ("AUTHENTICATED", "AUTHENTICATED", "device_confirmed"),
    ("AUTHENTICATED", "AUTHENTICATED", "device_remembered"),
    ("AUTHENTICATED", "DEVICE_SRP_AUTH", "device_srp_required"),
    ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER", "device_password_verifier_required"),
    ("DEVICE_PASSWORD_VERIFIER", "AUTHENTICATED", "authenticated"),
]
STEP_LINE = re.compile(r"^\[\s*(\d+)/(\d+)\] (\w+):", re.MULTILINE)


def cognito_env(info: LocalCognitoInfo, **extra: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "COGNITO_USER_POOL_ID": info.user_pool_id,
        "COGNITO_CLIENT_ID": info.client_id,
        "COGNITO_CLIENT_SECRET": info.client_secret,
        "COGNITO_ENDPOINT_URL": info.endpoint_url,
        "AWS_REGION": info.region,
        "BFF_SCENARIO_PASSWORD": PASSWORD,
    }
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(cli, ["scenario", *args], env=env)


def steps(output: str) -> list[tuple[int, int, str]]:
    return [(int(n), int(m), action) for n, m, action in STEP_LINE.findall(output)]


def username_of(output: str) -> str:
    match = re.search(r"SignUp: register (\S+) <", output)
    assert match, output
    return match.group(1)


def new_name() -> str:
    return f"scn-{uuid.uuid4().hex[:10]}"


def test_straight_through_completes_every_step(
    local_cognito: LocalCognitoInfo, cognito_client: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.json"
    result = run(["--journal", str(journal)], cognito_env(local_cognito))

    assert result.exit_code == 0, result.output
    assert steps(result.output) == [
        (n, MAIN_STEPS, action) for n, action in enumerate(MAIN_ACTIONS, start=1)
    ]
    assert "Final state: AUTHENTICATED" in result.output
    assert "signed in with the remembered device: no MFA code was asked" in result.output
    # Every transition is printed as it happens, and the journal holds the same ones.
    for source, dest, trigger in MAIN_TRANSITIONS:
        shown = (
            f"{source} → {dest} ({trigger})" if source != dest else f"{source} (stays; {trigger})"
        )
        assert shown in result.output
    entries = json.loads(journal.read_text())
    assert [(e["from"], e["to"], e["trigger"]) for e in entries] == MAIN_TRANSITIONS
    # Secrets: no whole token, never the password; the QR code and the TOTP secret are shown.
    assert not JWT.search(result.output)
    assert PASSWORD not in result.output
    assert "Secret for manual entry: " in result.output
    assert "█" in result.output

    # What Cognito holds afterwards: confirmed, TOTP on, one remembered device.
    username = username_of(result.output)
    user = cognito_client.admin_get_user(UserPoolId=local_cognito.user_pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert user.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"]
    gateway = CognitoGateway(
        cognito_client, user_pool_id=local_cognito.user_pool_id, client_id=local_cognito.client_id
    )
    step = gateway.admin_initiate_auth(username, PASSWORD)
    assert step.challenge_name == "SOFTWARE_TOKEN_MFA"  # no device key: MFA is still asked


def test_unconfirmed_existing_user_takes_the_optional_steps(
    local_cognito: LocalCognitoInfo, cognito_client: Any, unique_email: str
) -> None:
    username = new_name()
    gateway = CognitoGateway(
        cognito_client, user_pool_id=local_cognito.user_pool_id, client_id=local_cognito.client_id
    )
    gateway.sign_up(username, PASSWORD, email=unique_email)  # signed up, never confirmed

    result = run(["--username", username, "--email", unique_email], cognito_env(local_cognito))

    assert result.exit_code == 0, result.output
    actions = ["SignUp", "AdminGetUser", "ResendConfirmationCode", *MAIN_ACTIONS[1:]]
    # The count grows as the optional steps turn out to be needed.
    totals = [MAIN_STEPS, MAIN_STEPS + 1] + [MAIN_STEPS + 2] * (len(actions) - 2)
    assert steps(result.output) == [
        (n, total, a) for n, (total, a) in enumerate(zip(totals, actions, strict=True), start=1)
    ]
    assert "already exists: look the user up" in result.output
    assert "status UNCONFIRMED" in result.output
    assert "NEW → SIGNED_UP (user_not_confirmed)" in result.output
    assert "SIGNED_UP (stays; code_resent)" in result.output
    assert "Final state: AUTHENTICATED" in result.output


def test_confirmed_user_with_mfa_stops_where_a_person_is_needed(
    local_cognito: LocalCognitoInfo,
) -> None:
    username = new_name()
    env = cognito_env(local_cognito)
    assert run(["--username", username], env).exit_code == 0

    again = run(["--username", username], env)

    assert again.exit_code == 1
    assert "status CONFIRMED" in again.output
    assert "skipped ConfirmSignUp: the user is already confirmed" in again.output
    assert "skipped AssociateSoftwareToken" in again.output
    assert re.search(
        r"Error: step \d+/\d+ AdminRespondToAuthChallenge failed: Cognito asks for a code from "
        r"the authenticator app .* \[needs_input\]",
        again.output,
    )
    assert "Traceback" not in again.output


def test_a_refused_action_exits_non_zero_naming_the_step(local_cognito: LocalCognitoInfo) -> None:
    too_short = "Ab1!xyz"  # 7 characters: the pool's policy wants 8
    result = run([], cognito_env(local_cognito, BFF_SCENARIO_PASSWORD=too_short))

    assert result.exit_code == 1
    assert re.search(
        rf"Error: step 1/{MAIN_STEPS} SignUp failed: .+ \[invalid_password\]", result.output
    )
    assert "Traceback" not in result.output
    assert too_short not in result.output


def test_straight_through_refuses_real_cognito_before_calling_it() -> None:
    # No endpoint: real AWS. The program cannot read email, so it stops before any call.
    env: dict[str, str | None] = {
        "COGNITO_USER_POOL_ID": "eu-west-1_NotReal",
        "COGNITO_CLIENT_ID": "notarealclient",
        "COGNITO_ENDPOINT_URL": None,
    }
    result = run([], env)

    assert result.exit_code == 1
    assert "cannot read email" in result.output
    assert "--interactive" in result.output
    assert "[ 1/" not in result.output


def test_endpoint_without_pool_ids_is_a_usage_error(local_cognito: LocalCognitoInfo) -> None:
    env: dict[str, str | None] = {"COGNITO_USER_POOL_ID": None, "COGNITO_CLIENT_ID": None}
    result = run(["--endpoint", local_cognito.endpoint_url], env)

    assert result.exit_code == 2
    assert "bff local-cognito --json" in result.output


@pytest.mark.slow
def test_starts_its_own_local_cognito_when_none_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With no pool configured, the command starts its own local Cognito for the run.
    for name in ("COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "COGNITO_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        cli, ["scenario"], env={"BFF_SCENARIO_PASSWORD": generate_password()}
    )

    assert result.exit_code == 0, result.output
    assert "starting a local Cognito in this process" in result.output
    assert "Final state: AUTHENTICATED" in result.output


def test_client_with_a_secret(local_cognito_server: Any) -> None:
    info = local_cognito_server.provision(with_client_secret=True)
    assert info.client_secret
    result = run([], cognito_env(info))

    assert result.exit_code == 0, result.output
    assert info.client_secret not in result.output
    assert "Final state: AUTHENTICATED" in result.output
