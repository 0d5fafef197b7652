"""Complete journeys through the HTTP API against the local Cognito: codes from its outbox,
TOTP codes from pyotp, every step checked by its state and next steps."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import (
    ADMIN_KEY,
    JWT,
    SpaClient,
    completed_event,
    error_of,
    flow_of,
    session_record,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
    sign_webhook,
)
from flask import Flask

from local_cognito.clock import Clock
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.totp import fresh_totp

ADMIN = {"X-Admin-Key": ADMIN_KEY}
#: What a signed-in browser may do besides signing in again and remembering the device.
SIGNED_IN_STEPS = [
    "change_password",
    "mfa_status",
    "auth_factors",
    "replace_authenticator",
    "verify_authenticator",
    "set_mfa_preference",
    "sign_out",
    "sign_out_everywhere",
]


def test_sign_up_mfa_remember_device_then_sign_in_without_mfa(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    used: set[str] = set()
    flow = flow_of(spa.post("/api/sign-up", {"email": unique_email, "password": PASSWORD}))
    assert flow["state"] == "SIGNED_UP"
    assert flow["next_steps"] == ["confirm", "resend_code", "sign_out"]
    assert flow["data"]["code_delivery"]["medium"] == "EMAIL"

    flow = flow_of(spa.post("/api/sign-up/resend-code", {}))
    assert flow["state"] == "SIGNED_UP"
    assert len(outbox.messages(to=unique_email, kind="confirmation_code")) == 2
    flow = flow_of(spa.post("/api/sign-up/confirm", {"code": outbox.latest_code(unique_email)}))
    assert flow["state"] == "CONFIRMED" and "sign_in" in flow["next_steps"]

    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "MFA_SETUP"
    assert flow["next_steps"] == ["sign_in", "sign_in_choice", "mfa_setup_verify", "sign_out"]
    data = flow["data"]
    assert data["otpauth_uri"].startswith("otpauth://totp/Cognito%20BFF:")
    assert f"secret={data['secret']}" in data["otpauth_uri"]
    assert data["qr_svg"].startswith("<svg")
    # The secret is shown once: reading the flow back does not show it again.
    again = flow_of(spa.get("/api/flow"))
    assert again["state"] == "MFA_SETUP" and "secret" not in again["data"]
    assert "otpauth_uri" not in again["data"] and "qr_svg" not in again["data"]

    code = fresh_totp(data["secret"], used, cognito_clock)
    flow = flow_of(spa.post("/api/sign-in/mfa-setup", {"code": code, "device_name": "phone"}))
    assert flow["state"] == "AUTHENTICATED"
    assert flow["data"]["can_remember_device"] is True
    assert flow["next_steps"] == ["sign_in", "sign_in_choice", "remember_device", *SIGNED_IN_STEPS]

    me = spa.get("/api/me").get_json()
    assert me["user"]["cognito:username"] == unique_email

    flow = flow_of(spa.post("/api/sign-in/remember-device", {"remember": True}))
    assert flow["data"]["device_remembered"] is True
    assert "remember_device" not in flow["next_steps"]
    assert spa.cookie("bff_device")
    devices = spa.get("/api/devices").get_json()["devices"]
    assert [d["this_browser"] for d in devices] == [True]
    assert devices[0]["remembered"] is True

    signed_out = spa.post("/api/sign-out", {}).get_json()
    assert signed_out["signed_out"] is True and signed_out["flow"]["state"] == "SIGNED_OUT"
    assert spa.cookie() is None
    error_of(spa.get("/api/me"), 401)

    # Same browser (device cookie kept): the password is enough, no MFA code asked.
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "AUTHENTICATED"
    journal = app.test_client().get(f"/api/admin/flows/{flow['id']}/journal", headers=ADMIN)
    states = [entry["to"] for entry in journal.get_json()["journal"]]
    assert states == ["DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER", "AUTHENTICATED"]
    # No device was offered at this sign-in: the 409 for a step not allowed now lists the
    # same steps as the answer, without remember_device (which would answer
    # no_device_offered).
    assert "remember_device" not in flow["next_steps"]
    illegal = error_of(spa.post("/api/sign-in/mfa", {"code": "123456"}), 409)
    assert illegal["details"]["allowed_steps"] == flow["next_steps"]
    assert spa.post("/api/sign-out", {}).status_code == 200

    # SECURITY.md row 5: no Cognito token in any body or header of the whole journey.
    for response in spa.responses:
        text = response.get_data(as_text=True) + json.dumps(dict(response.headers))
        assert not JWT.search(text), response.request.path


def test_admin_created_user_new_password_then_mfa_setup(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    admin = app.test_client()
    created = admin.post(
        "/api/admin/users", json={"email": unique_email}, headers={"X-CSRF": "1", **ADMIN}
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "FORCE_CHANGE_PASSWORD"
    first = outbox.latest_temporary_password(unique_email)

    # Resend while still FORCE_CHANGE_PASSWORD: a new temporary password; the old one dies.
    resent = admin.post(
        f"/api/admin/users/{unique_email}/resend-temporary-password",
        json={},
        headers={"X-CSRF": "1", **ADMIN},
    )
    assert resent.status_code == 200, resent.get_json()
    temporary = outbox.latest_temporary_password(unique_email)
    assert temporary != first
    error_of(spa.post("/api/sign-in", {"username": unique_email, "password": first}), 401)

    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": temporary}))
    assert flow["state"] == "NEW_PASSWORD_REQUIRED"
    assert flow["next_steps"] == ["new_password", "sign_out"]
    assert isinstance(flow["data"]["required_attributes"], list)

    flow = flow_of(spa.post("/api/sign-in/new-password", {"new_password": NEW_PASSWORD}))
    assert flow["state"] == "MFA_SETUP" and flow["data"]["qr_svg"].startswith("<svg")
    used: set[str] = set()
    code = fresh_totp(flow["data"]["secret"], used, cognito_clock)
    flow = flow_of(spa.post("/api/sign-in/mfa-setup", {"code": code}))
    assert flow["state"] == "AUTHENTICATED"

    user = admin.get(f"/api/admin/users/{unique_email}", headers=ADMIN).get_json()
    assert user["status"] == "CONFIRMED" and user["attributes"]["email"] == unique_email
    listed = admin.get(
        "/api/admin/users", query_string={"filter": f'email = "{unique_email}"'}, headers=ADMIN
    ).get_json()
    assert [u["username"] for u in listed["users"]] == [unique_email]
    # The user chose a password: RESEND is refused with Cognito's reason.
    refused = admin.post(
        f"/api/admin/users/{unique_email}/resend-temporary-password",
        json={},
        headers={"X-CSRF": "1", **ADMIN},
    )
    assert error_of(refused, 409)["code"] == "unsupported_user_state"

    journal = admin.get(f"/api/admin/flows/{flow['id']}/journal", headers=ADMIN).get_json()
    assert [e["to"] for e in journal["journal"]] == [
        "NEW_PASSWORD_REQUIRED",
        "MFA_SETUP",
        "MFA_SETUP",
        "MFA_SETUP",
        "AUTHENTICATED",
        "AUTHENTICATED",
    ]
    # The device Cognito issued with the tokens is confirmed at once (refreshable).
    last = journal["journal"][-1]
    assert (last["trigger"], last["action"]) == ("device_confirmed", "ConfirmDevice")
    assert temporary not in json.dumps(journal) and NEW_PASSWORD not in json.dumps(journal)


def test_admin_list_users_paginates(app: Flask, outbox: Any, unique_email: str) -> None:
    admin = app.test_client()
    prefix = unique_email.split("@")[0]
    for n in range(3):
        response = admin.post(
            "/api/admin/users",
            json={"email": f"{prefix}-{n}@example.com"},
            headers={"X-CSRF": "1", **ADMIN},
        )
        assert response.status_code == 201
    seen: list[str] = []
    token = None
    for _ in range(5):
        query = {"filter": f'email ^= "{prefix}-"', "limit": 2}
        if token:
            query["pagination_token"] = token
        page = admin.get("/api/admin/users", query_string=query, headers=ADMIN).get_json()
        seen += [u["username"] for u in page["users"]]
        token = page.get("pagination_token")
        if not token:
            break
    assert sorted(seen) == [f"{prefix}-{n}@example.com" for n in range(3)]


def test_pandadoc_webhook_creates_the_signer_once(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str
) -> None:
    hook = app.test_client()
    body = completed_event(unique_email)
    url = "/api/webhooks/pandadoc?signature="

    # Bad and missing signatures: 401 and nothing created.
    bad = hook.post(url + sign_webhook(body, "wrong-key"), data=body,
                    content_type="application/json")  # fmt: skip
    assert error_of(bad, 401)["code"] == "invalid_signature"
    missing = hook.post("/api/webhooks/pandadoc", data=body, content_type="application/json")
    assert error_of(missing, 401)["code"] == "invalid_signature"
    tampered = body.replace(b"Lovelace", b"Lovelacf")
    assert hook.post(url + sign_webhook(body), data=tampered,
                     content_type="application/json").status_code == 401  # fmt: skip
    lookup = hook.get(f"/api/admin/users/{unique_email}", headers=ADMIN)
    assert error_of(lookup, 404)["code"] == "user_not_found"
    assert outbox.messages(to=unique_email) == []

    headers = {"X-PandaDoc-Webhook-Event-Id": "evt-" + unique_email}
    ok = hook.post(url + sign_webhook(body), data=body, content_type="application/json",
                   headers=headers)  # fmt: skip
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json() == {
        "duplicate": False,
        "results": [
            {"event": "document_state_changed", "outcome": "user_created", "email": unique_email}
        ],
    }
    # The same delivery again (PandaDoc retries): nothing new, no second email.
    replay = hook.post(url + sign_webhook(body), data=body, content_type="application/json",
                       headers=headers)  # fmt: skip
    assert replay.get_json()["duplicate"] is True
    assert replay.get_json()["results"][0]["outcome"] == "duplicate"
    assert len(outbox.messages(to=unique_email, kind="temporary_password")) == 1

    # Other events are acknowledged and ignored.
    draft = json.dumps([{"event": "recipient_completed", "data": {"status": "x"}}]).encode()
    ignored = hook.post(url + sign_webhook(draft), data=draft, content_type="application/json")
    assert ignored.get_json()["results"][0]["outcome"] == "ignored"

    temporary = outbox.latest_temporary_password(unique_email)
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": temporary}))
    assert flow["state"] == "NEW_PASSWORD_REQUIRED"


def test_flow_survives_an_app_restart_on_sqlite(
    make_app: Any, outbox: Any, unique_email: str
) -> None:
    first = make_app()
    spa = SpaClient(first.test_client())
    flow_of(spa.post("/api/sign-up", {"email": unique_email, "password": PASSWORD}))
    cookie = spa.cookie()
    assert cookie
    first.extensions["bff"]["store"].close()

    second = make_app()  # same instance folder: the same SQLite file
    again = SpaClient(second.test_client())
    again.set_cookie("bff_session", cookie)
    assert flow_of(again.get("/api/flow"))["state"] == "SIGNED_UP"
    flow = flow_of(again.post("/api/sign-up/confirm", {"code": outbox.latest_code(unique_email)}))
    assert flow["state"] == "CONFIRMED"


def test_flow_continues_across_two_instances_sharing_redis(
    make_app: Any, redis_url: str, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    one = make_app(store_url=redis_url)
    two = make_app(store_url=redis_url)
    spa_one = SpaClient(one.test_client())
    used: set[str] = set()
    sign_up_and_confirm(spa_one, outbox, unique_email)
    flow = flow_of(spa_one.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "MFA_SETUP"

    spa_two = SpaClient(two.test_client())
    spa_two.set_cookie("bff_session", spa_one.cookie() or "")
    flow = flow_of(
        spa_two.post(
            "/api/sign-in/mfa-setup",
            {"code": fresh_totp(flow["data"]["secret"], used, cognito_clock)},
        )
    )
    assert flow["state"] == "AUTHENTICATED"
    record = session_record(two, spa_two)
    assert record is not None and record["tokens"]["access_token"]


def test_device_forgotten_at_cognito_falls_back_to_mfa(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    unique_email: str,
    cognito_client: Any,
    cognito_clock: Clock,
) -> None:
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    secret = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)["secret"]
    flow_of(spa.post("/api/sign-in/remember-device", {"remember": True}))
    record = session_record(app, spa)
    assert record is not None
    device_id = spa.cookie("bff_device")
    _, device = app.extensions["bff"]["store"].devices.get(device_id)
    # Forgotten elsewhere (another browser's "forget", an admin): the vault's copy is stale.
    cognito_client.forget_device(
        AccessToken=record["tokens"]["access_token"], DeviceKey=device.device_key
    )
    spa.post("/api/sign-out", {})
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    assert spa.cookie("bff_device") is None
    assert app.extensions["bff"]["store"].devices.get(device_id) is None
    flow = flow_of(spa.post("/api/sign-in/mfa", {"code": fresh_totp(secret, used, cognito_clock)}))
    assert flow["state"] == "AUTHENTICATED"


def test_forgetting_this_browser_deletes_the_vault_entry(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    flow_id = sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)["id"]
    flow_of(spa.post("/api/sign-in/remember-device", {"remember": True}))
    device_id = spa.cookie("bff_device")
    [device] = spa.get("/api/devices").get_json()["devices"]
    assert device["this_browser"] and device["this_session"]
    left = spa.delete(f"/api/devices/{device['device_key']}")
    assert left.status_code == 200 and left.get_json()["devices"] == []
    assert app.extensions["bff"]["store"].devices.get(device_id) is None
    assert spa.cookie("bff_device") is None
    # The session's tokens were bound to that device: Cognito refreshes them no more, so
    # the session ends with it.
    assert left.get_json()["signed_out"] is True
    assert spa.get("/api/me").status_code == 401
    # The flow's journal has it, like every other Cognito action of the flow.
    journal = app.test_client().get(f"/api/admin/flows/{flow_id}/journal", headers=ADMIN)
    entries = [(e["trigger"], e["action"]) for e in journal.get_json()["journal"]][-2:]
    assert entries == [("device_forgotten", "ForgetDevice"), ("signed_out", "RevokeToken")]
