"""The signed-in session at Cognito: refresh the tokens, sign out here or everywhere, end a
user's other BFF sessions."""

from __future__ import annotations

import logging

from bff.cognito.types import Tokens
from bff.errors import CognitoError, Conflict, NotAuthorized, SessionExpired
from bff.flows.protocol import Flows
from statemachine import Flow

log = logging.getLogger(__name__)


def end_user_sessions(flows: Flows, username: str, *, keep_session: str | None = None) -> int:
    """Delete every BFF session of ``username`` but ``keep_session``; how many ended.

    Their tokens were only ever on the server: deleting the records signs those browsers
    out (their next request is ``not_signed_in``).
    """
    ended = flows.store.sessions.end_user_sessions(username, keep=keep_session)
    if ended:
        log.info("ended %d other session(s) of a user", ended)
    return ended


def sign_out_everywhere(flows: Flows, flow: Flow, access_token: str) -> tuple[Flow, int]:
    """GlobalSignOut: the user's tokens are revoked at Cognito on every device, and every
    BFF session of the user ends (this one included). Returns the flow and how many
    sessions ended."""
    flows.require(flow, "sign_out_everywhere")
    try:
        flows.gateway.global_sign_out(access_token)
    except SessionExpired:
        log.info("sign out everywhere: the access token was already revoked")
    flow.apply("GlobalSignOut", {})
    flow.cognito_session = None
    flows.save_quietly(flow, "sign-out")
    return flow, end_user_sessions(flows, flow.username or "")


def sign_out(
    flows: Flows,
    flow: Flow | None,
    *,
    access_token: str | None,
    refresh_token: str | None,
    unremembered_device_key: str | None = None,
) -> Flow | None:
    """RevokeToken at Cognito (this browser's refresh token and the access tokens issued
    from it); the flow ends SIGNED_OUT. Other browsers stay signed in: see
    ``sign_out_everywhere``.

    ``unremembered_device_key``: the session's device when this browser does not remember
    it (declined, or never answered). Its tokens die with the sign-out and no browser holds
    its secret, so it is forgotten first (ForgetDevice needs a live access token): the
    user's device list keeps remembered devices and live sessions.

    Cognito refusing (tokens already revoked or expired) does not keep anyone signed in:
    the server session is deleted by the caller whatever Cognito answered.
    """
    if access_token and unremembered_device_key:
        _forget_session_device(flows, flow, access_token, unremembered_device_key)
    if refresh_token:
        try:
            flows.gateway.revoke_token(refresh_token)
        except CognitoError as exc:
            log.info("sign-out: RevokeToken refused (%s)", exc.cognito_code)
    if flow is not None and flow.may("signed_out"):
        flow.apply("RevokeToken", {})
        flow.cognito_session = None
        flows.save_quietly(flow, "sign-out")
    return flow


def _forget_session_device(
    flows: Flows, flow: Flow | None, access_token: str, device_key: str
) -> None:
    try:
        flows.gateway.forget_device(access_token, device_key)
    except CognitoError as exc:
        log.info("sign-out: ForgetDevice refused (%s)", exc.cognito_code)
        return
    if flow is not None and flow.may("device_forgotten"):
        flow.apply("ForgetDevice", {})


def refresh(
    flows: Flows,
    flow: Flow | None,
    refresh_token: str,
    *,
    username: str | None,
    device_key: str | None,
) -> Tokens:
    """REFRESH_TOKEN_AUTH; a refusal marks the flow EXPIRED and re-raises."""
    try:
        step = flows.gateway.refresh_tokens(refresh_token, username=username, device_key=device_key)
    except CognitoError as exc:
        if flow is not None and isinstance(exc, NotAuthorized):
            try:
                flows.record_failure(
                    flow, "InitiateAuth", exc, request={"AuthFlow": "REFRESH_TOKEN_AUTH"}
                )
            except Conflict:
                log.info("flow %s changed during a refused refresh", flow.id)
        raise
    if step.tokens is None:
        raise NotAuthorized("Cognito answered the refresh with a challenge.")
    return step.tokens
