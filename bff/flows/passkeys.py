"""The signed-in user's passkeys: register one (Cognito's creation options to the browser,
the browser's answer back to Cognito), list them, delete one.

The BFF relays; Cognito verifies the attestation and keeps the public key. Registering
and deleting are journaled in the signed-in flow (``passkey_registered``,
``passkey_deleted``); starting a registration and listing move no flow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bff.cognito.passkey_actions import Passkey
from bff.flows.protocol import Flows
from statemachine import Flow


def start_registration(flows: Flows, access_token: str) -> dict[str, Any]:
    """StartWebAuthnRegistration: the options for ``navigator.credentials.create``."""
    return flows.gateway.start_passkey_registration(access_token)


def list_passkeys(flows: Flows, access_token: str) -> list[Passkey]:
    """ListWebAuthnCredentials, every page (moves no flow)."""
    return flows.gateway.list_passkeys(access_token)


def complete_registration(
    flows: Flows, flow: Flow | None, access_token: str, credential: Mapping[str, Any]
) -> list[Passkey]:
    """CompleteWebAuthnRegistration with the browser's RegistrationResponseJSON, as it
    came; the user's passkeys afterwards."""
    _journaled(
        flows,
        flow,
        "CompleteWebAuthnRegistration",
        "passkey_registered",
        lambda: flows.gateway.complete_passkey_registration(access_token, credential),
    )
    return list_passkeys(flows, access_token)


def delete_passkey(
    flows: Flows, flow: Flow | None, access_token: str, credential_id: str
) -> list[Passkey]:
    """DeleteWebAuthnCredential; the user's passkeys afterwards."""
    _journaled(
        flows,
        flow,
        "DeleteWebAuthnCredential",
        "passkey_deleted",
        lambda: flows.gateway.delete_passkey(access_token, credential_id),
    )
    return list_passkeys(flows, access_token)


def _journaled(
    flows: Flows, flow: Flow | None, action: str, trigger: str, call: Callable[[], None]
) -> None:
    """Call Cognito; journal the outcome in the signed-in flow when it has one (a session
    whose flow was cleaned up still manages its passkeys, unjournaled)."""
    if flow is None or not flow.may(trigger):
        call()
        return
    flows.call(flow, action, call)
    flow.apply(action, {})
    # Cognito's change stands whatever another tab did to the flow meanwhile.
    flows.save_quietly(flow, action)
