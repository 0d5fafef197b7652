"""Sign-up codes, ResendConfirmationCode, AdminCreateUser temporary passwords, the outbox."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest
from lc_support import cognito_error

from bff.local_outbox import latest_message, read_outbox
from tests.support.passwords import PASSWORD


def advance_clock(endpoint_url: str, seconds: float) -> dict[str, Any]:
    request = urllib.request.Request(
        endpoint_url + "/_local/clock",
        data=json.dumps({"advance_seconds": seconds}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def sign_up(client: Any, info: Any, email: str) -> dict[str, Any]:
    return client.sign_up(
        ClientId=info.client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )


def test_sign_up_sends_a_six_digit_code_and_reports_delivery(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    result = sign_up(cognito_client, local_cognito, unique_email)
    assert result["UserConfirmed"] is False
    assert result["CodeDeliveryDetails"] == {
        "Destination": f"{unique_email[0]}***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    [message] = outbox.messages(to=unique_email)
    assert message["kind"] == "confirmation_code"
    assert re.fullmatch(r"\d{6}", message["code"])
    assert message["user_pool_id"] == local_cognito.user_pool_id
    assert message["sent_at"].endswith("Z")


def test_wrong_confirmation_code_is_refused_and_right_one_confirms(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    sign_up(cognito_client, local_cognito, unique_email)
    code = outbox.latest_code(unique_email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert cognito_error(
        cognito_client.confirm_sign_up,
        ClientId=local_cognito.client_id,
        Username=unique_email,
        ConfirmationCode=wrong,
    ) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    cognito_client.confirm_sign_up(
        ClientId=local_cognito.client_id, Username=unique_email.upper(), ConfirmationCode=code
    )
    user = cognito_client.admin_get_user(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email
    )
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]


def test_confirmation_code_expires_after_24_hours(private_cognito: Any, unique_email: str) -> None:
    client, info = private_cognito.client(), private_cognito.info
    sign_up(client, info, unique_email)
    code = latest_message(info.endpoint_url, unique_email, "confirmation_code")["code"]
    state = advance_clock(info.endpoint_url, 24 * 3600 + 1)
    assert state["offset_seconds"] >= 24 * 3600 + 1
    assert cognito_error(
        client.confirm_sign_up,
        ClientId=info.client_id,
        Username=unique_email,
        ConfirmationCode=code,
    ) == (
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )


def test_resend_confirmation_code_replaces_the_code(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    sign_up(cognito_client, local_cognito, unique_email)
    first = outbox.latest_code(unique_email)
    result = cognito_client.resend_confirmation_code(
        ClientId=local_cognito.client_id, Username=unique_email
    )
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    codes = [m["code"] for m in outbox.messages(to=unique_email, kind="confirmation_code")]
    assert len(codes) == 2 and codes[0] == first
    if codes[1] != first:  # one in a million the new code equals the old one
        assert (
            cognito_error(
                cognito_client.confirm_sign_up,
                ClientId=local_cognito.client_id,
                Username=unique_email,
                ConfirmationCode=first,
            )[0]
            == "CodeMismatchException"
        )
    cognito_client.confirm_sign_up(
        ClientId=local_cognito.client_id, Username=unique_email, ConfirmationCode=codes[1]
    )
    assert cognito_error(
        cognito_client.resend_confirmation_code,
        ClientId=local_cognito.client_id,
        Username=unique_email,
    ) == ("InvalidParameterException", "User is already confirmed.")


def test_resend_for_unknown_user_simulates_delivery(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    # PreventUserExistenceErrors=ENABLED: no UserNotFoundException, nothing actually sent.
    result = cognito_client.resend_confirmation_code(
        ClientId=local_cognito.client_id, Username=unique_email
    )
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert outbox.messages(to=unique_email) == []


def test_sign_up_duplicate_is_case_insensitive(
    cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    sign_up(cognito_client, local_cognito, unique_email)
    assert cognito_error(sign_up, cognito_client, local_cognito, unique_email.upper()) == (
        "UsernameExistsException",
        "User already exists",
    )


def test_sign_up_weak_password_gets_cognito_policy_message(
    cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    assert cognito_error(
        cognito_client.sign_up,
        ClientId=local_cognito.client_id,
        Username=unique_email,
        Password="short",
        UserAttributes=[{"Name": "email", "Value": unique_email}],
    ) == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )


def test_admin_create_user_generates_a_policy_temporary_password(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    user = cognito_client.admin_create_user(
        UserPoolId=local_cognito.user_pool_id,
        Username=unique_email,
        UserAttributes=[
            {"Name": "email", "Value": unique_email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    [message] = outbox.messages(to=unique_email)
    assert message["kind"] == "temporary_password" and message["username"] == unique_email
    temporary = message["temporary_password"]
    assert len(temporary) >= 8
    for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"):
        assert re.search(pattern, temporary)
    step = cognito_client.admin_initiate_auth(
        UserPoolId=local_cognito.user_pool_id,
        ClientId=local_cognito.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": temporary},
    )
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert json.loads(step["ChallengeParameters"]["requiredAttributes"]) == []
    assert json.loads(step["ChallengeParameters"]["userAttributes"])["email"] == unique_email


def test_admin_create_user_checks_a_given_temporary_password(
    cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    code, message = cognito_error(
        cognito_client.admin_create_user,
        UserPoolId=local_cognito.user_pool_id,
        Username=unique_email,
        TemporaryPassword="password",
    )
    assert code == "InvalidPasswordException"
    assert message.startswith("Password did not conform with policy: ")


def test_resend_keeps_the_user_and_sends_a_new_temporary_password(
    private_cognito: Any, unique_email: str
) -> None:
    client, info = private_cognito.client(), private_cognito.info
    created = client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=unique_email,
        UserAttributes=[
            {"Name": "email", "Value": unique_email},
            {"Name": "given_name", "Value": "Ada"},
        ],
    )["User"]
    first = latest_message(info.endpoint_url, unique_email, "temporary_password")
    advance_clock(info.endpoint_url, 6 * 86400)
    resent = client.admin_create_user(
        UserPoolId=info.user_pool_id, Username=unique_email, MessageAction="RESEND"
    )["User"]
    sub = {a["Name"]: a["Value"] for a in created["Attributes"]}["sub"]
    attributes = {a["Name"]: a["Value"] for a in resent["Attributes"]}
    assert attributes["sub"] == sub and attributes["given_name"] == "Ada"
    assert resent["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    messages = read_outbox(info.endpoint_url, to=unique_email, kind="temporary_password")
    assert len(messages) == 2
    second = messages[-1]["temporary_password"]
    assert second != first["temporary_password"]
    # Expiry was reset by RESEND: 6 + 2 days after creation, 2 days after the resend.
    advance_clock(info.endpoint_url, 2 * 86400)
    assert cognito_error(
        client.admin_initiate_auth,
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": first["temporary_password"]},
    ) == ("NotAuthorizedException", "Incorrect username or password.")
    step = client.admin_initiate_auth(
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": second},
    )
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    advance_clock(info.endpoint_url, 6 * 86400)
    assert cognito_error(
        client.admin_initiate_auth,
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": unique_email, "PASSWORD": second},
    ) == (
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )


def test_resend_refused_for_missing_or_confirmed_user(
    cognito_client: Any, local_cognito: Any, outbox: Any, unique_email: str
) -> None:
    assert cognito_error(
        cognito_client.admin_create_user,
        UserPoolId=local_cognito.user_pool_id,
        Username=unique_email,
        MessageAction="RESEND",
    ) == ("UserNotFoundException", "User does not exist.")
    sign_up(cognito_client, local_cognito, unique_email)
    cognito_client.confirm_sign_up(
        ClientId=local_cognito.client_id,
        Username=unique_email,
        ConfirmationCode=outbox.latest_code(unique_email),
    )
    assert (
        cognito_error(
            cognito_client.admin_create_user,
            UserPoolId=local_cognito.user_pool_id,
            Username=unique_email,
            MessageAction="RESEND",
        )[0]
        == "UnsupportedUserStateException"
    )
    user = cognito_client.admin_get_user(
        UserPoolId=local_cognito.user_pool_id, Username=unique_email
    )
    assert user["UserStatus"] == "CONFIRMED"


def test_outbox_endpoint_filters_and_rejects_bad_kind(
    cognito_client: Any, local_cognito: Any, unique_email: str
) -> None:
    sign_up(cognito_client, local_cognito, unique_email)
    url = f"{local_cognito.endpoint_url}/_local/outbox?to={unique_email.upper()}"
    with urllib.request.urlopen(url) as response:
        assert [m["to"] for m in json.load(response)] == [unique_email]
    assert read_outbox(local_cognito.endpoint_url, to=unique_email, kind="temporary_password") == []
    with pytest.raises(ValueError):
        read_outbox(local_cognito.endpoint_url, kind="sms")
    with pytest.raises(LookupError):
        latest_message(local_cognito.endpoint_url, unique_email, "temporary_password")


def test_clock_endpoint_rejects_bad_input(local_cognito: Any) -> None:
    for body in (b"{}", b'{"advance_seconds": -5}', b"not json", b'{"advance_seconds": "x"}'):
        request = urllib.request.Request(
            local_cognito.endpoint_url + "/_local/clock", data=body, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request)
        excinfo.value.close()
        assert excinfo.value.code == 400
