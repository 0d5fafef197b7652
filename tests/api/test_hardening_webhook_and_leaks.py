"""The PandaDoc webhook cannot be replayed; the smaller holes: sign-up attributes, secrets
in query strings, cookies in the store, SQLite file modes. (User enumeration:
test_hardening_enumeration.py.)"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from api_helpers import (
    ADMIN_KEY,
    SpaClient,
    completed_event,
    error_of,
    flow_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
    sign_webhook,
)
from flask import Flask

from bff.security import scrub
from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock
from tests.support.faults import closed_port
from tests.support.passwords import PASSWORD

ADMIN = {"X-Admin-Key": ADMIN_KEY}
HOOK = "/api/webhooks/pandadoc?signature="


def deliver(app: Flask, body: bytes, event_id: str | None = None) -> Any:
    headers = {"X-PandaDoc-Webhook-Event-Id": event_id} if event_id else {}
    return app.test_client().post(
        HOOK + sign_webhook(body), data=body, content_type="application/json", headers=headers
    )


def test_a_signed_body_is_handled_once_whatever_the_event_id(
    app: Flask, outbox: Any, cognito_client: Any, local_cognito: LocalCognitoInfo,
    unique_email: str,
) -> None:  # fmt: skip
    body = completed_event(unique_email)
    first = deliver(app, body, "evt-1")
    assert first.get_json()["results"][0]["outcome"] == "user_created"
    # The user is deleted; the same signed body replayed with a new id, or none, changes
    # nothing: no account, no email.
    cognito_client.admin_delete_user(UserPoolId=local_cognito.user_pool_id, Username=unique_email)
    for event_id in ("evt-2", None, "evt-1"):
        replay = deliver(app, body, event_id)
        assert replay.status_code == 200
        assert replay.get_json() == {
            "duplicate": True,
            "results": [{"event": "document_state_changed", "outcome": "duplicate", "email": None}],
        }
    lookup = app.test_client().get(f"/api/admin/users/{unique_email}", headers=ADMIN)
    assert error_of(lookup, 404)["code"] == "user_not_found"
    assert len(outbox.messages(to=unique_email, kind="temporary_password")) == 1


def test_a_delivery_that_failed_on_an_outage_is_handled_on_retry(
    make_app: Any, outbox: Any, unique_email: str
) -> None:
    body = completed_event(unique_email)
    down = make_app(COGNITO_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}")
    failed = deliver(down, body, "evt-retry")
    assert error_of(failed, 503)["code"] == "cognito_unavailable"
    up = make_app()  # same SQLite store, Cognito back
    retried = deliver(up, body, "evt-retry")
    assert retried.get_json()["duplicate"] is False
    assert retried.get_json()["results"][0]["outcome"] == "user_created"


@pytest.mark.parametrize(
    "body",
    [b"[" * 500 + b"]" * 500, b'[{"event": "x", "data": {"id": ' + b"7" * 5000 + b"}}]",
     b'{"event": "document_state_changed"}', b'[{"event": 5}]', b"[1, 2]"],
    ids=["deep", "huge-number", "object-not-array", "event-not-string", "not-events"],
)  # fmt: skip
def test_signed_malformed_payloads_are_4xx(app: Flask, body: bytes) -> None:
    response = deliver(app, body)
    assert response.status_code in (400, 422), response.get_json()
    assert set(response.get_json()) == {"error"}


@pytest.mark.parametrize("name", ["email_verified", "custom:role", "phone_number_verified", "sub"])
def test_sign_up_refuses_attributes_outside_the_allow_list(
    spa: SpaClient, unique_email: str, name: str
) -> None:
    response = spa.post(
        "/api/sign-up",
        {"email": unique_email, "password": PASSWORD, "attributes": {name: "true"}},
    )
    error = error_of(response, 422)
    assert "attributes" in error["details"]["fields"]


def test_sign_up_takes_allowed_attributes(
    spa: SpaClient, app: Flask, outbox: Any, unique_email: str
) -> None:
    flow = flow_of(spa.post("/api/sign-up", {"email": unique_email, "password": PASSWORD,
                                             "attributes": {"name": "Ada"}}))  # fmt: skip
    assert flow["state"] == "SIGNED_UP"
    user = app.test_client().get(f"/api/admin/users/{unique_email}", headers=ADMIN).get_json()
    assert user["attributes"]["name"] == "Ada"
    assert user["attributes"].get("email_verified") != "true"


@pytest.mark.parametrize(
    ("attributes", "accepted"),
    [({"email": "a@example.com"}, True), ({"email_verified": "true"}, False)],
)
def test_new_password_takes_email_but_not_its_verification(
    attributes: dict[str, str], accepted: bool
) -> None:
    """An admin-created account without an email is asked for one at NEW_PASSWORD_REQUIRED;
    marking it verified stays out of reach."""
    from marshmallow import ValidationError

    from bff.flows.challenges.new_password import NewPasswordSchema

    body = {"new_password": PASSWORD, "attributes": attributes}
    if accepted:
        assert NewPasswordSchema().load(body)["attributes"] == attributes
    else:
        with pytest.raises(ValidationError):
            NewPasswordSchema().load(body)


def test_the_app_client_allows_only_those_attributes(
    cognito_client: Any, local_cognito: LocalCognitoInfo
) -> None:
    from bff.fields import NEW_PASSWORD_ATTRIBUTES, SIGN_UP_ATTRIBUTES

    client = cognito_client.describe_user_pool_client(
        UserPoolId=local_cognito.user_pool_id, ClientId=local_cognito.client_id
    )["UserPoolClient"]
    assert sorted(client["WriteAttributes"]) == sorted(("email", *SIGN_UP_ATTRIBUTES))
    assert sorted(client["WriteAttributes"]) == sorted(NEW_PASSWORD_ATTRIBUTES)
    assert "email_verified" not in client["WriteAttributes"]
    assert set(client["ReadAttributes"]) >= {"email", "email_verified"}


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1 - - "GET /api/admin/users?x_admin_key=Sup3rS3cret HTTP/1.1" 200',
        "GET /api/admin/users?limit=5&X-Admin-Key=Sup3rS3cret",
        "POST /api/webhooks/pandadoc?signature=Sup3rS3cret&x=1",
        "GET /x?api_key=Sup3rS3cret&id_token=Sup3rS3cret",
    ],
)
def test_query_string_secrets_are_scrubbed(line: str) -> None:
    assert "Sup3rS3cret" not in scrub(line)


def test_the_access_log_of_a_query_string_key_is_scrubbed(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    line = '"GET /api/admin/users?x_admin_key=%s HTTP/1.1" 403'
    logging.getLogger("werkzeug").info(line, "hunter2hunter2")
    assert "hunter2hunter2" not in caplog.text


def test_the_store_holds_no_usable_cookie(
    app: Flask, spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Clock
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    sid = spa.cookie()
    assert sid
    path = app.extensions["bff"]["store"].path
    raw = b"".join(
        Path(name).read_bytes() for name in (path, path + "-wal") if os.path.exists(name)
    )
    assert sid.encode() not in raw


def test_sqlite_files_are_private(app: Flask, spa: SpaClient, unique_email: str) -> None:
    spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD})
    path = app.extensions["bff"]["store"].path
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
