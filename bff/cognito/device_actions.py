"""The gateway's device actions for a signed-in user: confirm, remember or not, list,
forget (bff.cognito.gateway composes them)."""

from __future__ import annotations

from typing import Any

from bff.cognito import srp, wire
from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway_base import GatewayBase
from bff.cognito.types import Device, NewDeviceMetadata, RememberedDevice
from bff.errors import CognitoError, DeviceNotFound


class DeviceActions(GatewayBase):
    """ConfirmDevice, UpdateDeviceStatus, ListDevices, ForgetDevice."""

    def confirm_device(
        self, access_token: str, new_device: NewDeviceMetadata, *, device_name: str
    ) -> tuple[RememberedDevice, bool]:
        """Register the device Cognito offered at sign-in (ConfirmDevice).

        Generates the device password, salt and SRP verifier here (only the verifier and
        salt go to Cognito). Returns the device's client-side secrets, to keep encrypted on
        the server, and whether Cognito wants UpdateDeviceStatus(remembered) to remember it
        (``UserConfirmationNecessary``: the pool's "remember devices: user opt-in").
        """
        verifier = srp.generate_device_verifier(new_device.device_group_key, new_device.device_key)
        with cognito_call("ConfirmDevice"):
            response = self._client.confirm_device(
                AccessToken=access_token,
                DeviceKey=new_device.device_key,
                DeviceSecretVerifierConfig=verifier.verifier_config(),
                DeviceName=device_name,
            )
        device = RememberedDevice(
            device_key=new_device.device_key,
            device_group_key=new_device.device_group_key,
            device_password=verifier.device_password,
        )
        return device, bool(response.get("UserConfirmationNecessary"))

    def update_device_status(self, access_token: str, device_key: str, *, remembered: bool) -> None:
        """Mark a confirmed device remembered or not (UpdateDeviceStatus)."""
        with cognito_call("UpdateDeviceStatus"):
            self._client.update_device_status(
                AccessToken=access_token,
                DeviceKey=device_key,
                DeviceRememberedStatus="remembered" if remembered else "not_remembered",
            )

    def list_devices(self, access_token: str) -> list[Device]:
        """The signed-in user's tracked devices, every page (ListDevices)."""
        devices: list[Device] = []
        request: dict[str, Any] = {"AccessToken": access_token, "Limit": wire.MAX_PAGE_SIZE}
        while True:
            with cognito_call("ListDevices"):
                response = self._client.list_devices(**request)
            devices.extend(wire.device(item) for item in response.get("Devices", []))
            token = response.get("PaginationToken")
            if not token:
                return devices
            request["PaginationToken"] = token

    def forget_device(self, access_token: str, device_key: str) -> None:
        """Stop tracking a device: its next sign-in asks for MFA again (ForgetDevice).

        A key Cognito does not know for this user (ResourceNotFoundException, "Device does
        not exist") is ``DeviceNotFound`` (404): the caller named it.
        """
        try:
            with cognito_call("ForgetDevice"):
                self._client.forget_device(AccessToken=access_token, DeviceKey=device_key)
        except CognitoError as exc:
            if exc.cognito_code == "ResourceNotFoundException":
                raise DeviceNotFound(cognito_code=exc.cognito_code) from exc
            raise
