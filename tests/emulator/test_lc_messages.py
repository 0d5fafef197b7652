"""The pool's email settings (template parameters EmailSourceArn / EmailFrom, the invitation
and verification templates) rendered into the outbox."""

from __future__ import annotations

from typing import Any

from bff.local_outbox import OutboxReader
from local_cognito.messages import COGNITO_DEFAULT_SENDER
from local_cognito.template import pool_definition

SES_ARN = "arn:aws:ses:eu-west-1:123456789012:identity/no-reply@example.com"


def test_template_email_configuration_defaults_to_cognitos_sender() -> None:
    pool = pool_definition().create_user_pool
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    invite = pool["AdminCreateUserConfig"]["InviteMessageTemplate"]
    assert "{username}" in invite["EmailMessage"] and "{####}" in invite["EmailMessage"]


def test_template_email_configuration_with_ses() -> None:
    pool = pool_definition(parameters={"EmailSourceArn": SES_ARN}).create_user_pool
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "DEVELOPER", "SourceArn": SES_ARN}
    pool = pool_definition(
        parameters={"EmailSourceArn": SES_ARN, "EmailFrom": "Example <hello@example.com>"}
    ).create_user_pool
    assert pool["EmailConfiguration"]["From"] == "Example <hello@example.com>"


def test_outbox_shows_the_rendered_emails(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    cognito_client.sign_up(
        ClientId=local_cognito.client_id,
        Username=unique_email,
        Password="Correct-h0rse!",
        UserAttributes=[{"Name": "email", "Value": unique_email}],
    )
    [message] = outbox.messages(to=unique_email, kind="confirmation_code")
    assert message["from"] == COGNITO_DEFAULT_SENDER
    assert message["subject"] == "Your verification code"
    assert message["body"] == f"Your verification code is {message['code']}."


def test_invitation_uses_the_templates_invite_message(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    cognito_client.admin_create_user(
        UserPoolId=local_cognito.user_pool_id,
        Username=unique_email,
        UserAttributes=[
            {"Name": "email", "Value": unique_email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    [message] = outbox.messages(to=unique_email, kind="temporary_password")
    assert message["subject"] == "Your account is ready"
    assert f"Sign in as {unique_email} with the temporary password" in message["body"]
    assert message["temporary_password"] in message["body"]
    assert "{####}" not in message["body"] and "{username}" not in message["body"]


def test_reset_codes_use_the_verification_template(
    cognito_client: Any, local_cognito: Any, outbox: Any, accounts: Any, unique_email: str
) -> None:
    accounts.confirmed(unique_email)
    cognito_client.forgot_password(ClientId=local_cognito.client_id, Username=unique_email)
    [message] = outbox.messages(to=unique_email, kind="password_reset_code")
    assert message["body"] == f"Your verification code is {message['code']}."


def test_ses_sender_from_the_template_parameters(
    local_cognito_server: Any, unique_email: str
) -> None:
    for parameters, sender in (
        ({"EmailSourceArn": SES_ARN}, "no-reply@example.com"),
        (
            {"EmailSourceArn": SES_ARN, "EmailFrom": "Example <hello@example.com>"},
            "Example <hello@example.com>",
        ),
    ):
        info = local_cognito_server.provision(parameters=parameters)
        local_cognito_server.client().admin_create_user(
            UserPoolId=info.user_pool_id,
            Username=unique_email,
            UserAttributes=[{"Name": "email", "Value": unique_email}],
        )
        message = OutboxReader(info.endpoint_url).messages(to=unique_email)[-1]
        assert message["user_pool_id"] == info.user_pool_id
        assert message["from"] == sender


def test_pool_without_templates_gets_cognitos_default_invitation(
    local_cognito_server: Any, unique_email: str
) -> None:
    info = local_cognito_server.provision(AdminCreateUserConfig={"AllowAdminCreateUserOnly": False})
    local_cognito_server.client().admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=unique_email,
        UserAttributes=[{"Name": "email", "Value": unique_email}],
    )
    message = OutboxReader(info.endpoint_url).messages(to=unique_email)[-1]
    assert message["subject"] == "Your temporary password"
    assert message["body"] == (
        f"Your username is {unique_email} and temporary password is "
        f"{message['temporary_password']}."
    )
