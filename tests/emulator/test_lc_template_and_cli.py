"""The pool template (cfn-lint clean, mapped as CloudFormation would) and the CLI commands."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

import local_cognito
from local_cognito import LocalCognito
from local_cognito.template import TemplateError, load_template, pool_definition

TEMPLATE = Path(local_cognito.__file__).with_name("user-pool.yaml")
BFF = str(Path(sys.executable).with_name("bff"))


@pytest.mark.slow
def test_template_passes_cfn_lint() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_maps_to_the_scenario() -> None:
    definition = pool_definition()
    pool, client = definition.create_user_pool, definition.create_user_pool_client
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["DeviceConfiguration"] == {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": True,
    }
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert definition.mfa_config == {
        "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "SmsMfaConfiguration": {
            "SmsAuthenticationMessage": "Your cognito-bff sign-in code is {####}.",
            "SmsConfiguration": {
                "SnsCallerArn": "arn:aws:iam::123456789012:role/SmsRole",
                "ExternalId": "cognito-bff-sms",
            },
        },
    }
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert pool["UserPoolTier"] == "ESSENTIALS"
    assert pool["Policies"]["SignInPolicy"] == {
        "AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
    }
    assert pool["WebAuthnRelyingPartyID"] == "localhost"
    assert pool["WebAuthnUserVerification"] == "preferred"
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["AuthSessionValidity"] == 3
    assert client["GenerateSecret"] is False
    assert pool_definition(with_client_secret=True).create_user_pool_client["GenerateSecret"]
    outputs = load_template()["Outputs"]
    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}


def test_template_loader_rejects_what_it_cannot_evaluate() -> None:
    with pytest.raises(TemplateError):
        load_template("just: [unclosed")
    bad = TEMPLATE.read_text().replace("!Ref PoolName", "!Sub '${AWS::StackName}-pool'")
    with pytest.raises(TemplateError):
        pool_definition(template_text=bad)


def test_provisioned_pool_matches_the_template(
    local_cognito_server: LocalCognito, cognito_client: Any
) -> None:
    info = local_cognito_server.info
    pool = cognito_client.describe_user_pool(UserPoolId=info.user_pool_id)["UserPool"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["DeviceConfiguration"]["DeviceOnlyRememberedOnUserPrompt"] is True
    client = cognito_client.describe_user_pool_client(
        UserPoolId=info.user_pool_id, ClientId=info.client_id
    )["UserPoolClient"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    mfa = cognito_client.get_user_pool_mfa_config(UserPoolId=info.user_pool_id)
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}


def test_local_cognito_refuses_non_loopback_and_unknown_overrides() -> None:
    with pytest.raises(ValueError):
        LocalCognito(host="0.0.0.0")
    with LocalCognito() as info:
        assert info.as_dict().keys() == {"endpoint_url", "region", "user_pool_id", "client_id"}
    server = LocalCognito()
    server.start()
    try:
        with pytest.raises(ValueError):
            server.provision(auth_session_validity=5)
    finally:
        server.stop()


def test_a_taken_port_falls_back_to_a_free_one_or_fails_cleanly() -> None:
    """`bff serve` asks for 9229 and takes a free port when it is taken. werkzeug's own bind
    would print and sys.exit(1) instead of raising, so the fallback never ran."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        with LocalCognito(port=port, fallback_to_free_port=True) as info:
            assert not info.endpoint_url.endswith(f":{port}")
            client = boto3.client(
                "cognito-idp", endpoint_url=info.endpoint_url, region_name=info.region
            )
            assert client.describe_user_pool(UserPoolId=info.user_pool_id)["UserPool"]
        strict = LocalCognito(port=port)
        with pytest.raises(OSError):
            strict.start()
        assert not strict.fell_back
    finally:
        taken.close()


def test_unknown_action_is_a_clean_error(cognito_client: Any) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as excinfo:
        cognito_client.get_user_auth_factors(AccessToken="x")
    assert excinfo.value.response["Error"]["Code"] in {
        "UnknownOperationException",
        "NotAuthorizedException",
    }


@pytest.mark.slow
def test_cli_serves_prints_json_and_exits_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [BFF, "local-cognito", "--port", "0", "--json", "--with-client-secret"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) == {"endpoint_url", "region", "user_pool_id", "client_id", "client_secret"}
        outbox = subprocess.run(
            [BFF, "outbox", "--endpoint", info["endpoint_url"], "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert outbox.returncode == 0 and json.loads(outbox.stdout) == []
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_cli_outbox_reports_an_unreachable_endpoint() -> None:
    result = subprocess.run(
        [BFF, "outbox", "--endpoint", "http://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot read the outbox" in result.stderr and "Traceback" not in result.stderr
