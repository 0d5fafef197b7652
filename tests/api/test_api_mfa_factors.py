"""MFA by text message and the choice among factors, through the BFF and the local Cognito:
the account panel's MFA settings, SMS_MFA at sign-in (right, wrong, reused codes),
SELECT_MFA_TYPE, and a remembered browser skipping both."""

from __future__ import annotations

import uuid
from typing import Any

from api_helpers import (
    SpaClient,
    error_of,
    flow_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)

from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock
from tests.support.passwords import PASSWORD
from tests.support.totp import fresh_totp

SMS_ON = {"factor": "SMS_MFA", "enabled": True, "preferred": True}


def give_phone(cognito_client: Any, info: LocalCognitoInfo, email: str) -> str:
    phone = "+1555" + f"{uuid.uuid4().int % 10**7:07d}"
    cognito_client.admin_update_user_attributes(
        UserPoolId=info.user_pool_id,
        Username=email,
        UserAttributes=[{"Name": "phone_number", "Value": phone}],
    )
    return phone


def signed_in_with_phone(
    spa: SpaClient,
    outbox: Any,
    email: str,
    clock: Clock,
    cognito_client: Any,
    info: LocalCognitoInfo,
) -> tuple[str, str, set[str]]:
    """Signed up, TOTP set up at the first sign-in, a phone number given by an admin:
    (phone, TOTP secret, codes used)."""
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, email)
    secret = sign_in_through_mfa_setup(spa, email, used, clock)["secret"]
    return give_phone(cognito_client, info, email), secret, used


def sign_in(spa: SpaClient, email: str) -> dict[str, Any]:
    spa.post("/api/sign-out", {})
    return flow_of(spa.post("/api/sign-in", {"username": email, "password": PASSWORD}))


def factor(flow: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [f for f in flow["data"]["mfa"]["factors"] if f["factor"] == name]
    return found


def test_the_panel_turns_sms_on_and_sign_in_asks_for_the_texted_code(
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_clock: Clock,
    cognito_client: Any,
    local_cognito: LocalCognitoInfo,
) -> None:
    phone, _, _ = signed_in_with_phone(
        spa, outbox, unique_email, cognito_clock, cognito_client, local_cognito
    )
    status = flow_of(spa.get("/api/account/mfa"))
    assert factor(status, "SMS_MFA") == {
        "factor": "SMS_MFA",
        "enabled": False,
        "preferred": False,
        "available": True,
    }
    before = spa.cookie()
    changed = flow_of(spa.post("/api/account/mfa/preferences", SMS_ON))
    assert changed["state"] == "AUTHENTICATED" and changed["data"]["mfa_preference_changed"]
    assert changed["data"]["mfa"]["preferred"] == "SMS_MFA"
    assert (
        factor(changed, "SMS_MFA")["enabled"] and factor(changed, "SOFTWARE_TOKEN_MFA")["enabled"]
    )
    assert spa.cookie() != before  # how the user signs in changed: a new session id

    flow = sign_in(spa, unique_email)
    assert flow["state"] == "SMS_MFA" and flow["next_steps"][0] == "sms_mfa_code"
    assert flow["data"]["code_delivery"] == {
        "destination": "+*******" + phone[-4:],
        "medium": "SMS",
        "attribute": "phone_number",
    }
    code = outbox.latest_sms_code(phone)
    wrong = "000000" if code != "000000" else "111111"
    assert (
        error_of(spa.post("/api/sign-in/sms-mfa", {"code": wrong}), 400)["code"] == "code_mismatch"
    )
    assert flow_of(spa.get("/api/flow"))["state"] == "SMS_MFA"
    flow = flow_of(spa.post("/api/sign-in/sms-mfa", {"code": code}))
    assert flow["state"] == "AUTHENTICATED"
    assert spa.get("/api/me").get_json()["user"]["email"] == unique_email
    again = spa.post("/api/sign-in/sms-mfa", {"code": code})
    assert error_of(again, 409)["code"] == "illegal_step"


def test_several_factors_none_preferred_ask_which_one(
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_clock: Clock,
    cognito_client: Any,
    local_cognito: LocalCognitoInfo,
) -> None:
    phone, secret, used = signed_in_with_phone(
        spa, outbox, unique_email, cognito_clock, cognito_client, local_cognito
    )
    flow_of(spa.post("/api/account/mfa/preferences", {"factor": "SMS_MFA", "enabled": True}))
    done = flow_of(
        spa.post("/api/account/mfa/preferences", {"factor": "SOFTWARE_TOKEN_MFA", "enabled": True})
    )
    assert done["data"]["mfa"]["preferred"] is None

    flow = sign_in(spa, unique_email)
    assert flow["state"] == "SELECT_MFA_TYPE" and flow["next_steps"][0] == "select_mfa_type"
    assert flow["data"]["mfa_types"] == ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]
    unknown = spa.post("/api/sign-in/mfa-type", {"mfa_type": "CARRIER_PIGEON"})
    assert error_of(unknown, 422)["code"] == "invalid_input"
    flow = flow_of(spa.post("/api/sign-in/mfa-type", {"mfa_type": "SMS_MFA"}))
    assert flow["state"] == "SMS_MFA"
    flow = flow_of(spa.post("/api/sign-in/sms-mfa", {"code": outbox.latest_sms_code(phone)}))
    assert flow["state"] == "AUTHENTICATED"

    flow = sign_in(spa, unique_email)
    flow = flow_of(spa.post("/api/sign-in/mfa-type", {"mfa_type": "SOFTWARE_TOKEN_MFA"}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    code = fresh_totp(secret, used, cognito_clock)
    assert flow_of(spa.post("/api/sign-in/mfa", {"code": code}))["state"] == "AUTHENTICATED"


def test_the_panel_refuses_what_cognito_or_the_schema_refuses(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    no_phone = spa.post("/api/account/mfa/preferences", SMS_ON)
    error = error_of(no_phone, 400)
    assert error["code"] == "invalid_parameter"
    off_but_preferred = {"factor": "SMS_MFA", "enabled": False, "preferred": True}
    assert error_of(spa.post("/api/account/mfa/preferences", off_but_preferred), 422)
    not_boolean = {"factor": "SMS_MFA", "enabled": "yes"}
    assert error_of(spa.post("/api/account/mfa/preferences", not_boolean), 422)
    unknown = {"factor": "WEB_AUTHN", "enabled": True}
    assert error_of(spa.post("/api/account/mfa/preferences", unknown), 422)
    status = flow_of(spa.get("/api/account/mfa"))
    assert status["data"]["mfa"]["enabled"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_panel_needs_a_signed_in_browser(spa: SpaClient) -> None:
    assert (
        error_of(spa.post("/api/account/mfa/preferences", SMS_ON), 401)["code"] == "not_signed_in"
    )


def test_a_remembered_browser_skips_the_texted_code(
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_clock: Clock,
    cognito_client: Any,
    local_cognito: LocalCognitoInfo,
) -> None:
    phone, _, _ = signed_in_with_phone(
        spa, outbox, unique_email, cognito_clock, cognito_client, local_cognito
    )
    flow_of(spa.post("/api/sign-in/remember-device", {"remember": True}))
    flow_of(spa.post("/api/account/mfa/preferences", SMS_ON))
    flow = sign_in(spa, unique_email)
    assert flow["state"] == "AUTHENTICATED"
    assert outbox.messages(to=phone, kind="sms_mfa") == []


def test_a_phone_number_given_at_sign_up_makes_sms_available(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    body = {"email": unique_email, "password": PASSWORD, "attributes": {"phone_number": "555"}}
    error = error_of(spa.post("/api/sign-up", body), 422)
    assert set(error["details"]["fields"]["attributes"]) == {"phone_number"}
    body["attributes"] = {"phone_number": "+15555550123"}
    assert flow_of(spa.post("/api/sign-up", body))["state"] == "SIGNED_UP"
    flow_of(spa.post("/api/sign-up/confirm", {"code": outbox.latest_code(unique_email)}))
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    assert factor(flow_of(spa.get("/api/account/mfa")), "SMS_MFA")["available"] is True
    flow = flow_of(spa.post("/api/account/mfa/preferences", SMS_ON))
    assert factor(flow, "SMS_MFA") == {
        "factor": "SMS_MFA",
        "enabled": True,
        "preferred": True,
        "available": True,
    }
