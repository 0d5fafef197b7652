"""`bff scenario --passwordless` against the local Cognito: sign up, then sign in with an
emailed code (USER_AUTH → SELECT_CHALLENGE → EMAIL_OTP), every transition printed and
journaled; on a pool that requires MFA it stops and says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from bff_tools.cli import cli
from local_cognito import LocalCognitoInfo

PASSWORD = "Scenario-Pa55word!"
TRANSITIONS = [
    ["NEW", "SIGNED_UP", "signed_up"],
    ["SIGNED_UP", "CONFIRMED", "confirmed"],
    ["CONFIRMED", "SELECT_CHALLENGE", "factor_selection_required"],
    ["SELECT_CHALLENGE", "EMAIL_OTP", "email_otp_required"],
    ["EMAIL_OTP", "AUTHENTICATED", "authenticated"],
]


def run(info: LocalCognitoInfo, *args: str) -> Result:
    env = {
        "COGNITO_USER_POOL_ID": info.user_pool_id,
        "COGNITO_CLIENT_ID": info.client_id,
        "COGNITO_CLIENT_SECRET": info.client_secret,
        "COGNITO_ENDPOINT_URL": info.endpoint_url,
        "AWS_REGION": info.region,
        "BFF_SCENARIO_PASSWORD": PASSWORD,
    }
    return CliRunner().invoke(cli, ["scenario", "--passwordless", *args], env=env)


def test_passwordless_run_signs_in_with_the_emailed_code(
    local_cognito_server: Any, tmp_path: Path
) -> None:
    info = local_cognito_server.provision(parameters={"MfaConfiguration": "OPTIONAL"})
    journal = tmp_path / "journal.json"
    result = run(info, "--journal", str(journal))
    assert result.exit_code == 0, result.output
    assert "[5/5] RespondToAuthChallenge: EMAIL_OTP: the code Cognito emailed" in result.output
    assert "AvailableChallenges: PASSWORD, PASSWORD_SRP, EMAIL_OTP" in result.output
    assert "Final state: AUTHENTICATED" in result.output
    assert PASSWORD not in result.output
    entries = json.loads(journal.read_text())
    assert [[e["from"], e["to"], e["trigger"]] for e in entries] == TRANSITIONS


def test_a_pool_requiring_mfa_offers_no_emailed_code(local_cognito: LocalCognitoInfo) -> None:
    result = run(local_cognito)
    assert result.exit_code == 1
    assert "not an emailed code" in result.output
    assert "not require MFA" in result.output
