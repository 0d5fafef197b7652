"""The relay's answer schemas (the OpenAPI document is built from them)."""

from __future__ import annotations

from marshmallow import Schema, fields


class SessionSchema(Schema):
    user = fields.Dict(required=True, metadata={"description": "Claims of the ID token."})
    idle_expires_in = fields.Integer(
        required=True,
        metadata={"description": "Seconds before the session ends unless it is used again."},
    )
    absolute_expires_in = fields.Integer(
        required=True,
        metadata={"description": "Seconds before the session ends whatever happens."},
    )
    sign_out_url = fields.String(
        required=True,
        metadata={"description": "Where to sign out: POST with X-CSRF: 1 and a JSON body {}."},
    )
