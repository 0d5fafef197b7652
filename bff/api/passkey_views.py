"""The signed-in user's passkeys: start a registration, complete it with the browser's
answer, list, delete (added to the account blueprint, bff.api.account_views).

The BFF relays: Cognito's creation options go to the browser unchanged, the browser's
RegistrationResponseJSON goes to Cognito unchanged; Cognito verifies and keeps passkeys.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import Schema, fields

from bff import security
from bff.api import context
from bff.api.account_views import blp
from bff.api.schemas import EmptySchema
from bff.cognito.passkey_actions import Passkey
from bff.fields import BaseSchema
from bff.flows import passkeys
from bff.flows.webauthn_json import RegistrationResponseSchema


class PasskeySchema(Schema):
    credential_id = fields.String(required=True, metadata={"description": "CredentialId."})
    name = fields.String(
        required=True, metadata={"description": "FriendlyCredentialName (Cognito's)."}
    )
    relying_party_id = fields.String(required=True)
    authenticator_attachment = fields.String(
        allow_none=True, metadata={"description": "platform or cross-platform, when known."}
    )
    transports = fields.List(fields.String(), required=True)
    created = fields.DateTime(allow_none=True)


class PasskeyListSchema(Schema):
    passkeys = fields.List(fields.Nested(PasskeySchema), required=True)


class CreationOptionsSchema(Schema):
    credential_creation_options = fields.Dict(
        required=True,
        metadata={
            "description": "Cognito's CredentialCreationOptions (a "
            "PublicKeyCredentialCreationOptionsJSON): pass it to "
            "PublicKeyCredential.parseCreationOptionsFromJSON, then "
            "navigator.credentials.create."
        },
    )


class CompleteRegistrationSchema(BaseSchema):
    credential = fields.Nested(
        RegistrationResponseSchema,
        required=True,
        metadata={"description": "The browser's RegistrationResponseJSON (credential.toJSON())."},
    )


def _listed(found: Iterable[Passkey]) -> dict[str, Any]:
    return {
        "passkeys": [
            {
                "credential_id": p.credential_id,
                "name": p.name,
                "relying_party_id": p.relying_party_id,
                "authenticator_attachment": p.authenticator_attachment,
                "transports": list(p.transports),
                "created": p.created,
            }
            for p in found
        ]
    }


@blp.route("/passkeys", methods=["GET"])
@security.limit_read
@blp.response(200, PasskeyListSchema)
def list_passkeys() -> dict[str, Any]:
    """The user's passkeys (ListWebAuthnCredentials, every page); counted in the
    session's read budget (`BFF_RATELIMIT_READ`)."""
    session = context.signed_in()
    return _listed(passkeys.list_passkeys(context.flows(), context.access_token(session)))


@blp.route("/passkeys/registration", methods=["POST"])
@security.limit_mfa
@blp.arguments(EmptySchema)
@blp.response(200, CreationOptionsSchema)
def start_passkey_registration(_args: dict[str, Any]) -> dict[str, Any]:
    """Start registering a passkey (StartWebAuthnRegistration): the options for
    `navigator.credentials.create`. The user's passkeys are excluded, so one authenticator
    is not registered twice."""
    session = context.signed_in()
    options = passkeys.start_registration(context.flows(), context.access_token(session))
    return {"credential_creation_options": options}


@blp.route("/passkeys", methods=["POST"])
@security.limit_mfa
@blp.arguments(CompleteRegistrationSchema)
@blp.response(200, PasskeyListSchema)
def complete_passkey_registration(args: dict[str, Any]) -> dict[str, Any]:
    """Complete the registration with the browser's answer (CompleteWebAuthnRegistration,
    relayed as it came: Cognito verifies the attestation and keeps the public key); the
    user's passkeys afterwards."""
    session = context.signed_in()
    found = passkeys.complete_registration(
        context.flows(), context.current_flow(), context.access_token(session), args["credential"]
    )
    return _listed(found)


@blp.route("/passkeys/<string:credential_id>", methods=["DELETE"])
@blp.response(200, PasskeyListSchema)
def delete_passkey(credential_id: str) -> dict[str, Any]:
    """Delete a passkey (DeleteWebAuthnCredential): it can no longer sign in. The user's
    passkeys afterwards."""
    session = context.signed_in()
    found = passkeys.delete_passkey(
        context.flows(), context.current_flow(), context.access_token(session), credential_id
    )
    return _listed(found)
