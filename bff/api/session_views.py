"""The signed-in browser: who am I, refresh, sign out, remembered devices.

The tokens stay in the server-side session; the browser only ever sees the ID token's
claims (``/api/me``) and its own opaque cookies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from bff import security, sessions
from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import DeviceListSchema, EmptySchema, MeSchema, SignedOutSchema
from bff.cognito.types import Device
from bff.errors import NotSignedIn
from bff.flows import devices, flow_view
from bff.flows import session as session_steps
from bff.flows.tokens import user_claims
from bff.session_record import BrowserSession

log = logging.getLogger(__name__)

blp = Blueprint(
    "session",
    __name__,
    url_prefix="/api",
    description="The signed-in session: claims, refresh, sign-out, remembered devices.",
)


@blp.route("/me", methods=["GET"])
@security.limit_read
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The signed-in user's claims (from the ID token; the tokens never leave the server)."""
    tokens = context.signed_in().tokens
    assert tokens is not None
    return {"user": user_claims(tokens["id_token"]), "expires_in": tokens["expires_in"]}


@blp.route("/session/refresh", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, MeSchema)
def refresh(_args: dict[str, Any]) -> dict[str, Any]:
    """New access and ID tokens (REFRESH_TOKEN_AUTH, or GetTokensFromRefreshToken when the
    app client rotates refresh tokens: the new refresh token is kept). A refused refresh
    ends the session: 401 `session_expired`, sign in again."""
    seen = context.browser_session()  # not signed_in(): an expired token is refreshed below
    if seen is None or seen.tokens is None:
        raise NotSignedIn()
    session = context.refresh(seen, flow=context.current_flow())
    assert session.tokens is not None
    tokens = session.tokens
    return {"user": user_claims(tokens["id_token"]), "expires_in": tokens["expires_in"]}


@blp.route("/sign-out", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, SignedOutSchema)
def sign_out(_args: dict[str, Any]) -> dict[str, Any]:
    """Sign out: GlobalSignOut and RevokeToken at Cognito, the server session deleted.

    This browser's device stays (remembered or declined; forget it under /api/devices);
    the session's device, when this browser does not hold it (the remember-device prompt
    was never answered), is forgotten (ForgetDevice)."""
    session = context.browser_session()
    if session is None:
        raise NotSignedIn()
    tokens = session.tokens
    flow = session_steps.sign_out(
        context.flows(),
        context.current_flow(),
        access_token=tokens["access_token"] if tokens else None,
        refresh_token=tokens["refresh_token"] if tokens else None,
        unremembered_device_key=_unremembered_session_device(session),
    )
    sessions.end_session()
    return {"signed_out": True, "flow": flow_view(flow)["flow"] if flow else None}


def _unremembered_session_device(session: BrowserSession) -> str | None:
    """The device this session's tokens are bound to, unless this browser holds it."""
    device_key = session.device_key
    found = context.remembered_device()
    if not device_key or (found is not None and found.device.device_key == device_key):
        return None
    return str(device_key)


def _devices(session: BrowserSession, listed: Iterable[Device]) -> list[dict[str, Any]]:
    found = context.remembered_device()
    here = found.device.device_key if found else None
    return [
        {
            "device_key": d.device_key,
            "name": d.name,
            "status": d.status,
            "remembered": d.remembered,
            "created": d.created,
            "last_authenticated": d.last_authenticated,
            "this_browser": d.device_key == here,
            "this_session": d.device_key == session.device_key,
        }
        for d in listed
    ]


@blp.route("/devices", methods=["GET"])
@security.limit_read
@blp.response(200, DeviceListSchema)
def list_devices() -> dict[str, Any]:
    """The user's tracked devices (ListDevices); `this_browser` marks this one."""
    session = context.signed_in()
    listed = devices.list_devices(context.flows(), context.access_token(session))
    return {"devices": _devices(session, listed)}


@blp.route("/devices/<string:device_key>", methods=["DELETE"])
@blp.response(200, DeviceListSchema)
def forget_device(device_key: str) -> dict[str, Any]:
    """Forget a device (ForgetDevice): its next sign-in asks for MFA. Forgetting this
    browser's device also deletes its secrets from the vault and the device cookie.

    Forgetting the device this session's tokens are bound to ends the session: Cognito
    refuses to refresh tokens of a forgotten device. Its refresh token is revoked, the
    session deleted, and the answer says `signed_out`."""
    session = context.signed_in()
    tokens = session.tokens
    assert tokens is not None
    forgotten = devices.forget_device(
        context.flows(),
        context.current_flow(),
        tokens["access_token"],
        device_key,
        browser_device=context.remembered_device(),
        session_device_key=session.device_key,
        refresh_token=tokens["refresh_token"],
    )
    context.apply_device_cookie(forgotten.device_cookie)
    listed = _devices(session, forgotten.devices)
    if not forgotten.signed_out:
        return {"devices": listed}
    sessions.end_session()
    flow = forgotten.flow
    return {
        "devices": listed,
        "signed_out": True,
        "flow": flow_view(flow)["flow"] if flow else None,
    }
