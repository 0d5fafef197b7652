"""SMS_OTP through the BFF: choice-based sign-in with a code texted to the verified phone
number, chosen at the start or at SELECT_CHALLENGE; a wrong code; the step's data."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import SpaClient, error_of, flow_of
from flask import Flask

from tests.support.choice_pool import ChoicePool, confirmed_user, create_choice_pool


@pytest.fixture(scope="module")
def texting_pool(cognito_client: Any) -> ChoicePool:
    return create_choice_pool(cognito_client, factors=("PASSWORD", "SMS_OTP"), sms=True)


@pytest.fixture
def spa(make_app: Callable[..., Flask], texting_pool: ChoicePool) -> SpaClient:
    app = make_app(
        COGNITO_USER_POOL_ID=texting_pool.user_pool_id, COGNITO_CLIENT_ID=texting_pool.client_id
    )
    return SpaClient(app.test_client())


@pytest.fixture
def user(cognito_client: Any, texting_pool: ChoicePool, unique_email: str) -> tuple[str, str]:
    """A confirmed user with a verified phone number: (email, phone)."""
    confirmed_user(cognito_client, texting_pool, unique_email)
    phone = "+1555" + f"{uuid.uuid4().int % 10**7:07d}"
    cognito_client.admin_update_user_attributes(
        UserPoolId=texting_pool.user_pool_id,
        Username=unique_email,
        UserAttributes=[
            {"Name": "phone_number", "Value": phone},
            {"Name": "phone_number_verified", "Value": "true"},
        ],
    )
    return unique_email, phone


def test_text_me_a_code_at_the_start(spa: SpaClient, user: tuple[str, str], outbox: Any) -> None:
    email, phone = user
    flow = flow_of(spa.post("/api/sign-in/choice", {"username": email, "factor": "SMS_OTP"}))
    assert flow["state"] == "SMS_OTP" and "sms_code" in flow["next_steps"]
    assert flow["data"]["code_delivery"] == {
        "destination": "+*******" + phone[-4:],
        "medium": "SMS",
        "attribute": "phone_number",
    }
    code = outbox.latest_sms_code(phone, "sms_otp")
    wrong = "000000" if code != "000000" else "111111"
    assert error_of(spa.post("/api/sign-in/sms-code", {"code": wrong}), 400)["code"] == (
        "code_mismatch"
    )
    assert error_of(spa.post("/api/sign-in/sms-code", {"code": "12"}), 422)
    flow = flow_of(spa.post("/api/sign-in/sms-code", {"code": code}))
    assert flow["state"] == "AUTHENTICATED"
    assert spa.get("/api/me").get_json()["user"]["email"] == email


def test_text_me_a_code_chosen_among_the_factors(
    spa: SpaClient, user: tuple[str, str], outbox: Any
) -> None:
    email, phone = user
    flow = flow_of(spa.post("/api/sign-in/choice", {"username": email}))
    assert flow["state"] == "SELECT_CHALLENGE"
    assert flow["data"]["factors"] == ["PASSWORD", "PASSWORD_SRP", "SMS_OTP"]
    flow = flow_of(spa.post("/api/sign-in/factor", {"factor": "SMS_OTP"}))
    assert flow["state"] == "SMS_OTP"
    code = outbox.latest_sms_code(phone, "sms_otp")
    assert flow_of(spa.post("/api/sign-in/sms-code", {"code": code}))["state"] == "AUTHENTICATED"
