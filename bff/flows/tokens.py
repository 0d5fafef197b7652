"""Cognito tokens on the server: how a session record keeps them, and the ID token's claims.

The tokens never leave the server. The claims the SPA sees (``/api/me``) are read from the
ID token Cognito handed us directly over TLS, so the payload is decoded without verifying
the signature here: the BFF is the token's first and only holder.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from bff.cognito.types import RememberedDevice, Tokens

#: Claims that identify a token rather than the user: not shown to the SPA.
HIDDEN_CLAIMS = frozenset({"jti", "origin_jti", "at_hash", "event_id", "token_use", "aud", "iss"})


def tokens_to_record(tokens: Tokens, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A session-record dict; a refresh without a new refresh token keeps the old one."""
    refresh = tokens.refresh_token or (previous or {}).get("refresh_token")
    return {
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
        "refresh_token": refresh,
        "expires_in": tokens.expires_in,
    }


def secrets_to_record(device: RememberedDevice | None) -> dict[str, str] | None:
    """A confirmed device's secrets for the (encrypted) session record."""
    if device is None:
        return None
    return {
        "device_key": device.device_key,
        "device_group_key": device.device_group_key,
        "device_password": device.device_password,
    }


def secrets_from_record(record: dict[str, Any] | None) -> RememberedDevice | None:
    if not record:
        return None
    return RememberedDevice(
        record["device_key"], record["device_group_key"], record["device_password"]
    )


def claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT (no signature check: see the module docstring)."""
    try:
        payload = jwt.split(".")[1]
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (IndexError, ValueError, binascii.Error):
        return {}
    return data if isinstance(data, dict) else {}


def user_claims(id_token: str) -> dict[str, Any]:
    """The user's claims from the ID token, minus the token's own identifiers."""
    return {k: v for k, v in claims(id_token).items() if k not in HIDDEN_CLAIMS}
