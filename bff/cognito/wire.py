"""Cognito's wire shapes → the project's types: the parsers every gateway method shares,
and SECRET_HASH."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from bff.cognito.types import AuthStep, CodeDelivery, CognitoUser, Device, NewDeviceMetadata, Tokens

# ListUsers and ListDevices accept at most 60 per page (API reference, "Limit").
MAX_PAGE_SIZE = 60


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's SECRET_HASH: base64(HMAC-SHA256(client secret, username + client id))."""
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": str(value)} for name, value in attributes.items()]


def attributes(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {item["Name"]: item.get("Value", "") for item in items or []}


def code_delivery(details: Mapping[str, Any] | None) -> CodeDelivery | None:
    if not details:
        return None
    return CodeDelivery(
        destination=details.get("Destination"),
        delivery_medium=details.get("DeliveryMedium"),
        attribute_name=details.get("AttributeName"),
    )


def user(data: Mapping[str, Any]) -> CognitoUser:
    """A CognitoUser from AdminGetUser's answer or one ``User``/``Users[]`` entry."""
    items = data.get("UserAttributes", data.get("Attributes"))
    return CognitoUser(
        username=data["Username"],
        status=data.get("UserStatus", "UNKNOWN"),
        enabled=bool(data.get("Enabled", True)),
        attributes=attributes(items),
        created=data.get("UserCreateDate"),
        modified=data.get("UserLastModifiedDate"),
        mfa_preferred=data.get("PreferredMfaSetting"),
        mfa_enabled=tuple(data.get("UserMFASettingList") or ()),
    )


def auth_step(response: Mapping[str, Any]) -> AuthStep:
    """An AuthStep from any InitiateAuth / RespondToAuthChallenge answer (admin or not)."""
    result = response.get("AuthenticationResult")
    tokens = new_device = None
    if result:
        tokens = Tokens(
            access_token=result["AccessToken"],
            id_token=result.get("IdToken", ""),
            refresh_token=result.get("RefreshToken"),
            expires_in=int(result.get("ExpiresIn", 3600)),
            token_type=result.get("TokenType", "Bearer"),
        )
        metadata = result.get("NewDeviceMetadata")
        if metadata:
            new_device = NewDeviceMetadata(
                device_key=metadata["DeviceKey"], device_group_key=metadata["DeviceGroupKey"]
            )
    return AuthStep(
        challenge_name=response.get("ChallengeName"),
        challenge_parameters=dict(response.get("ChallengeParameters") or {}),
        session=response.get("Session"),
        tokens=tokens,
        new_device=new_device,
        available_challenges=tuple(str(c) for c in response.get("AvailableChallenges") or ()),
    )


def device(data: Mapping[str, Any]) -> Device:
    names = attributes(data.get("DeviceAttributes"))
    return Device(
        device_key=data["DeviceKey"],
        name=names.get("device_name"),
        status=names.get("device_status"),
        created=data.get("DeviceCreateDate"),
        last_authenticated=data.get("DeviceLastAuthenticatedDate"),
        attributes=names,
    )
