"""MFA by text message and the choice among factors, over the wire: SMSMfaSettings,
SMS_MFA (the texted code, wrong, expired, too many attempts), SELECT_MFA_TYPE, remembered
devices, the pool's SMS configuration."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from lc_support import Account, Accounts, cognito_error, remember_device

from local_cognito import mfa_factors

PHONE_PREFIX = "+1555"


def new_phone() -> str:
    return PHONE_PREFIX + f"{uuid.uuid4().int % 10**7:07d}"


def with_phone(accounts: Accounts, account: Account) -> str:
    phone = new_phone()
    accounts.client.admin_update_user_attributes(
        UserPoolId=accounts.info.user_pool_id,
        Username=account.email,
        UserAttributes=[{"Name": "phone_number", "Value": phone}],
    )
    return phone


def set_mfa(accounts: Accounts, account: Account, **settings: dict[str, bool]) -> None:
    accounts.client.admin_set_user_mfa_preference(
        UserPoolId=accounts.info.user_pool_id, Username=account.email, **settings
    )


def sms_user(accounts: Accounts, email: str, *, preferred: bool = True) -> tuple[Account, str]:
    """Confirmed, with a phone number and SMS MFA enabled (and preferred)."""
    account = accounts.confirmed(email)
    phone = with_phone(accounts, account)
    set_mfa(accounts, account, SMSMfaSettings={"Enabled": True, "PreferredMfa": preferred})
    return account, phone


def both_factors(accounts: Accounts, email: str) -> tuple[Account, str]:
    """TOTP set up through MFA_SETUP, then SMS enabled too, neither preferred."""
    account = accounts.with_mfa(email)
    phone = with_phone(accounts, account)
    set_mfa(
        accounts,
        account,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    return account, phone


def test_the_template_gives_the_pool_an_sms_configuration(
    cognito_client: Any, local_cognito: Any
) -> None:
    config = cognito_client.get_user_pool_mfa_config(UserPoolId=local_cognito.user_pool_id)
    sms = config["SmsMfaConfiguration"]
    assert sms["SmsConfiguration"]["SnsCallerArn"].endswith(":role/SmsRole")
    assert sms["SmsConfiguration"]["ExternalId"] == "cognito-bff-sms"
    assert "{####}" in sms["SmsAuthenticationMessage"]


def test_sms_mfa_texts_a_code_that_signs_in_once(
    accounts: Accounts, outbox: Any, unique_email: str
) -> None:
    account, phone = sms_user(accounts, unique_email)
    step = accounts.sign_in(account)
    assert step["ChallengeName"] == "SMS_MFA"
    parameters = step["ChallengeParameters"]
    assert parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert parameters["CODE_DELIVERY_DESTINATION"] == "+*******" + phone[-4:]
    (message,) = outbox.messages(to=phone, kind="sms_mfa")
    assert message["status"] == "valid" and message["username"] == unique_email
    assert message["body"] == f"Your cognito-bff sign-in code is {message['code']}."
    done = accounts.respond(
        "SMS_MFA", step["Session"], USERNAME=unique_email, SMS_MFA_CODE=message["code"]
    )
    assert done["AuthenticationResult"]["AccessToken"]
    assert outbox.messages(to=phone, kind="sms_mfa")[0]["status"] == "used"
    user = accounts.client.admin_get_user(
        UserPoolId=accounts.info.user_pool_id, Username=unique_email
    )
    # The first MFA through the number verifies it (developer guide).
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["phone_number_verified"] == (
        "true"
    )
    again = cognito_error(
        accounts.respond,
        "SMS_MFA",
        step["Session"],
        USERNAME=unique_email,
        SMS_MFA_CODE=message["code"],
    )
    assert again == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


def test_a_wrong_code_keeps_the_session_and_three_end_it(
    accounts: Accounts, outbox: Any, unique_email: str
) -> None:
    account, phone = sms_user(accounts, unique_email)
    step = accounts.sign_in(account)
    code = outbox.latest_sms_code(phone)
    wrong = "000000" if code != "000000" else "111111"
    mismatch = ("CodeMismatchException", "Invalid code or auth state for the user.")
    answer = {"USERNAME": unique_email, "SMS_MFA_CODE": wrong}
    assert cognito_error(accounts.respond, "SMS_MFA", step["Session"], **answer) == mismatch
    assert accounts.respond("SMS_MFA", step["Session"], USERNAME=unique_email, SMS_MFA_CODE=code)[
        "AuthenticationResult"
    ]
    step = accounts.sign_in(account)
    for _ in range(mfa_factors.CODE_ATTEMPTS - 1):
        assert cognito_error(accounts.respond, "SMS_MFA", step["Session"], **answer) == mismatch
    expired = ("NotAuthorizedException", "Invalid session for the user, session is expired.")
    assert cognito_error(accounts.respond, "SMS_MFA", step["Session"], **answer) == expired
    right = {"USERNAME": unique_email, "SMS_MFA_CODE": outbox.latest_sms_code(phone)}
    assert cognito_error(accounts.respond, "SMS_MFA", step["Session"], **right) == (
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


def test_a_code_lives_as_long_as_its_session(
    private_accounts: Accounts, private_cognito: Any, unique_email: str
) -> None:
    """The developer guide: the texted code is valid for the app client's authentication
    session (AuthSessionValidity, 3 minutes here); past it the session has expired."""
    accounts = private_accounts
    account, phone = sms_user(accounts, unique_email)
    step = accounts.sign_in(account)
    private_cognito.clock.advance(3 * 60 - 5)
    (message,) = accounts.outbox.messages(to=phone, kind="sms_mfa")
    assert message["status"] == "valid"
    private_cognito.clock.advance(10)
    assert accounts.outbox.messages(to=phone, kind="sms_mfa")[0]["status"] == "expired"
    error = cognito_error(
        accounts.respond,
        "SMS_MFA",
        step["Session"],
        USERNAME=unique_email,
        SMS_MFA_CODE=message["code"],
    )
    assert error == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_sms_mfa_needs_a_phone_number_and_a_pool_that_texts(
    private_accounts: Accounts, private_cognito: Any, unique_email: str
) -> None:
    accounts = private_accounts
    account = accounts.confirmed(unique_email)
    on = {"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    assert cognito_error(
        accounts.client.admin_set_user_mfa_preference,
        UserPoolId=accounts.info.user_pool_id,
        Username=account.email,
        **on,
    ) == ("InvalidParameterException", mfa_factors.NO_PHONE)
    with_phone(accounts, account)
    pool_id = accounts.info.user_pool_id
    before = accounts.client.get_user_pool_mfa_config(UserPoolId=pool_id)
    accounts.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    try:
        assert cognito_error(
            accounts.client.admin_set_user_mfa_preference,
            UserPoolId=pool_id,
            Username=account.email,
            **on,
        ) == ("InvalidParameterException", mfa_factors.SMS_NOT_CONFIGURED)
    finally:
        accounts.client.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            MfaConfiguration=before["MfaConfiguration"],
            SoftwareTokenMfaConfiguration=before["SoftwareTokenMfaConfiguration"],
            SmsMfaConfiguration=before["SmsMfaConfiguration"],
        )
    set_mfa(accounts, account, **on)
    user = accounts.client.admin_get_user(UserPoolId=pool_id, Username=account.email)
    assert user["UserMFASettingList"] == ["SMS_MFA"]
    assert user["PreferredMfaSetting"] == "SMS_MFA"


def test_the_user_turns_sms_mfa_on_and_off_with_an_access_token(
    accounts: Accounts, cognito_client: Any, unique_email: str
) -> None:
    account = accounts.with_mfa(unique_email)
    with_phone(accounts, account)
    token = account.tokens["AccessToken"]
    cognito_client.set_user_mfa_preference(
        AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = cognito_client.get_user(AccessToken=token)
    assert sorted(user["UserMFASettingList"]) == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SMS_MFA"
    assert "MFAOptions" not in user
    cognito_client.set_user_mfa_preference(
        AccessToken=token, SMSMfaSettings={"Enabled": False, "PreferredMfa": False}
    )
    user = cognito_client.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == ""
    assert accounts.sign_in(account)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_the_preferred_factor_is_asked_without_a_choice(
    accounts: Accounts, unique_email: str
) -> None:
    account, _ = both_factors(accounts, unique_email)
    set_mfa(accounts, account, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert accounts.sign_in(account)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    set_mfa(accounts, account, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert accounts.sign_in(account)["ChallengeName"] == "SMS_MFA"


def test_several_factors_none_preferred_ask_for_a_choice(
    accounts: Accounts, outbox: Any, unique_email: str
) -> None:
    account, phone = both_factors(accounts, unique_email)
    step = accounts.sign_in(account)
    assert step["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(step["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
        "SOFTWARE_TOKEN_MFA",
        "SMS_MFA",
    ]
    assert outbox.messages(to=phone) == []  # nothing texted before the choice
    sms = accounts.respond(
        "SELECT_MFA_TYPE", step["Session"], USERNAME=unique_email, ANSWER="SMS_MFA"
    )
    assert sms["ChallengeName"] == "SMS_MFA" and sms["Session"] != step["Session"]
    code = outbox.latest_sms_code(phone)
    done = accounts.respond("SMS_MFA", sms["Session"], USERNAME=unique_email, SMS_MFA_CODE=code)
    assert done["AuthenticationResult"]

    step = accounts.sign_in(account)
    totp = accounts.respond(
        "SELECT_MFA_TYPE", step["Session"], USERNAME=unique_email, ANSWER="SOFTWARE_TOKEN_MFA"
    )
    assert totp["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = accounts.respond(
        "SOFTWARE_TOKEN_MFA",
        totp["Session"],
        USERNAME=unique_email,
        SOFTWARE_TOKEN_MFA_CODE=account.totp_code(),
    )
    assert done["AuthenticationResult"]


@pytest.mark.parametrize("answer", ["EMAIL_MFA", "EMAIL_OTP", "WEB_AUTHN", ""])
def test_a_choice_the_user_does_not_have_is_refused(
    accounts: Accounts, unique_email: str, answer: str
) -> None:
    account, _ = both_factors(accounts, unique_email)
    step = accounts.sign_in(account)
    code, message = cognito_error(
        accounts.respond, "SELECT_MFA_TYPE", step["Session"], USERNAME=unique_email, ANSWER=answer
    )
    assert code == "InvalidParameterException"
    assert (
        ("ANSWER" in message) if not answer else ("is not one of the user's MFA options" in message)
    )
    # The choice can still be made on the same session.
    retry = accounts.respond(
        "SELECT_MFA_TYPE", step["Session"], USERNAME=unique_email, ANSWER="SMS_MFA"
    )
    assert retry["ChallengeName"] == "SMS_MFA"


def test_a_remembered_device_skips_sms_mfa(
    accounts: Accounts, cognito_client: Any, unique_email: str
) -> None:
    account, _ = both_factors(accounts, unique_email)
    device = remember_device(cognito_client, account)
    set_mfa(accounts, account, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    step = accounts.sign_in(account, DEVICE_KEY=device["device_key"])
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert accounts.sign_in(account)["ChallengeName"] == "SMS_MFA"  # without the device


@pytest.mark.parametrize("answer", ["EMAIL_OTP", "EMAIL_MFA"])
def test_email_is_one_of_the_factors_to_choose_from(
    private_accounts: Accounts, private_cognito: Any, unique_email: str, answer: str
) -> None:
    """With email MFA on too (a pool that sends it), none preferred: the choice lists it,
    and either spelling of the email answer (Amplify's EMAIL_OTP, the API reference's
    EMAIL_MFA) leads to the emailed code."""
    accounts = private_accounts
    pool_id = accounts.info.user_pool_id
    config = accounts.client.get_user_pool_mfa_config(UserPoolId=pool_id)
    accounts.client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration=config["MfaConfiguration"],
        SoftwareTokenMfaConfiguration=config["SoftwareTokenMfaConfiguration"],
        SmsMfaConfiguration=config["SmsMfaConfiguration"],
        EmailMfaConfiguration={"Message": "Your code is {####}.", "Subject": "Your code"},
    )
    account, _ = both_factors(accounts, unique_email)
    accounts.client.set_user_mfa_preference(
        AccessToken=account.tokens["AccessToken"],
        EmailMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    step = accounts.sign_in(account)
    assert step["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(step["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
        "SOFTWARE_TOKEN_MFA",
        "SMS_MFA",
        "EMAIL_OTP",
    ]
    email = accounts.respond(
        "SELECT_MFA_TYPE", step["Session"], USERNAME=unique_email, ANSWER=answer
    )
    assert email["ChallengeName"] == "EMAIL_OTP"
    assert email["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = accounts.outbox.messages(to=unique_email, kind="email_otp")[-1]["code"]
    done = accounts.respond(
        "EMAIL_OTP", email["Session"], USERNAME=unique_email, EMAIL_OTP_CODE=code
    )
    assert done["AuthenticationResult"]["AccessToken"]
