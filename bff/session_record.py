"""The typed record of a browser's server-side session: what the store keeps for one
browser, encrypted at rest, behind its opaque cookie (bff.sessions).

``BrowserSession.from_record`` reads what the store gave back; ``to_record`` gives the
store what it keeps, without the store's own keys (``sid``, ``created_at``,
``last_seen_at``), which are read-only here. Tokens and device secrets never leave the
server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from bff.cognito.types import RememberedDevice, Tokens


class TokenRecord(TypedDict):
    """Cognito's tokens as a session keeps them."""

    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
    #: when the access token expires, in the store's clock, once the relay refreshed it
    #: (bff.relay.session_access); before that, the token's own ``exp`` says
    expires_at: NotRequired[float]


class DeviceSecrets(TypedDict):
    """A confirmed device's client-side secrets, until the user remembers it or not."""

    device_key: str
    device_group_key: str
    device_password: str


def token_record(
    tokens: Tokens, previous: TokenRecord | None = None, *, now: float | None = None
) -> TokenRecord:
    """The session's tokens; a refresh without a new refresh token keeps the old one.

    ``now`` (the store's clock when Cognito answered) stamps the access token's expiry as
    ``expires_at``, so deciding when to refresh does not depend on the BFF's clock agreeing
    with Cognito's."""
    refresh = tokens.refresh_token or (previous["refresh_token"] if previous else None)
    record: TokenRecord = {
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
        "refresh_token": refresh,
        "expires_in": tokens.expires_in,
    }
    if now is not None:
        record["expires_at"] = now + float(tokens.expires_in or 0)
    return record


def device_secrets(device: RememberedDevice | None) -> DeviceSecrets | None:
    if device is None:
        return None
    return {
        "device_key": device.device_key,
        "device_group_key": device.device_group_key,
        "device_password": device.device_password,
    }


@dataclass
class BrowserSession:
    """One browser's session: its flow, and once signed in its tokens."""

    #: what the user typed at sign-in / sign-up
    username: str | None = None
    #: the browser's current flow
    flow_id: str | None = None
    #: how this browser asked to be listed among the user's devices (sign-in)
    device_name: str | None = None
    #: the last step's public data, for GET /api/flow after a reload (never the TOTP
    #: secret, which is shown once)
    step_data: dict[str, Any] = field(default_factory=dict)
    #: Cognito's tokens, once AUTHENTICATED
    tokens: TokenRecord | None = field(default=None, repr=False)
    #: when Cognito last confirmed the tokens stand (store clock, epoch seconds)
    validated_at: float = 0.0
    #: Cognito's internal username (refresh with a client secret)
    cognito_username: str | None = None
    #: the device key the tokens were issued to (refresh needs it)
    device_key: str | None = None
    #: the device confirmed at this sign-in, until the user remembers it or declines
    pending_device: DeviceSecrets | None = field(default=None, repr=False)
    #: the store's own: the session id and its times (read-only)
    sid: str | None = None
    created_at: float | None = None
    last_seen_at: float | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> BrowserSession:
        step_data = record.get("step_data")
        return cls(
            username=_text(record.get("username")),
            flow_id=_text(record.get("flow_id")),
            device_name=_text(record.get("device_name")),
            step_data=dict(step_data) if isinstance(step_data, Mapping) else {},
            tokens=record.get("tokens") or None,
            validated_at=float(record.get("validated_at") or 0),
            cognito_username=_text(record.get("cognito_username")),
            device_key=_text(record.get("device_key")),
            pending_device=record.get("pending_device") or None,
            sid=_text(record.get("sid")),
            created_at=_number(record.get("created_at")),
            last_seen_at=_number(record.get("last_seen_at")),
        )

    def to_record(self) -> dict[str, Any]:
        """What the store keeps (its own keys left out)."""
        record: dict[str, Any] = {
            "username": self.username,
            "flow_id": self.flow_id,
            "step_data": self.step_data,
        }
        optional = {
            "device_name": self.device_name,
            "tokens": self.tokens,
            "validated_at": self.validated_at or None,
            "cognito_username": self.cognito_username,
            "device_key": self.device_key,
            "pending_device": self.pending_device,
        }
        record.update({k: v for k, v in optional.items() if v is not None})
        return record

    @property
    def signed_in(self) -> bool:
        return bool(self.tokens)

    def pending(self) -> RememberedDevice | None:
        """The device confirmed at this sign-in, awaiting the remember / not choice."""
        secrets = self.pending_device
        if not secrets:
            return None
        return RememberedDevice(
            secrets["device_key"], secrets["device_group_key"], secrets["device_password"]
        )


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None
