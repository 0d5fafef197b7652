"""Refresh, sign-out and forget-device through the HTTP API, under Cognito's device rules.

In a pool with device tracking Cognito refreshes tokens only with the key of the device
they were issued to, once that device is confirmed, and not after ForgetDevice
(docs/local-cognito.md, "Device-bound refresh tokens: sources"). The BFF confirms each new
device as soon as Cognito issues it, so all three users below stay refreshable: one who
remembered the browser, one who declined, and one who never answered the prompt.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import (
    SpaClient,
    error_of,
    flow_of,
    session_record,
    sign_in_through_mfa_setup,
)
from api_helpers import sign_up_and_confirm as sign_up
from flask import Flask

from local_cognito.clock import Clock
from tests.support.passwords import PASSWORD
from tests.support.totp import CognitoClock, fresh_totp

ANSWERS = {"remembered": True, "declined": False, "never answered": None}


def _signed_in(
    spa: SpaClient, outbox: Any, email: str, answer: bool | None, clock: CognitoClock
) -> dict[str, Any]:
    sign_up(spa, outbox, email)
    used: set[str] = set()
    flow = sign_in_through_mfa_setup(spa, email, used, clock)
    assert flow["data"]["can_remember_device"] is True
    if answer is not None:
        answered = flow_of(spa.post("/api/sign-in/remember-device", {"remember": answer}))
        assert answered["data"]["device_remembered"] is answer
    flow["used"] = used
    return flow


def _admin_devices(cognito_client: Any, pool: Any, email: str) -> dict[str, str]:
    devices = cognito_client.admin_list_devices(UserPoolId=pool.user_pool_id, Username=email)
    return {
        d["DeviceKey"]: {a["Name"]: a["Value"] for a in d["DeviceAttributes"]}.get(
            "dev:device_remembered_status", ""
        )
        for d in devices["Devices"]
    }


def _refresh_at_cognito(cognito_client: Any, pool: Any, record: dict[str, Any]) -> Any:
    return cognito_client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": record["tokens"]["refresh_token"],
            "DEVICE_KEY": record["device_key"],
        },
    )


@pytest.mark.parametrize("who", list(ANSWERS))
def test_every_user_refreshes_whatever_they_answered(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    local_cognito: Any,
    who: str,
    cognito_clock: Clock,
) -> None:
    _signed_in(spa, outbox, unique_email, ANSWERS[who], cognito_clock)
    record = session_record(app, spa)
    assert record is not None and record["device_key"]
    # The device is confirmed at Cognito whatever the answer; remembered only if chosen.
    status = _admin_devices(cognito_client, local_cognito, unique_email)
    expected = "remembered" if who == "remembered" else "not_remembered"
    assert status == {record["device_key"]: expected}
    for _ in range(2):
        refreshed = spa.post("/api/session/refresh", {})
        assert refreshed.status_code == 200, refreshed.get_json()
    after = session_record(app, spa)
    assert after is not None and after["tokens"]["access_token"] != record["tokens"]["access_token"]
    [listed] = spa.get("/api/devices").get_json()["devices"]
    assert listed["this_session"] is True
    # A declined device stays with this browser (the next sign-in reuses it).
    assert listed["this_browser"] is (who != "never answered")
    assert listed["remembered"] is (who == "remembered")


@pytest.mark.parametrize("who", list(ANSWERS))
def test_sign_out_revokes_and_keeps_only_the_browsers_device(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    local_cognito: Any,
    who: str,
    cognito_clock: Clock,
) -> None:
    flow = _signed_in(spa, outbox, unique_email, ANSWERS[who], cognito_clock)
    record = session_record(app, spa)
    assert record is not None
    assert spa.post("/api/sign-out", {}).status_code == 200
    # The refresh token is dead at Cognito, even with the right device key.
    with pytest.raises(cognito_client.exceptions.NotAuthorizedException):
        _refresh_at_cognito(cognito_client, local_cognito, record)
    # A device no browser holds (never answered) is forgotten at sign-out; the remembered
    # one stays, and so does the declined one (this browser's next sign-in reuses it).
    devices = _admin_devices(cognito_client, local_cognito, unique_email)
    if who == "never answered":
        assert devices == {}
    else:
        assert devices == {record["device_key"]: "remembered" if ANSWERS[who] else "not_remembered"}
    # Signing in again: without MFA only on the remembered browser; refreshable either way.
    again = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    if who != "remembered":
        assert again["state"] == "SOFTWARE_TOKEN_MFA"
        code = fresh_totp(flow["secret"], flow["used"], cognito_clock)
        again = flow_of(spa.post("/api/sign-in/mfa", {"code": code}))
    assert again["state"] == "AUTHENTICATED"
    assert again["data"]["can_remember_device"] is (who != "remembered")
    assert spa.post("/api/session/refresh", {}).status_code == 200


def test_forgetting_the_sessions_device_ends_the_session(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    local_cognito: Any,
    cognito_clock: Clock,
) -> None:
    _signed_in(spa, outbox, unique_email, None, cognito_clock)  # never answered the prompt
    record = session_record(app, spa)
    assert record is not None
    left = spa.delete(f"/api/devices/{record['device_key']}")
    assert left.status_code == 200
    body = left.get_json()
    assert body["devices"] == [] and body["signed_out"] is True
    assert body["flow"]["state"] == "SIGNED_OUT"
    assert error_of(spa.post("/api/session/refresh", {}), 401)["code"] == "not_signed_in"
    with pytest.raises(cognito_client.exceptions.NotAuthorizedException):
        _refresh_at_cognito(cognito_client, local_cognito, record)


def test_forgetting_another_device_keeps_the_session(
    app: Flask,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    local_cognito: Any,
    cognito_clock: Clock,
) -> None:
    laptop, phone = SpaClient(app.test_client()), SpaClient(app.test_client())
    flow = _signed_in(laptop, outbox, unique_email, True, cognito_clock)
    again = flow_of(phone.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert again["state"] == "SOFTWARE_TOKEN_MFA"
    phone.post(
        "/api/sign-in/mfa", {"code": fresh_totp(flow["secret"], flow["used"], cognito_clock)}
    )
    phone_record = session_record(app, phone)
    assert phone_record is not None
    laptop_record = session_record(app, laptop)
    assert laptop_record is not None
    left = laptop.delete(f"/api/devices/{phone_record['device_key']}")
    assert left.status_code == 200 and "signed_out" not in left.get_json()
    assert [d["device_key"] for d in left.get_json()["devices"]] == [laptop_record["device_key"]]
    assert laptop.post("/api/session/refresh", {}).status_code == 200
    # The phone's session can no longer refresh: Cognito refuses a forgotten device.
    assert error_of(phone.post("/api/session/refresh", {}), 401)["code"] == "session_expired"


def test_a_declined_browser_reuses_its_device_at_every_sign_in(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    local_cognito: Any,
    cognito_clock: Clock,
) -> None:
    """As Amplify does: the declined device's key is kept and sent (DEVICE_KEY) at the next
    sign-in. Cognito asks for MFA (the device is not remembered) and issues no new device."""
    flow = _signed_in(spa, outbox, unique_email, False, cognito_clock)
    first = session_record(app, spa)
    assert first is not None
    device_key = first["device_key"]
    for _ in range(2):
        assert spa.post("/api/sign-out", {}).status_code == 200
        again = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
        assert again["state"] == "SOFTWARE_TOKEN_MFA"
        code = fresh_totp(flow["secret"], flow["used"], cognito_clock)
        again = flow_of(spa.post("/api/sign-in/mfa", {"code": code}))
        assert again["state"] == "AUTHENTICATED"
        assert again["data"]["can_remember_device"] is True  # the same device, offered again
        record = session_record(app, spa)
        assert record is not None and record["device_key"] == device_key
        assert spa.post("/api/session/refresh", {}).status_code == 200
        [listed] = spa.get("/api/devices").get_json()["devices"]
        assert listed["device_key"] == device_key
        assert listed["this_browser"] is True and listed["this_session"] is True
        answered = flow_of(spa.post("/api/sign-in/remember-device", {"remember": False}))
        assert answered["data"]["device_remembered"] is False
        devices = _admin_devices(cognito_client, local_cognito, unique_email)
        assert devices == {device_key: "not_remembered"}
    # Remembering it at a later sign-in: the next one skips MFA, still the one device.
    assert spa.post("/api/sign-out", {}).status_code == 200
    spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD})
    spa.post("/api/sign-in/mfa", {"code": fresh_totp(flow["secret"], flow["used"], cognito_clock)})
    spa.post("/api/sign-in/remember-device", {"remember": True})
    assert spa.post("/api/sign-out", {}).status_code == 200
    again = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert again["state"] == "AUTHENTICATED"
    assert again["data"]["can_remember_device"] is False
    assert _admin_devices(cognito_client, local_cognito, unique_email) == {device_key: "remembered"}


def test_another_users_declined_device_is_not_used(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    local_cognito: Any,
    cognito_clock: Clock,
) -> None:
    """The browser's declined device belongs to its user: another user signing in on this
    browser gets a device of their own, and neither user sees the other's."""
    _signed_in(spa, outbox, unique_email, False, cognito_clock)
    assert spa.post("/api/sign-out", {}).status_code == 200
    other = "other-" + unique_email
    _signed_in(spa, outbox, other, False, cognito_clock)
    record = session_record(app, spa)
    assert record is not None
    assert _admin_devices(cognito_client, local_cognito, other) == {
        record["device_key"]: "not_remembered"
    }
    [listed] = spa.get("/api/devices").get_json()["devices"]
    assert listed["this_browser"] is True
    assert len(_admin_devices(cognito_client, local_cognito, unique_email)) == 1
