"""Account recovery through boto3: ForgotPassword / ConfirmForgotPassword (codes through the
outbox), AdminResetUserPassword, ChangePassword, SetUserMFAPreference."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from lc_support import cognito_error

from bff.local_outbox import OutboxReader, read_outbox
from local_cognito.fidelity import RESET_CODE_ATTEMPTS, RESET_REQUESTS_PER_HOUR

NEW_PASSWORD = "Another-h0rse!"
CODE_MISMATCH = ("CodeMismatchException", "Invalid verification code provided, please try again.")
CODE_EXPIRED = ("ExpiredCodeException", "Invalid code provided, please request a code again.")
LIMIT = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")


def advance_clock(endpoint_url: str, seconds: float) -> None:
    request = urllib.request.Request(
        endpoint_url + "/_local/clock",
        data=json.dumps({"advance_seconds": seconds}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request):
        pass


def forgot(client: Any, info: Any, email: str) -> dict[str, Any]:
    return client.forgot_password(ClientId=info.client_id, Username=email)


def confirm(client: Any, info: Any, email: str, code: str, password: str = NEW_PASSWORD) -> Any:
    return client.confirm_forgot_password(
        ClientId=info.client_id, Username=email, ConfirmationCode=code, Password=password
    )


def password_sign_in(client: Any, info: Any, email: str, password: str) -> dict[str, Any]:
    return client.initiate_auth(
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )


def other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_forgot_password_emails_a_code_that_sets_the_new_password(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    account = accounts.confirmed(unique_email)
    result = forgot(cognito_client, local_cognito, unique_email)
    assert result["CodeDeliveryDetails"] == {
        "Destination": f"{unique_email[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    [message] = outbox.messages(to=unique_email, kind="password_reset_code")
    assert re.fullmatch(r"\d{6}", message["code"])
    assert message["username"] == unique_email
    assert outbox.latest_reset_code(unique_email) == message["code"]

    confirm(cognito_client, local_cognito, unique_email, message["code"])

    assert cognito_error(
        password_sign_in, cognito_client, local_cognito, unique_email, account.password
    ) == ("NotAuthorizedException", "Incorrect username or password.")
    step = password_sign_in(cognito_client, local_cognito, unique_email, NEW_PASSWORD)
    assert step["ChallengeName"] == "MFA_SETUP"  # the password worked; MFA comes next
    # The code works once.
    assert cognito_error(confirm, cognito_client, local_cognito, unique_email, message["code"]) == (
        CODE_EXPIRED
    )


def test_wrong_code_is_refused_and_the_right_one_still_works(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    accounts.confirmed(unique_email)
    forgot(cognito_client, local_cognito, unique_email)
    code = outbox.latest_reset_code(unique_email)
    assert cognito_error(confirm, cognito_client, local_cognito, unique_email, other(code)) == (
        CODE_MISMATCH
    )
    confirm(cognito_client, local_cognito, unique_email, code)


def test_a_new_request_replaces_the_previous_code(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    accounts.confirmed(unique_email)
    forgot(cognito_client, local_cognito, unique_email)
    first = outbox.latest_reset_code(unique_email)
    forgot(cognito_client, local_cognito, unique_email)
    second = outbox.latest_reset_code(unique_email)
    if first != second:
        assert cognito_error(confirm, cognito_client, local_cognito, unique_email, first) == (
            CODE_MISMATCH
        )
    confirm(cognito_client, local_cognito, unique_email, second)


def test_weak_new_password_keeps_the_code_usable(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    accounts.confirmed(unique_email)
    forgot(cognito_client, local_cognito, unique_email)
    code = outbox.latest_reset_code(unique_email)
    assert cognito_error(
        confirm, cognito_client, local_cognito, unique_email, code, "alllowercase1!"
    ) == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have uppercase characters",
    )
    confirm(cognito_client, local_cognito, unique_email, code)


def test_too_many_requests_answer_limit_exceeded_until_an_hour_passes(
    private_accounts: Any, private_cognito: Any, unique_email: str
) -> None:
    info, client = private_cognito.info, private_cognito.client()
    private_accounts.confirmed(unique_email)
    for _ in range(RESET_REQUESTS_PER_HOUR):
        forgot(client, info, unique_email)
    assert cognito_error(forgot, client, info, unique_email) == LIMIT
    advance_clock(info.endpoint_url, 3601)
    forgot(client, info, unique_email)


def test_too_many_wrong_codes_answer_limit_exceeded_until_a_new_code(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    accounts.confirmed(unique_email)
    forgot(cognito_client, local_cognito, unique_email)
    code = outbox.latest_reset_code(unique_email)
    for _ in range(RESET_CODE_ATTEMPTS):
        assert cognito_error(confirm, cognito_client, local_cognito, unique_email, other(code)) == (
            CODE_MISMATCH
        )
    # Even the right code is refused now.
    assert cognito_error(confirm, cognito_client, local_cognito, unique_email, code) == LIMIT
    forgot(cognito_client, local_cognito, unique_email)
    confirm(cognito_client, local_cognito, unique_email, outbox.latest_reset_code(unique_email))


def test_reset_code_expires_after_an_hour(
    private_accounts: Any, private_cognito: Any, unique_email: str
) -> None:
    info, client = private_cognito.info, private_cognito.client()
    private_accounts.confirmed(unique_email)
    forgot(client, info, unique_email)
    code = OutboxReader(info.endpoint_url).latest_reset_code(unique_email)
    advance_clock(info.endpoint_url, 3601)
    assert cognito_error(confirm, client, info, unique_email, code) == CODE_EXPIRED


def test_unknown_user_gets_a_simulated_delivery_and_nothing_is_sent(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    # PreventUserExistenceErrors=ENABLED (the template's client): same shape as a real one.
    result = forgot(cognito_client, local_cognito, unique_email)
    delivery = result["CodeDeliveryDetails"]
    assert delivery["DeliveryMedium"] == "EMAIL" and delivery["AttributeName"] == "email"
    assert re.fullmatch(r"[a-z]\*\*\*@[a-z]\*\*\*", delivery["Destination"])
    assert outbox.messages(to=unique_email) == []
    assert cognito_error(confirm, cognito_client, local_cognito, unique_email, "123456") == (
        CODE_MISMATCH
    )


def test_unknown_user_without_prevent_user_existence_errors(
    local_cognito_server: Any, unique_email: str
) -> None:
    info = local_cognito_server.provision(PreventUserExistenceErrors="LEGACY")
    client = local_cognito_server.client()
    assert cognito_error(forgot, client, info, unique_email) == (
        "UserNotFoundException",
        "Username/client id combination not found.",
    )


def test_forgot_password_needs_a_verified_email(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    accounts.signed_up(unique_email)  # UNCONFIRMED: email not verified
    assert cognito_error(forgot, cognito_client, local_cognito, unique_email) == (
        "InvalidParameterException",
        "Cannot reset password for the user as there is no registered/verified email or "
        "phone_number",
    )


def test_forgot_password_checks_the_secret_hash(
    local_cognito_server: Any, unique_email: str
) -> None:
    info = local_cognito_server.provision(with_client_secret=True)
    client = local_cognito_server.client()
    code, message = cognito_error(forgot, client, info, unique_email)
    assert (code, message) == (
        "NotAuthorizedException",
        f"Client {info.client_id} is configured with secret but SECRET_HASH was not received",
    )


def test_admin_reset_requires_a_reset_at_sign_in_and_emails_a_code(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    account = accounts.confirmed(unique_email)
    cognito_client.admin_reset_user_password(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email
    )
    user = cognito_client.admin_get_user(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email
    )
    assert user["UserStatus"] == "RESET_REQUIRED"
    reset_required = ("PasswordResetRequiredException", "Password reset required for the user")
    assert cognito_error(accounts.sign_in, account) == reset_required
    assert cognito_error(
        password_sign_in, cognito_client, local_cognito, unique_email, account.password
    ) == (reset_required)

    confirm(cognito_client, local_cognito, unique_email, outbox.latest_reset_code(unique_email))
    user = cognito_client.admin_get_user(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email
    )
    assert user["UserStatus"] == "CONFIRMED"
    step = password_sign_in(cognito_client, local_cognito, unique_email, NEW_PASSWORD)
    assert step["ChallengeName"] == "MFA_SETUP"


def test_admin_reset_of_an_unconfirmed_user_is_refused(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    accounts.signed_up(unique_email)
    assert cognito_error(
        cognito_client.admin_reset_user_password,
        UserPoolId=local_cognito.user_pool_id,
        Username=unique_email,
    ) == ("NotAuthorizedException", "User password cannot be reset in the current state.")


def test_change_password_checks_the_old_password_and_the_policy(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    token = account.tokens["AccessToken"]

    def change(old: str, new: str) -> Any:
        return cognito_client.change_password(
            AccessToken=token, PreviousPassword=old, ProposedPassword=new
        )

    assert cognito_error(change, "Wrong-h0rse!!", NEW_PASSWORD) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert cognito_error(change, account.password, "Sh0rt!") == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )
    assert cognito_error(change, account.password, "NoDigitsHere!") == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have numeric characters",
    )
    change(account.password, NEW_PASSWORD)
    account.password = NEW_PASSWORD
    step = accounts.sign_in(account)
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_set_user_mfa_preference(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    token = account.tokens["AccessToken"]
    cognito_client.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = cognito_client.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert cognito_error(
        cognito_client.set_user_mfa_preference,
        AccessToken=token,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    ) == ("InvalidParameterException", "User does not have delivery config set to turn on SMS_MFA")


def test_set_user_mfa_preference_needs_a_verified_software_token(
    local_cognito_server: Any, unique_email: str
) -> None:
    info = local_cognito_server.provision(MfaConfiguration="OPTIONAL")
    client = local_cognito_server.client()
    outbox = OutboxReader(info.endpoint_url)
    client.sign_up(
        ClientId=info.client_id,
        Username=unique_email,
        Password="Correct-h0rse!",
        UserAttributes=[{"Name": "email", "Value": unique_email}],
    )
    client.confirm_sign_up(
        ClientId=info.client_id,
        Username=unique_email,
        ConfirmationCode=outbox.latest_code(unique_email),
    )
    tokens = password_sign_in(client, info, unique_email, "Correct-h0rse!")
    token = tokens["AuthenticationResult"]["AccessToken"]
    assert cognito_error(
        client.set_user_mfa_preference,
        AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    ) == ("InvalidParameterException", "User has not verified software token mfa")


def test_outbox_endpoint_accepts_the_reset_kind(local_cognito: Any) -> None:
    assert isinstance(read_outbox(local_cognito.endpoint_url, kind="password_reset_code"), list)


def test_bff_outbox_shows_reset_codes(
    accounts: Any, cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    from click.testing import CliRunner

    from bff_tools.local_cognito_cli import outbox_command

    accounts.confirmed(unique_email)
    forgot(cognito_client, local_cognito, unique_email)
    code = outbox.latest_reset_code(unique_email)
    args = ["--endpoint", local_cognito.endpoint_url, "--to", unique_email]
    result = CliRunner().invoke(outbox_command, [*args, "--kind", "password_reset_code"])
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    assert "password_reset_code" in line and line.endswith(f"{code}  valid")


def test_users_without_sms_mfa_have_no_mfa_options(
    accounts: Any, cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    pool_id = local_cognito.user_pool_id
    user = cognito_client.admin_get_user(UserPoolId=pool_id, Username=unique_email)
    assert "MFAOptions" not in user
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert "MFAOptions" not in cognito_client.get_user(AccessToken=account.tokens["AccessToken"])
    listed = cognito_client.list_users(UserPoolId=pool_id, Filter=f'email = "{unique_email}"')
    [entry] = listed["Users"]
    assert entry["Username"] == unique_email and "MFAOptions" not in entry
    cognito_client.create_group(UserPoolId=pool_id, GroupName=unique_email.split("@")[0])
    cognito_client.admin_add_user_to_group(
        UserPoolId=pool_id, Username=unique_email, GroupName=unique_email.split("@")[0]
    )
    [member] = cognito_client.list_users_in_group(
        UserPoolId=pool_id, GroupName=unique_email.split("@")[0]
    )["Users"]
    assert "MFAOptions" not in member
