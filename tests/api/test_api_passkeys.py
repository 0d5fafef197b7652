"""The signed-in user's passkeys through the HTTP API against the local Cognito: register
(the creation options out, the browser's answer relayed), list, delete; Cognito's refusals
as the API's errors; bad bodies refused before Cognito is asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import (
    ADMIN_KEY,
    SpaClient,
    error_of,
    flow_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from local_cognito.clock import Clock
from local_cognito.webauthn import CHALLENGE_TTL
from tests.support.choice_pool import ChoicePool, confirmed_user, create_choice_pool
from tests.support.passkeys import SoftwarePasskey, flip_signature_byte, with_challenge
from tests.support.passwords import PASSWORD

ADMIN = {"X-Admin-Key": ADMIN_KEY}


def signed_in(spa: SpaClient, outbox: Any, email: str, clock: Clock) -> None:
    sign_up_and_confirm(spa, outbox, email)
    sign_in_through_mfa_setup(spa, email, set(), clock)


def creation_options(spa: SpaClient) -> dict[str, Any]:
    answer = spa.post("/api/account/passkeys/registration", {})
    assert answer.status_code == 200, answer.get_json()
    options: dict[str, Any] = answer.get_json()["credential_creation_options"]
    return options


def triggers(app: Flask, spa: SpaClient) -> list[str]:
    flow_id = spa.get("/api/flow").get_json()["flow"]["id"]
    journal = app.test_client().get(f"/api/admin/flows/{flow_id}/journal", headers=ADMIN)
    return [entry["trigger"] for entry in journal.get_json()["journal"]]


def test_register_list_and_delete_a_passkey(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    signed_in(spa, outbox, unique_email, cognito_clock)
    assert spa.get("/api/account/passkeys").get_json() == {"passkeys": []}

    options = creation_options(spa)
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"]
    passkey = SoftwarePasskey()
    answer = passkey.create(options)
    registered = spa.post("/api/account/passkeys", {"credential": answer})
    assert registered.status_code == 200, registered.get_json()
    (listed,) = registered.get_json()["passkeys"]
    assert listed["credential_id"] == answer["id"]
    assert listed["relying_party_id"] == "localhost"
    assert listed["authenticator_attachment"] == "platform"
    assert listed["transports"] == ["internal"]
    assert listed["name"] and listed["created"]
    assert spa.get("/api/account/passkeys").get_json()["passkeys"] == [listed]
    assert triggers(app, spa)[-1] == "passkey_registered"

    deleted = spa.delete(f"/api/account/passkeys/{answer['id']}")
    assert deleted.status_code == 200
    assert deleted.get_json() == {"passkeys": []}
    assert triggers(app, spa)[-1] == "passkey_deleted"
    error = error_of(spa.delete(f"/api/account/passkeys/{answer['id']}"), 404)
    assert error["code"] == "passkey_not_found"


def test_cognito_refusals_are_the_apis_errors(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    signed_in(spa, outbox, unique_email, cognito_clock)
    options = creation_options(spa)

    def refused(answer: dict[str, Any], status: int = 400) -> dict[str, Any]:
        return error_of(spa.post("/api/account/passkeys", {"credential": answer}), status)

    other_party = refused(SoftwarePasskey(rp_id="example.com").create(options))
    assert other_party["code"] == "passkey_rejected"
    assert other_party["details"]["cognito_code"] == "WebAuthnRelyingPartyMismatchException"
    other_origin = refused(SoftwarePasskey(origin="https://example.com").create(options))
    assert other_origin["details"]["cognito_code"] == "WebAuthnOriginNotAllowedException"
    stale = refused(with_challenge(SoftwarePasskey().create(options), "AAAA"))
    assert stale["code"] == "passkey_challenge_expired"

    cognito_clock.advance(CHALLENGE_TTL + 1)
    expired = refused(SoftwarePasskey().create(options))
    assert expired["code"] == "passkey_challenge_expired"
    assert spa.get("/api/account/passkeys").get_json() == {"passkeys": []}


def test_bad_bodies_are_refused_before_cognito(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    signed_in(spa, outbox, unique_email, cognito_clock)
    good = SoftwarePasskey().create(creation_options(spa))
    bad_bodies = [
        {},
        {"credential": "not an object"},
        {"credential": {**good, "type": "password"}},
        {"credential": {**good, "id": "not base64url!"}},
        {"credential": {**good, "unknown": 1}},
        {"credential": {**good, "response": {"clientDataJSON": "AAAA"}}},
        {"credential": good, "extra": True},
    ]
    for body in bad_bodies:
        error = error_of(spa.post("/api/account/passkeys", body), 422)
        assert error["code"] == "invalid_input", body
    # The registration was not spent by any of them.
    assert spa.post("/api/account/passkeys", {"credential": good}).status_code == 200


def test_passkeys_need_a_signed_in_session(spa: SpaClient) -> None:
    assert error_of(spa.get("/api/account/passkeys"), 401)["code"] == "not_signed_in"
    error = error_of(spa.post("/api/account/passkeys/registration", {}), 401)
    assert error["code"] == "not_signed_in"
    assert error_of(spa.delete("/api/account/passkeys/abc"), 401)["code"] == "not_signed_in"


@pytest.fixture(scope="module")
def passkey_pool(cognito_client: Any) -> ChoicePool:
    """A pool where a passkey is a first factor (MFA optional), on localhost."""
    pool = create_choice_pool(cognito_client, factors=("PASSWORD", "EMAIL_OTP", "WEB_AUTHN"))
    cognito_client.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id, WebAuthnConfiguration={"RelyingPartyId": "localhost"}
    )
    return pool


@pytest.fixture
def passkey_spa(make_app: Callable[..., Flask], passkey_pool: ChoicePool) -> SpaClient:
    app = make_app(
        COGNITO_USER_POOL_ID=passkey_pool.user_pool_id, COGNITO_CLIENT_ID=passkey_pool.client_id
    )
    return SpaClient(app.test_client())


def test_sign_in_with_a_passkey(
    passkey_spa: SpaClient, cognito_client: Any, passkey_pool: ChoicePool, unique_email: str
) -> None:
    spa = passkey_spa
    confirmed_user(cognito_client, passkey_pool, unique_email)
    chosen = {"username": unique_email, "factor": "PASSWORD", "password": PASSWORD}
    assert flow_of(spa.post("/api/sign-in/choice", chosen))["state"] == "AUTHENTICATED"
    passkey = SoftwarePasskey()
    answer = spa.post(
        "/api/account/passkeys", {"credential": passkey.create(creation_options(spa))}
    )
    assert answer.status_code == 200
    assert spa.post("/api/sign-out", {}).status_code == 200

    # The factors now include the passkey; choosing it asks the browser for an assertion.
    flow = flow_of(spa.post("/api/sign-in/choice", {"username": unique_email}))
    assert flow["state"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" in flow["data"]["factors"]
    flow = flow_of(spa.post("/api/sign-in/factor", {"factor": "WEB_AUTHN"}))
    assert flow["state"] == "WEB_AUTHN"
    assert flow["next_steps"][0] == "passkey_assertion"
    options = flow["data"]["credential_request_options"]
    assert options["rpId"] == "localhost"

    tampered = spa.post(
        "/api/sign-in/passkey", {"credential": flip_signature_byte(passkey.get(options))}
    )
    assert error_of(tampered, 401)["code"] == "not_authorized"
    foreign = SoftwarePasskey(
        rp_id="example.com", key=passkey.key, credential_id=passkey.credential_id
    )
    assert error_of(spa.post("/api/sign-in/passkey", {"credential": foreign.get(options)}), 401)
    bad = spa.post("/api/sign-in/passkey", {"credential": {"id": "x"}})
    assert error_of(bad, 422)["code"] == "invalid_input"

    flow = flow_of(spa.post("/api/sign-in/passkey", {"credential": passkey.get(options)}))
    assert flow["state"] == "AUTHENTICATED"
    assert spa.get("/api/me").get_json()["user"]["email"] == unique_email
    assert "credentials_rejected" in triggers_of(spa)


def triggers_of(spa: SpaClient) -> list[str]:
    flow_id = spa.get("/api/flow").get_json()["flow"]["id"]
    journal = spa.client.application.test_client().get(
        f"/api/admin/flows/{flow_id}/journal", headers=ADMIN
    )
    return [entry["trigger"] for entry in journal.get_json()["journal"]]
