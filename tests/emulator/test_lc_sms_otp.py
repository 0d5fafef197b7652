"""SMS_OTP over the wire: a texted code as the first factor of choice-based sign-in, offered
to users with a verified phone number in a pool that texts; wrong, too many and unknown."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from lc_support import cognito_error

from bff.local_outbox import OutboxReader
from tests.support.choice_pool import ChoicePool, confirmed_user, create_choice_pool

FACTORS = ("PASSWORD", "EMAIL_OTP", "SMS_OTP")


@pytest.fixture(scope="module")
def pool(cognito_client: Any) -> ChoicePool:
    return create_choice_pool(cognito_client, factors=FACTORS, sms=True)


def start(client: Any, pool: ChoicePool, username: str, **params: str) -> dict[str, Any]:
    return client.initiate_auth(  # type: ignore[no-any-return]
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, **params},
    )


def respond(client: Any, pool: ChoicePool, name: str, session: str, **answer: str) -> Any:
    return client.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName=name, Session=session, ChallengeResponses=answer
    )


def with_phone(client: Any, pool: ChoicePool, email: str, *, verified: bool) -> str:
    phone = "+1555" + f"{uuid.uuid4().int % 10**7:07d}"
    client.admin_update_user_attributes(
        UserPoolId=pool.user_pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "phone_number", "Value": phone},
            {"Name": "phone_number_verified", "Value": "true" if verified else "false"},
        ],
    )
    return phone


def test_a_verified_phone_number_makes_texted_codes_a_first_factor(
    cognito_client: Any, pool: ChoicePool, unique_email: str, outbox: OutboxReader
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    with_phone(cognito_client, pool, unique_email, verified=False)
    assert start(cognito_client, pool, unique_email)["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
    ]
    # Preferred but not the user's: the choice instead, and nothing texted.
    assert start(cognito_client, pool, unique_email, PREFERRED_CHALLENGE="SMS_OTP")[
        "ChallengeName"
    ] == ("SELECT_CHALLENGE")
    phone = with_phone(cognito_client, pool, unique_email, verified=True)
    step = start(cognito_client, pool, unique_email)
    assert step["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    texted = respond(
        cognito_client,
        pool,
        "SELECT_CHALLENGE",
        step["Session"],
        USERNAME=unique_email,
        ANSWER="SMS_OTP",
    )
    assert texted["ChallengeName"] == "SMS_OTP"
    assert texted["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert texted["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******" + phone[-4:]
    (message,) = outbox.messages(to=phone, kind="sms_otp")
    assert (
        message["body"] == f"Your sign-in code is {message['code']}."
        and message["status"] == "valid"
    )
    done = respond(
        cognito_client,
        pool,
        "SMS_OTP",
        texted["Session"],
        USERNAME=unique_email,
        SMS_OTP_CODE=message["code"],
    )
    assert done["AuthenticationResult"]["AccessToken"]
    assert outbox.messages(to=phone, kind="sms_otp")[0]["status"] == "used"


def test_preferred_sms_otp_texts_at_once_and_three_wrong_codes_end_it(
    cognito_client: Any, pool: ChoicePool, unique_email: str, outbox: OutboxReader
) -> None:
    confirmed_user(cognito_client, pool, unique_email)
    phone = with_phone(cognito_client, pool, unique_email, verified=True)
    step = start(cognito_client, pool, unique_email, PREFERRED_CHALLENGE="SMS_OTP")
    assert step["ChallengeName"] == "SMS_OTP"
    code = outbox.latest_sms_code(phone, "sms_otp")
    wrong = "000000" if code != "000000" else "111111"
    answer = {"USERNAME": unique_email, "SMS_OTP_CODE": wrong}
    mismatch = ("CodeMismatchException", "Invalid code or auth state for the user.")
    assert (
        cognito_error(respond, cognito_client, pool, "SMS_OTP", step["Session"], **answer)
        == mismatch
    )
    assert (
        cognito_error(respond, cognito_client, pool, "SMS_OTP", step["Session"], **answer)
        == mismatch
    )
    assert cognito_error(respond, cognito_client, pool, "SMS_OTP", step["Session"], **answer) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
    missing = cognito_error(
        respond,
        cognito_client,
        pool,
        "SMS_OTP",
        start(cognito_client, pool, unique_email, PREFERRED_CHALLENGE="SMS_OTP")["Session"],
        USERNAME=unique_email,
    )
    assert missing == ("InvalidParameterException", "Missing required parameter SMS_OTP_CODE")


def test_a_pool_that_does_not_text_offers_no_sms_otp(
    cognito_client: Any, unique_email: str
) -> None:
    silent = create_choice_pool(cognito_client, factors=FACTORS)
    confirmed_user(cognito_client, silent, unique_email)
    with_phone(cognito_client, silent, unique_email, verified=True)
    assert "SMS_OTP" not in start(cognito_client, silent, unique_email)["AvailableChallenges"]


def test_an_unknown_user_is_texted_nothing_and_every_code_is_wrong(
    cognito_client: Any, pool: ChoicePool, outbox: OutboxReader
) -> None:
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    step = start(cognito_client, pool, nobody, PREFERRED_CHALLENGE="SMS_OTP")
    assert step["ChallengeName"] == "SMS_OTP"
    destination = step["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"]
    assert destination.startswith("+*******") and len(destination) == 12
    assert cognito_error(
        respond,
        cognito_client,
        pool,
        "SMS_OTP",
        step["Session"],
        USERNAME=nobody,
        SMS_OTP_CODE="123456",
    ) == ("CodeMismatchException", "Invalid code or auth state for the user.")
    assert not [m for m in outbox.messages(kind="sms_otp") if m["username"] == nobody]
