"""The gateway's passkey actions for a signed-in user: start and complete a registration,
list and delete passkeys (bff.cognito.gateway composes them).

The browser's answers are relayed as Cognito takes them: the creation options go to the
browser unchanged, and its RegistrationResponseJSON comes back unchanged. The BFF never
verifies nor keeps a passkey; Cognito does both (API reference:
StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials,
DeleteWebAuthnCredential).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bff.cognito.error_translation import cognito_call
from bff.cognito.gateway_base import GatewayBase
from bff.errors import CognitoError, PasskeyNotFound

#: ListWebAuthnCredentials' largest page (WebAuthnCredentialsQueryLimitType: 0-20).
PASSKEY_PAGE_SIZE: Final = 20


@dataclass(frozen=True)
class Passkey:
    """One of the user's passkeys, as ListWebAuthnCredentials describes it."""

    credential_id: str
    name: str
    relying_party_id: str
    authenticator_attachment: str | None
    transports: tuple[str, ...]
    created: datetime | None


def _passkey(data: Mapping[str, Any]) -> Passkey:
    return Passkey(
        credential_id=str(data["CredentialId"]),
        name=str(data.get("FriendlyCredentialName") or ""),
        relying_party_id=str(data.get("RelyingPartyId") or ""),
        authenticator_attachment=data.get("AuthenticatorAttachment"),
        transports=tuple(data.get("AuthenticatorTransports") or ()),
        created=data.get("CreatedAt"),
    )


class PasskeyActions(GatewayBase):
    """StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials,
    DeleteWebAuthnCredential."""

    def start_passkey_registration(self, access_token: str) -> dict[str, Any]:
        """The creation options for ``navigator.credentials.create`` (Cognito's
        CredentialCreationOptions, a PublicKeyCredentialCreationOptionsJSON)."""
        with cognito_call("StartWebAuthnRegistration"):
            response = self._client.start_web_authn_registration(AccessToken=access_token)
        options: dict[str, Any] = response["CredentialCreationOptions"]
        return options

    def complete_passkey_registration(
        self, access_token: str, credential: Mapping[str, Any]
    ) -> None:
        """Relay the browser's RegistrationResponseJSON; Cognito verifies the attestation
        and keeps the public key."""
        with cognito_call("CompleteWebAuthnRegistration"):
            self._client.complete_web_authn_registration(
                AccessToken=access_token, Credential=dict(credential)
            )

    def list_passkeys(self, access_token: str) -> list[Passkey]:
        """Every passkey of the signed-in user, every page (ListWebAuthnCredentials)."""
        found: list[Passkey] = []
        request: dict[str, Any] = {"AccessToken": access_token, "MaxResults": PASSKEY_PAGE_SIZE}
        while True:
            with cognito_call("ListWebAuthnCredentials"):
                response = self._client.list_web_authn_credentials(**request)
            found.extend(_passkey(item) for item in response.get("Credentials", []))
            token = response.get("NextToken")
            if not token:
                return found
            request["NextToken"] = token

    def delete_passkey(self, access_token: str, credential_id: str) -> None:
        """DeleteWebAuthnCredential; a passkey Cognito does not know for this user
        (ResourceNotFoundException) is ``PasskeyNotFound`` (404): the caller named it."""
        try:
            with cognito_call("DeleteWebAuthnCredential"):
                self._client.delete_web_authn_credential(
                    AccessToken=access_token, CredentialId=credential_id
                )
        except CognitoError as exc:
            if exc.cognito_code == "ResourceNotFoundException":
                raise PasskeyNotFound(cognito_code=exc.cognito_code) from exc
            raise
