"""What a step produces, and the one step shape every step answers with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bff.cognito.types import CodeDelivery, NewDeviceMetadata, RememberedDevice, Tokens
from bff.flows.steps import next_steps
from statemachine import Flow

#: ``StepOutcome.device_cookie`` value telling the view to clear the browser's device cookie.
CLEAR_DEVICE_COOKIE: Final = ""


@dataclass
class StepOutcome:
    """What a step produced: the flow, the data for the SPA's next screen, and (server-side
    only) the tokens and device metadata Cognito returned."""

    flow: Flow
    data: dict[str, Any] = field(default_factory=dict)
    tokens: Tokens | None = field(default=None, repr=False)
    new_device: NewDeviceMetadata | None = None
    #: the remembered device that answered DEVICE_SRP_AUTH at this sign-in
    device_key_used: str | None = None
    #: the secrets of the device Cognito issued at this sign-in, confirmed at once
    #: (``devices.confirm_new_device``); kept in the session until the user remembers it
    #: or not
    confirmed_device: RememberedDevice | None = field(default=None, repr=False)
    #: the browser's device cookie after this step: None leaves it alone,
    #: CLEAR_DEVICE_COOKIE clears it (the vault entry is already gone), an id sets it
    device_cookie: str | None = None
    #: a privilege change (signed in, password replaced, MFA registered): rotate the session
    privilege_changed: bool = False


@dataclass(frozen=True)
class ExistingDevice:
    """A remembered device the browser presented (device cookie → vault)."""

    device_id: str
    username: str
    device: RememberedDevice = field(repr=False)


def flow_view(
    flow: Flow, data: Mapping[str, Any] | None = None, *, can_remember: bool = False
) -> dict[str, Any]:
    """The ONE step shape every step answers with."""
    exclude = frozenset() if can_remember else frozenset({"remember_device"})
    return {
        "flow": {
            "id": flow.id,
            "state": flow.state,
            "next_steps": next_steps(flow.state, exclude=exclude),
            "data": dict(data or {}),
        }
    }


def mask_email(address: str) -> str:
    """Cognito's mask of a delivery address: ``ada@example.com`` -> ``a***@e***``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def simulated_delivery(username: str) -> CodeDelivery:
    """What Cognito answers an unknown user with PreventUserExistenceErrors: an email
    delivery to a masked address (masked from the username, which is the email in this
    pool, as a real delivery would be)."""
    masked = mask_email(username) if "@" in username else None
    return CodeDelivery(destination=masked, delivery_medium="EMAIL", attribute_name="email")


def delivery_data(delivery: CodeDelivery, *, masked_for: str | None = None) -> dict[str, Any]:
    """Where a code went, for the SPA. ``masked_for``: the username the step named; when it
    is an address, the destination is its mask whoever it belongs to (Cognito's simulated
    delivery for an unknown user masks a made-up one), so the answer cannot tell who has
    an account."""
    answer = {
        "destination": delivery.destination,
        "medium": delivery.delivery_medium,
        "attribute": delivery.attribute_name,
    }
    if masked_for and "@" in masked_for:
        answer["destination"] = mask_email(masked_for)
    return answer
