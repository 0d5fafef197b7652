"""Remembered devices: the device Cognito issues with the tokens, the user's remember-or-not
choice, the browser's device vault, listing and forgetting devices.

The vault (``store.devices``) keeps a device's secrets, encrypted, under an id only the
browser's device cookie carries; a step tells the view what that cookie becomes
(``StepOutcome.device_cookie``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Final

from marshmallow import fields

from bff.cognito.types import Device, NewDeviceMetadata, RememberedDevice
from bff.errors import CognitoError, NoDeviceOffered
from bff.flows.data import StepData, produces
from bff.flows.outcome import CLEAR_DEVICE_COOKIE, ExistingDevice, StepOutcome
from bff.flows.protocol import Flows
from bff.flows.session import sign_out
from statemachine import Flow
from statemachine.lifecycle import AUTHENTICATED

log = logging.getLogger(__name__)

#: How a device the BFF confirms is listed (ConfirmDevice DeviceName, ListDevices).
DEVICE_NAME: Final = "Web browser"


@produces(AUTHENTICATED)
class RememberedData(StepData):
    """The answer to "remember this browser?"."""

    device_remembered = fields.Boolean()
    already_answered = fields.Boolean(
        metadata={"description": "Another tab answered first: this is its answer."}
    )


def confirm_new_device(
    flows: Flows,
    flow: Flow,
    access_token: str,
    new_device: NewDeviceMetadata,
    device_name: str | None,
) -> RememberedDevice | None:
    """ConfirmDevice the device Cognito issued with the tokens, at once, as Amplify does.

    In a pool with device tracking Cognito refreshes these tokens only with this device's
    key, and only once the device is confirmed (docs/local-cognito.md): a user who never
    answers the remember-device prompt must stay refreshable. Whether the device is
    *remembered* (skips MFA) stays the user's choice (``remember_device``). A refusal
    leaves the sign-in standing: the tokens work until they expire.
    """
    try:
        device, necessary = flows.gateway.confirm_device(
            access_token, new_device, device_name=device_name or DEVICE_NAME
        )
    except CognitoError as exc:
        log.warning("flow %s: ConfirmDevice refused (%s)", flow.id, exc.cognito_code)
        return None
    flow.apply("ConfirmDevice", {"UserConfirmationNecessary": necessary})
    return device


def remember_device(
    flows: Flows,
    flow: Flow,
    access_token: str,
    device: RememberedDevice | None,
    *,
    remember: bool,
    username: str,
    browser_device_id: str | None = None,
) -> StepOutcome:
    """UpdateDeviceStatus remembered / not_remembered for the device confirmed at this
    sign-in (``confirm_new_device``): the user's one choice.

    The device's secrets go to the vault under a new id, which the outcome's
    ``device_cookie`` carries to the browser; the browser's previous device (one per
    browser) leaves the vault. A declined device is kept too, marked not remembered: the
    next sign-in from this browser names it (DEVICE_KEY), so Cognito asks for MFA but
    issues no new device, as Amplify does (docs/api.md, "Devices").
    """
    flows.require(flow, "remember_device")
    if device is None:
        given = answer_given(flow)
        if given is None:
            raise NoDeviceOffered()
        # Another tab answered first: show that answer; nothing changes at Cognito.
        data = {"username": flow.username, "device_remembered": given, "already_answered": True}
        return StepOutcome(flow, data)
    # Explicit either way: with "remember on user prompt" Cognito waits for this call;
    # without it, a device the user declined must still be marked not_remembered.
    flows.call(
        flow,
        "UpdateDeviceStatus",
        lambda: flows.gateway.update_device_status(
            access_token, device.device_key, remembered=remember
        ),
    )
    status = "remembered" if remember else "not_remembered"
    flow.apply("UpdateDeviceStatus", request={"DeviceRememberedStatus": status})
    flows.save(flow)
    outcome = StepOutcome(flow, {"username": flow.username, "device_remembered": remember})
    if browser_device_id:
        flows.store.devices.delete(browser_device_id)
    outcome.device_cookie = flows.store.devices.put(username, replace(device, remembered=remember))
    return outcome


def answer_given(flow: Flow) -> bool | None:
    """The user's remember-or-not answer at this sign-in (the journal's last
    UpdateDeviceStatus since the tokens came), or None when none was given."""
    for entry in reversed(flow.journal):
        if entry.action == "UpdateDeviceStatus":
            return entry.trigger == "device_remembered"
        if entry.trigger == "authenticated":
            return None
    return None


def browser_device(flows: Flows, device_id: str) -> ExistingDevice | None:
    """The remembered device behind a browser's device cookie, or None (unknown id)."""
    found = flows.store.devices.get(device_id)
    if found is None:
        return None
    username, device = found
    return ExistingDevice(device_id=device_id, username=username, device=device)


def forget_browser_device(
    flows: Flows, outcome: StepOutcome, device: ExistingDevice
) -> StepOutcome:
    """Cognito refused the browser's remembered device: drop it from the vault, and tell
    the view to clear the device cookie."""
    flows.store.devices.delete(device.device_id)
    outcome.device_cookie = CLEAR_DEVICE_COOKIE
    return outcome


def list_devices(flows: Flows, access_token: str) -> list[Device]:
    """The signed-in user's tracked devices (ListDevices; moves no flow)."""
    return flows.gateway.list_devices(access_token)


@dataclass(frozen=True)
class Forgotten:
    """What forgetting a device did to this browser: its device cookie (None: leave it,
    CLEAR_DEVICE_COOKIE: clear it) and, when the device was the one this session's tokens
    are bound to, the signed-out flow (``signed_out``)."""

    device_cookie: str | None = None
    #: the user's devices afterwards (listed while the access token still stands)
    devices: tuple[Device, ...] = ()
    signed_out: bool = False
    flow: Flow | None = None


def forget_device(
    flows: Flows,
    flow: Flow | None,
    access_token: str,
    device_key: str,
    *,
    browser_device: ExistingDevice | None = None,
    session_device_key: str | None = None,
    refresh_token: str | None = None,
) -> Forgotten:
    """ForgetDevice at Cognito (the device's next sign-in asks for MFA), journaled as
    ``device_forgotten`` in the signed-in flow.

    Forgetting this browser's own device also deletes its secrets from the vault (the
    device cookie is cleared). Forgetting the device this session's tokens are bound to
    (``session_device_key``) ends the session: Cognito refuses to refresh tokens of a
    forgotten device, so its refresh token is revoked and the flow signs out; the caller
    deletes the session.
    """
    cookie = _forget(flows, flow, access_token, device_key, browser_device)
    remaining = tuple(list_devices(flows, access_token))
    if device_key != session_device_key:
        return Forgotten(device_cookie=cookie, devices=remaining, flow=flow)
    flow = sign_out(flows, flow, access_token=None, refresh_token=refresh_token)
    return Forgotten(device_cookie=cookie, devices=remaining, signed_out=True, flow=flow)


def _forget(
    flows: Flows,
    flow: Flow | None,
    access_token: str,
    device_key: str,
    browser_device: ExistingDevice | None,
) -> str | None:
    if flow is not None and flow.may("device_forgotten"):
        flows.call(
            flow, "ForgetDevice", lambda: flows.gateway.forget_device(access_token, device_key)
        )
        flow.apply("ForgetDevice", {})
        flows.save(flow)
    else:
        flows.gateway.forget_device(access_token, device_key)
    if browser_device is not None and browser_device.device.device_key == device_key:
        flows.store.devices.delete(browser_device.device_id)
        return CLEAR_DEVICE_COOKIE
    return None
