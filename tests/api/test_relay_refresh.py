"""Tokens kept fresh for the relay: an access token about to expire is refreshed once per
session before it is forwarded, however many requests arrive with it; a refused refresh ends
the session. Time moves by the clocks (the store's, the local Cognito's), never by waiting."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from api_helpers import (
    JWT,
    SpaClient,
    settings_for,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask
from prometheus_client import REGISTRY
from relay_support import Recorder, Served, call, remote_apis
from test_api_recovery import advance_cognito_clock

from bff.app import create_app
from bff.errors import NotAuthorized
from bff.relay import lease, session_access
from tests.support.clock import StoreClock
from tests.support.production import wait_until

HOUR = 3600


def _refreshes(outcome: str) -> float:
    return REGISTRY.get_sample_value("bff_relay_token_refreshes_total", {"outcome": outcome}) or 0


def _cognito_calls(action: str) -> float:
    labels = {"action": action, "outcome": "ok"}
    return REGISTRY.get_sample_value("bff_cognito_calls_total", labels) or 0


def _cognito_refresh_calls() -> float:
    return _cognito_calls("InitiateAuth")


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, Served]]:
    recording = Recorder()
    served = Served(recording)
    yield recording, served
    recording.release.set()
    served.close()


@pytest.fixture
def relay_app(make_app: Callable[..., Flask], recorder: tuple[Recorder, Served]) -> Flask:
    # Sessions outlive the hour the clocks move (an access token lives an hour).
    return make_app(
        BFF_REMOTE_APIS=remote_apis(recorder[1].url),
        BFF_SESSION_IDLE_SECONDS=str(4 * HOUR),
    )


@pytest.fixture
def bff(relay_app: Flask) -> Iterator[Served]:
    served = Served(relay_app)
    yield served
    served.close()


@pytest.fixture
def signed_in(relay_app: Flask, outbox: Any, unique_email: str, cognito_clock: Any) -> SpaClient:
    spa = SpaClient(relay_app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    return spa


def _tokens(app: Flask, sid: str) -> dict[str, Any]:
    record = app.extensions["bff"]["store"].sessions.get(sid)
    assert record is not None
    return dict(record["tokens"])


def _expire(store_clock: StoreClock, local_cognito: Any) -> None:
    store_clock.advance(HOUR)
    advance_cognito_clock(local_cognito, HOUR)


def test_an_expired_access_token_is_refreshed_once_and_the_call_succeeds(
    relay_app: Flask,
    bff: Served,
    recorder: tuple[Recorder, Served],
    signed_in: SpaClient,
    store_clock: StoreClock,
    local_cognito: Any,
) -> None:
    sid = signed_in.cookie()
    assert sid
    old = _tokens(relay_app, sid)
    _expire(store_clock, local_cognito)
    before = _refreshes("refreshed")

    status, _, body = call(bff, "GET", "/api/remote/notes/notes", sid)
    assert status == 200, body
    new = _tokens(relay_app, sid)
    assert new["access_token"] != old["access_token"]
    assert recorder[0].last.headers["Authorization"] == "Bearer " + new["access_token"]
    assert _refreshes("refreshed") == before + 1

    status, _, _ = call(bff, "GET", "/api/remote/notes/notes", sid)
    assert status == 200
    assert _refreshes("refreshed") == before + 1  # fresh now: no second refresh
    assert recorder[0].last.headers["Authorization"] == "Bearer " + new["access_token"]


def test_twenty_concurrent_calls_with_an_expired_token_make_one_refresh(
    relay_app: Flask,
    bff: Served,
    recorder: tuple[Recorder, Served],
    signed_in: SpaClient,
    store_clock: StoreClock,
    local_cognito: Any,
) -> None:
    sid = signed_in.cookie()
    assert sid
    old = _tokens(relay_app, sid)["access_token"]
    _expire(store_clock, local_cognito)
    refreshed, shared = _refreshes("refreshed"), _refreshes("shared")
    cognito_calls = _cognito_refresh_calls()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda i: call(bff, "GET", f"/api/remote/notes/notes/{i}", sid), range(20))
        )

    assert [status for status, _, _ in answers] == [200] * 20, answers
    assert _refreshes("refreshed") == refreshed + 1
    assert _cognito_refresh_calls() == cognito_calls + 1  # one REFRESH_TOKEN_AUTH at Cognito
    # How many of the other 19 waited for that refresh rather than finding the new token
    # already stored depends on the threads' timing: only the one refresh is asserted.
    assert _refreshes("shared") >= shared
    sent = {r.headers["Authorization"] for r in recorder[0].received}
    new = _tokens(relay_app, sid)["access_token"]
    assert sent == {"Bearer " + new} and new != old


def test_explicit_refreshes_revalidations_and_relayed_calls_share_one_refresh(
    relay_app: Flask,
    bff: Served,
    signed_in: SpaClient,
    store_clock: StoreClock,
    local_cognito: Any,
) -> None:
    """The session refresh, the revalidation of an expired token and the relay renew the
    tokens through one mechanism: arriving together, they make one call to Cognito.

    "Together" is made certain: the test holds the refresh's claim in the store (as another
    instance refreshing would) until all 20 requests, each having read the session with the
    old token, wait for it; then lets go."""
    sid = signed_in.cookie()
    assert sid
    store = relay_app.extensions["bff"]["store"]
    key = store.cipher.hashed_id(sid)
    old = _tokens(relay_app, sid)["access_token"]
    _expire(store_clock, local_cognito)
    cognito_calls = _cognito_refresh_calls()
    requests = [("POST", "/api/session/refresh"), ("GET", "/api/me")] * 5 + [
        ("GET", f"/api/remote/notes/notes/{i}") for i in range(10)
    ]

    def waiting() -> int:
        return session_access._locks.get(key, (None, 0))[1]

    assert lease.claim(store, key, 60)
    with ThreadPoolExecutor(max_workers=20) as pool:
        pending = [
            pool.submit(call, bff, method, path, sid, body=b"" if method == "POST" else None)
            for method, path in requests
        ]
        try:
            wait_until(lambda: waiting() == 20, 30, "20 requests waiting for the refresh")
        finally:
            lease.release(store, key)
        answers = [future.result() for future in pending]

    assert [status for status, _, _ in answers] == [200] * 20, answers
    assert _cognito_refresh_calls() == cognito_calls + 1
    assert _tokens(relay_app, sid)["access_token"] != old
    # An explicit refresh with the new token renews again: it is not an expiry check.
    status, _, _ = call(bff, "POST", "/api/session/refresh", sid, body=b"")
    assert status == 200
    assert _cognito_refresh_calls() == cognito_calls + 2


def test_a_refused_refresh_ends_the_session_with_401_session_expired(
    relay_app: Flask,
    bff: Served,
    recorder: tuple[Recorder, Served],
    signed_in: SpaClient,
    store_clock: StoreClock,
    local_cognito: Any,
    cognito_client: Any,
) -> None:
    sid = signed_in.cookie()
    assert sid
    # Revoked behind the BFF's back: every refresh token of the user stops working.
    cognito_client.global_sign_out(AccessToken=_tokens(relay_app, sid)["access_token"])
    _expire(store_clock, local_cognito)
    refused = _refreshes("refused")

    status, headers, body = call(bff, "GET", "/api/remote/notes/notes", sid)
    assert status == 401
    assert json.loads(body)["error"]["code"] == "session_expired"
    assert "bff_session=;" in headers.get("Set-Cookie", "")
    assert relay_app.extensions["bff"]["store"].sessions.get(sid) is None
    assert recorder[0].received == []
    assert _refreshes("refused") == refused + 1
    status, _, body = call(bff, "GET", "/api/remote/notes/notes", sid)
    assert status == 401
    assert json.loads(body)["error"]["code"] == "not_signed_in"


def test_no_token_or_cookie_in_any_log_line(
    relay_app: Flask,
    bff: Served,
    signed_in: SpaClient,
    store_clock: StoreClock,
    local_cognito: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid = signed_in.cookie()
    assert sid
    old = _tokens(relay_app, sid)
    _expire(store_clock, local_cognito)
    caplog.set_level(logging.DEBUG)
    assert call(bff, "GET", "/api/remote/notes/notes", sid)[0] == 200  # with a refresh
    assert call(bff, "GET", "/api/remote/notes/%2e%2e/x", sid)[0] == 404
    new = _tokens(relay_app, sid)
    secrets = [sid, *old.values(), *new.values()]
    lines = [record.getMessage() for record in caplog.records]
    assert any("relay notes GET: 200" in line for line in lines), lines
    for line in lines:
        assert not JWT.search(line), line
        for secret in secrets:
            assert not isinstance(secret, str) or secret not in line, line


ROTATING = {"RefreshTokenRotation": "ENABLED", "RefreshTokenRetryGracePeriodSeconds": "10"}


def test_with_rotation_the_new_refresh_token_is_stored_and_the_old_one_dies(
    local_cognito_server: Any,
    recorder: tuple[Recorder, Served],
    outbox: Any,
    unique_email: str,
    cognito_clock: Any,
    store_clock: StoreClock,
    tmp_path: Path,
) -> None:
    pool = local_cognito_server.provision(parameters=ROTATING)
    config = settings_for(
        pool,
        tmp_path / "rotating",
        BFF_REMOTE_APIS=remote_apis(recorder[1].url),
        BFF_SESSION_IDLE_SECONDS=str(4 * HOUR),
    )
    app = create_app({**config, "clock": store_clock})
    assert app.extensions["bff"]["gateway"].refresh_rotation
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    sid = spa.cookie()
    assert sid
    old = _tokens(app, sid)
    served = Served(app)
    try:
        _expire(store_clock, pool)
        calls = _cognito_calls("GetTokensFromRefreshToken")
        with ThreadPoolExecutor(max_workers=20) as threads:
            answers = list(
                threads.map(
                    lambda _: call(served, "GET", "/api/remote/notes/notes", sid), range(20)
                )
            )
        assert [status for status, _, _ in answers] == [200] * 20
        assert _cognito_calls("GetTokensFromRefreshToken") == calls + 1
        new = _tokens(app, sid)
        assert new["refresh_token"] not in (None, old["refresh_token"])

        # Past the grace period the old refresh token is refused at Cognito...
        advance_cognito_clock(pool, 11)
        record = app.extensions["bff"]["store"].sessions.get(sid)
        with pytest.raises(NotAuthorized):
            app.extensions["bff"]["gateway"].refresh_tokens(
                old["refresh_token"],
                username=record["cognito_username"],
                device_key=record["device_key"],
            )
        # ...and the stored one carries the session on at the next expiry.
        _expire(store_clock, pool)
        assert call(served, "GET", "/api/remote/notes/notes", sid)[0] == 200
        assert _tokens(app, sid)["refresh_token"] not in (
            old["refresh_token"],
            new["refresh_token"],
        )
    finally:
        served.close()
        app.extensions["bff"]["store"].close()
