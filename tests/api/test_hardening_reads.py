"""Reads are not transitions: no GET writes a flow or its journal, however often it comes.

``GET /api/account/mfa`` used to journal every read: after 4,841 of them the flow record
was 525 KB and each request five times slower. Every GET route of the URL map is called
here 200 times by a signed-in browser (and the admin), and the flow record must come out
exactly as it went in; so must a challenge flow read after its life ended.
"""

from __future__ import annotations

import json
import re
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

from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import make_cognito_client
from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock
from tests.support.clock import StoreClock
from tests.support.passwords import PASSWORD

READS = 200


def _flow_record(app: Flask, flow_id: str) -> tuple[int, int, dict[str, Any]]:
    """The stored flow: its version, its size serialised, and all of it."""
    flow = app.extensions["bff"]["store"].flows.load(flow_id)
    assert flow is not None
    stored = flow.to_dict()
    return flow.version, len(json.dumps(stored)), stored


def _get_paths(app: Flask, values: dict[str, str]) -> list[str]:
    """Every GET rule of the URL map, its variables filled from ``values`` ("x" else)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            paths.add(
                re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)
            )
    return sorted(paths)


@pytest.mark.slow  # about 3,400 requests: 30 s on the 2-core machine
def test_no_get_route_writes_the_flow_however_often_it_is_read(
    app: Flask, outbox: Any, unique_email: str, cognito_clock: Clock, store_clock: StoreClock
) -> None:
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    flow_of(spa.post("/api/sign-in/remember-device", {"remember": True}))
    before = _flow_record(app, flow["id"])
    device_key = spa.get("/api/devices").get_json()["devices"][0]["device_key"]
    paths = _get_paths(
        app, {"flow_id": flow["id"], "username": unique_email, "device_key": device_key}
    )
    headers = {"X-Admin-Key": ADMIN_KEY, "X-CSRF": "1"}
    answered: dict[str, set[int]] = {path: set() for path in paths}
    for i in range(READS):
        if i == READS // 2:
            # Past the revalidation interval: the next signed-in read asks Cognito (GetUser)
            # and stamps the session, still without touching the flow.
            store_clock.advance(61)
        for path in paths:
            answered[path].add(spa.get(path, headers=headers).status_code)
    # No 500; the relay's route answers 502 (nothing listens behind it in these tests).
    assert not [p for p, codes in answered.items() if 500 in codes]
    # The reads that do something for a signed-in browser did it every time.
    for path in ("/api/flow", "/api/me", "/api/session", "/api/devices", "/api/account/mfa"):
        assert answered[path] == {200}, (path, answered[path])
    assert answered[f"/api/admin/flows/{flow['id']}/journal"] == {200}
    after = _flow_record(app, flow["id"])
    assert after[:2] == before[:2], "a GET changed the flow record's version or size"
    assert after == before


def test_an_expired_challenge_flow_read_stays_as_stored_until_the_next_step(
    app: Flask, outbox: Any, unique_email: str, cognito_clock: Clock, store_clock: StoreClock
) -> None:
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    flow = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    assert flow["state"] == "MFA_SETUP"
    before = _flow_record(app, flow["id"])
    store_clock.advance(181)  # Cognito's challenge session lives 3 minutes
    for _ in range(READS):
        assert flow_of(spa.get("/api/flow"))["state"] == "EXPIRED"
    assert _flow_record(app, flow["id"]) == before
    # The next step journals the expiry, once.
    again = flow_of(spa.post("/api/sign-in", {"username": unique_email, "password": PASSWORD}))
    journal = app.test_client().get(
        f"/api/admin/flows/{flow['id']}/journal", headers={"X-Admin-Key": ADMIN_KEY}
    )
    triggers = [entry["trigger"] for entry in journal.get_json()["journal"]]
    assert triggers.count("session_expired") == 1 and again["state"] == "MFA_SETUP"


class CountingGateway(CognitoGateway):
    """The real gateway, counting the reads a session drives (GetUser, ListDevices)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads = 0

    def get_user(self, access_token: str) -> Any:
        self.reads += 1
        return super().get_user(access_token)

    def list_devices(self, access_token: str) -> Any:
        self.reads += 1
        return super().list_devices(access_token)


def _signed_in(app: Flask, outbox: Any, email: str, clock: Clock) -> SpaClient:
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, email)
    sign_in_through_mfa_setup(spa, email, set(), clock)
    return spa


def test_reads_that_call_cognito_are_limited_per_session(
    make_app: Any, local_cognito: LocalCognitoInfo, outbox: Any, unique_email: str,
    cognito_clock: Clock,
) -> None:  # fmt: skip
    settings = local_cognito.cognito_settings()
    gateway = CountingGateway(
        make_cognito_client(settings),
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
    )
    app = make_app(gateway=gateway, BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_READ="4 per minute")
    spa = _signed_in(app, outbox, unique_email, cognito_clock)
    other = _signed_in(app, outbox, unique_email.replace("@", "-other@"), cognito_clock)
    gateway.reads = 0
    # One budget for every read of the session, whichever route.
    for path in ("/api/account/mfa", "/api/devices", "/api/me", "/api/session"):
        assert spa.get(path).status_code == 200, path
    assert gateway.reads == 2
    for path in ("/api/account/mfa", "/api/devices", "/api/me", "/api/session"):
        refused = spa.get(path)
        error = error_of(refused, 429)
        assert error["code"] == "too_many_requests"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert error["details"]["retry_after"] == int(refused.headers["Retry-After"])
    assert gateway.reads == 2  # refused before Cognito was asked
    # Another session has its own budget; the steps (POST) are not reads.
    assert other.get("/api/account/mfa").status_code == 200
    assert spa.get("/api/flow").status_code == 200


def test_a_cookie_naming_no_session_costs_no_counter(make_app: Any) -> None:
    app = make_app(BFF_RATELIMIT_ENABLED="true", BFF_RATELIMIT_READ="1 per minute")
    counters = app.extensions["bff_rate_limits"].storage
    client = app.test_client()
    before = len(counters)
    for i in range(50):
        client.set_cookie("bff_session", f"{i:04d}" + "A" * 39)
        for path in ("/api/account/mfa", "/api/devices", "/api/me"):
            assert error_of(client.get(path), 401)["code"] == "not_signed_in"
    assert len(counters) == before
