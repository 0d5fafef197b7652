"""Revoked sessions die: the BFF re-validates a session's tokens with Cognito at most every
BFF_SESSION_REVALIDATE_SECONDS (GetUser), and a refused session answers 401
``session_expired`` and is deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import (
    SpaClient,
    error_of,
    session_record,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from local_cognito import LocalCognitoInfo
from local_cognito.clock import Clock
from tests.support.clock import StoreClock
from tests.support.totp import CognitoClock


def _signed_in(spa: SpaClient, outbox: Any, email: str, clock: CognitoClock) -> None:
    sign_up_and_confirm(spa, outbox, email)
    sign_in_through_mfa_setup(spa, email, set(), clock)
    assert spa.get("/api/me").status_code == 200


def _admin(action: str) -> Callable[[Any, LocalCognitoInfo, str, SpaClient], None]:
    def revoke(client: Any, info: LocalCognitoInfo, email: str, spa: SpaClient) -> None:
        getattr(client, action)(UserPoolId=info.user_pool_id, Username=email)

    return revoke


def _global_sign_out_elsewhere(
    client: Any, info: LocalCognitoInfo, email: str, spa: SpaClient
) -> None:
    # Another browser's sign-out: GlobalSignOut with a token of this same user.
    record = spa_record_tokens[id(spa)]
    client.global_sign_out(AccessToken=record["access_token"])


spa_record_tokens: dict[int, dict[str, Any]] = {}


@pytest.mark.parametrize(
    "revoke",
    [
        _admin("admin_user_global_sign_out"),
        _admin("admin_disable_user"),
        _admin("admin_delete_user"),
        _global_sign_out_elsewhere,
    ],
    ids=["AdminUserGlobalSignOut", "AdminDisableUser", "AdminDeleteUser", "GlobalSignOut"],
)
def test_a_revoked_session_answers_401_session_expired_and_is_deleted(
    app: Flask, spa: SpaClient, outbox: Any, cognito_client: Any,
    local_cognito: LocalCognitoInfo, store_clock: StoreClock, unique_email: str,
    revoke: Callable[..., None], cognito_clock: Clock,
) -> None:  # fmt: skip
    _signed_in(spa, outbox, unique_email, cognito_clock)
    record = session_record(app, spa)
    assert record is not None
    spa_record_tokens[id(spa)] = record["tokens"]
    sid = spa.cookie()
    revoke(cognito_client, local_cognito, unique_email, spa)
    # Within BFF_SESSION_REVALIDATE_SECONDS the BFF does not ask (one GetUser a minute).
    assert spa.get("/api/me").status_code == 200
    store_clock.advance(61)
    error = error_of(spa.get("/api/me"), 401)
    assert error["code"] == "session_expired"
    assert app.extensions["bff"]["store"].sessions.get(sid) is None
    assert error_of(spa.get("/api/me"), 401)["code"] == "not_signed_in"


def test_a_live_session_is_revalidated_and_kept(
    app: Flask,
    spa: SpaClient,
    outbox: Any,
    store_clock: StoreClock,
    unique_email: str,
    cognito_clock: Clock,
) -> None:
    _signed_in(spa, outbox, unique_email, cognito_clock)
    before = session_record(app, spa)
    assert before is not None
    store_clock.advance(61)
    assert spa.get("/api/me").status_code == 200
    after = session_record(app, spa)
    assert after is not None and after["validated_at"] > before["validated_at"]


def test_a_user_gone_after_a_local_cognito_restart_is_signed_out(
    make_app: Any, outbox: Any, local_cognito: LocalCognitoInfo, unique_email: str,
    tmp_path: Any,
) -> None:  # fmt: skip
    """A local Cognito restarted with an empty pool knows neither the user nor the token."""
    from local_cognito import LocalCognito

    fresh = LocalCognito(port=0)
    info = fresh.start()
    try:
        app = make_app(**info.as_environment(), BFF_SESSION_REVALIDATE_SECONDS="0")
        spa = SpaClient(app.test_client())
        from bff.local_outbox import OutboxReader

        _signed_in(spa, OutboxReader(info.endpoint_url), unique_email, fresh.clock)
    finally:
        fresh.stop()
    restarted = LocalCognito(port=0)
    again = restarted.start()
    try:
        app.extensions["bff"]["gateway"] = type(app.extensions["bff"]["gateway"]).from_settings(
            again.cognito_settings()
        )
        app.extensions["bff"]["flows"].gateway = app.extensions["bff"]["gateway"]
        assert error_of(spa.get("/api/me"), 401)["code"] == "session_expired"
    finally:
        restarted.stop()
