"""A user pool of the session's local Cognito set up for choice-based sign-in: Essentials
plan, password and email codes as first factors, MFA optional (a pool that requires MFA
offers no passwordless factor), an app client allowing USER_AUTH."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.passwords import PASSWORD

CHOICE_FLOWS = [
    "ALLOW_USER_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@dataclass(frozen=True)
class ChoicePool:
    user_pool_id: str
    client_id: str


def create_choice_pool(
    client: Any,
    *,
    tier: str = "ESSENTIALS",
    factors: tuple[str, ...] = ("PASSWORD", "EMAIL_OTP"),
    mfa: str = "OPTIONAL",
    prevent_existence_errors: bool = True,
    flows: list[str] | None = None,
    email_mfa: bool = True,
    sms: bool = False,
) -> ChoicePool:
    """A new pool and client on the local Cognito ``client`` talks to."""
    pool = client.create_user_pool(
        PoolName="choice",
        UserPoolTier=tier,
        Policies={
            "PasswordPolicy": {"MinimumLength": 8},
            "SignInPolicy": {"AllowedFirstAuthFactors": list(factors)},
        },
        AutoVerifiedAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]
    mfa_config: dict[str, Any] = {
        "UserPoolId": pool["Id"],
        "MfaConfiguration": mfa,
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
    }
    if email_mfa:
        mfa_config["EmailMfaConfiguration"] = {
            "Subject": "Your sign-in code",
            "Message": "Your code is {####}.",
        }
    if sms:
        # Texted codes (SMS_MFA, SMS_OTP) need the SNS role Cognito assumes.
        mfa_config["SmsMfaConfiguration"] = {
            "SmsAuthenticationMessage": "Your sign-in code is {####}.",
            "SmsConfiguration": {
                "SnsCallerArn": "arn:aws:iam::123456789012:role/SmsRole",
                "ExternalId": "choice-sms",
            },
        }
    client.set_user_pool_mfa_config(**mfa_config)
    app_client = client.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="choice-web",
        ExplicitAuthFlows=flows or CHOICE_FLOWS,
        PreventUserExistenceErrors="ENABLED" if prevent_existence_errors else "LEGACY",
    )["UserPoolClient"]
    return ChoicePool(pool["Id"], app_client["ClientId"])


def confirmed_user(client: Any, pool: ChoicePool, email: str, password: str = PASSWORD) -> None:
    """A confirmed user with a verified email and a password (AdminCreateUser + password)."""
    client.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    client.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username=email, Password=password, Permanent=True
    )
