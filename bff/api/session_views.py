"""The signed-in browser: who am I, refresh, sign out, remembered devices.

The tokens stay in the server-side session; the browser only ever sees the ID token's
claims (``/api/me``) and its own opaque cookies.
"""

from __future__ import annotations

import logging
from typing import Any

from bff import sessions
from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import DeviceListSchema, EmptySchema, MeSchema, SignedOutSchema
from bff.errors import NotAuthorized, NotSignedIn, SessionExpired
from bff.flows import flow_view
from bff.flows.tokens import tokens_to_record, user_claims

log = logging.getLogger(__name__)

blp = Blueprint(
    "session",
    __name__,
    url_prefix="/api",
    description="The signed-in session: claims, refresh, sign-out, remembered devices.",
)


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """The signed-in user's claims (from the ID token; the tokens never leave the server)."""
    record = context.signed_in_record()
    tokens = record["tokens"]
    return {"user": user_claims(tokens["id_token"]), "expires_in": tokens.get("expires_in")}


@blp.route("/session/refresh", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, MeSchema)
def refresh(_args: dict[str, Any]) -> dict[str, Any]:
    """New access and ID tokens (REFRESH_TOKEN_AUTH). A refused refresh ends the session:
    401 `session_expired`, sign in again."""
    record = context.signed_in_record()
    old = record["tokens"]
    if not old.get("refresh_token"):
        sessions.end_session()
        raise SessionExpired()
    try:
        tokens = context.service().refresh(
            context.current_flow(),
            old["refresh_token"],
            username=record.get("cognito_username"),
            device_key=record.get("device_key"),
        )
    except NotAuthorized:
        sessions.end_session()
        raise SessionExpired() from None
    record = {k: v for k, v in record.items() if k not in ("sid", "created_at", "last_seen_at")}
    record["tokens"] = tokens_to_record(tokens, previous=old)
    sessions.save_session(record)
    return {"user": user_claims(tokens.id_token), "expires_in": tokens.expires_in}


@blp.route("/sign-out", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, SignedOutSchema)
def sign_out(_args: dict[str, Any]) -> dict[str, Any]:
    """Sign out: GlobalSignOut and RevokeToken at Cognito, the server session deleted.

    This browser's device stays (remembered or declined; forget it under /api/devices);
    the session's device, when this browser does not hold it (the remember-device prompt
    was never answered), is forgotten (ForgetDevice)."""
    record = sessions.current_session()
    if record is None:
        raise NotSignedIn()
    tokens = record.get("tokens") or {}
    flow = context.service().sign_out(
        context.current_flow(),
        access_token=tokens.get("access_token"),
        refresh_token=tokens.get("refresh_token"),
        unremembered_device_key=_unremembered_session_device(record),
    )
    sessions.end_session()
    return {"signed_out": True, "flow": flow_view(flow)["flow"] if flow else None}


def _unremembered_session_device(record: dict[str, Any]) -> str | None:
    """The device this session's tokens are bound to, unless this browser holds it."""
    device_key = record.get("device_key")
    found = context.remembered_device()
    if not device_key or (found is not None and found.device.device_key == device_key):
        return None
    return str(device_key)


def _devices(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = context.remembered_device()
    here = found.device.device_key if found else None
    devices = context.service().devices(record["tokens"]["access_token"])
    return [
        {
            "device_key": d.device_key,
            "name": d.name,
            "status": d.status,
            "remembered": d.attributes.get("dev:device_remembered_status") == "remembered",
            "created": d.created,
            "last_authenticated": d.last_authenticated,
            "this_browser": d.device_key == here,
            "this_session": d.device_key == record.get("device_key"),
        }
        for d in devices
    ]


@blp.route("/devices", methods=["GET"])
@blp.response(200, DeviceListSchema)
def list_devices() -> dict[str, Any]:
    """The user's tracked devices (ListDevices); `this_browser` marks this one."""
    return {"devices": _devices(context.signed_in_record())}


@blp.route("/devices/<string:device_key>", methods=["DELETE"])
@blp.response(200, DeviceListSchema)
def forget_device(device_key: str) -> dict[str, Any]:
    """Forget a device (ForgetDevice): its next sign-in asks for MFA. Forgetting this
    browser's device also deletes its secrets from the vault and the device cookie.

    Forgetting the device this session's tokens are bound to ends the session: Cognito
    refuses to refresh tokens of a forgotten device. Its refresh token is revoked, the
    session deleted, and the answer says `signed_out`."""
    record = context.signed_in_record()
    flow = context.current_flow()
    cookie = context.service().forget_device(
        flow,
        record["tokens"]["access_token"],
        device_key,
        browser_device=context.remembered_device(),
    )
    context.apply_device_cookie(cookie)
    devices = _devices(record)
    if device_key != record.get("device_key"):
        return {"devices": devices}
    flow = context.service().sign_out(
        flow, access_token=None, refresh_token=record["tokens"].get("refresh_token")
    )
    sessions.end_session()
    return {
        "devices": devices,
        "signed_out": True,
        "flow": flow_view(flow)["flow"] if flow else None,
    }
