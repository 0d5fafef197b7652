"""The browser's WebAuthn answers as the API takes them: RegistrationResponseJSON (from
``navigator.credentials.create``) and AuthenticationResponseJSON (from
``navigator.credentials.get``), the members W3C WebAuthn Level 3 defines for
``PublicKeyCredential.toJSON()``.

Only their shape is checked here (a member the specification does not define is a 422,
binary members are base64url); what they prove is Cognito's to verify. The loaded body is
relayed to Cognito as the browser sent it.
"""

from __future__ import annotations

from typing import Final

from marshmallow import fields, validate

from bff.fields import BaseSchema

#: The largest base64url member taken: attestation objects with certificate chains run to
#: a few kilobytes; the request body's own bound (bff/body.py) applies on top.
MAX_BINARY: Final = 16384
_BASE64URL = validate.Regexp(r"^[A-Za-z0-9_-]*$", error="Must be base64url, without padding.")


def base64url(*, required: bool = True, max_length: int = MAX_BINARY) -> fields.String:
    return fields.String(
        required=required,
        validate=[validate.Length(min=1 if required else 0, max=max_length), _BASE64URL],
        metadata={"description": "base64url, without padding."},
    )


class _Credential(BaseSchema):
    id = base64url(max_length=1366)  # credential ids are at most 1023 bytes
    rawId = base64url(max_length=1366)  # noqa: N815 - the specification's member name
    type = fields.String(required=True, validate=validate.Equal("public-key"))
    authenticatorAttachment = fields.String(  # noqa: N815
        allow_none=True, validate=validate.OneOf(["platform", "cross-platform"])
    )
    clientExtensionResults = fields.Dict(  # noqa: N815
        keys=fields.String(validate=validate.Length(max=64)), load_default=dict
    )


class AttestationResponseSchema(BaseSchema):
    clientDataJSON = base64url()  # noqa: N815
    attestationObject = base64url()  # noqa: N815
    authenticatorData = base64url(required=False)  # noqa: N815
    transports = fields.List(
        fields.String(validate=validate.Length(max=32)), validate=validate.Length(max=8)
    )
    publicKeyAlgorithm = fields.Integer(strict=True)  # noqa: N815
    publicKey = base64url(required=False)  # noqa: N815


class RegistrationResponseSchema(_Credential):
    """RegistrationResponseJSON: what ``navigator.credentials.create`` answered."""

    response = fields.Nested(AttestationResponseSchema, required=True)


class AssertionResponseSchema(BaseSchema):
    clientDataJSON = base64url()  # noqa: N815
    authenticatorData = base64url()  # noqa: N815
    signature = base64url()
    userHandle = fields.String(  # noqa: N815
        allow_none=True, validate=[validate.Length(max=128), _BASE64URL]
    )


class AuthenticationResponseSchema(_Credential):
    """AuthenticationResponseJSON: what ``navigator.credentials.get`` answered."""

    response = fields.Nested(AssertionResponseSchema, required=True)
