"""Request-body building blocks shared by the API's schemas and the challenge answers
(bff.flows.challenges): the strict base schema and the fields every step uses.

Request schemas derive from ``BaseSchema`` (``unknown = RAISE``): a field the API does not
know is a 422, never silently dropped.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

# Cognito's limits: passwords up to 256 characters, usernames up to 128, codes are digits.
CODE_PATTERN = validate.Regexp(r"^[0-9]{6}$", error="Enter the 6-digit code.")
CONFIRMATION_CODE = validate.Regexp(r"^[0-9]{4,10}$", error="Enter the code from the email.")


class StrictBoolean(fields.Boolean):
    """A JSON ``true`` or ``false`` and nothing else (marshmallow's Boolean also takes 0, 1,
    "yes", "on"...; the OpenAPI document says boolean, so the API takes only booleans)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE


def username_field(required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "The Cognito username (this pool: the email address)."},
    )


def password_field() -> fields.String:
    """A password field: required, never dumped back."""
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


#: The attributes a user may set at sign-up: the app client's WriteAttributes in
#: local_cognito/user-pool.yaml (email has its own field). Never email_verified,
#: phone_number_verified or a custom attribute: Cognito would store them. phone_number is
#: where SMS MFA codes go.
SIGN_UP_ATTRIBUTES = ("name", "given_name", "family_name", "locale", "zoneinfo", "phone_number")
#: Cognito's phone_number format: E.164, "+" and up to 15 digits (developer guide, "User
#: pool attributes": "+12065551212").
PHONE_NUMBER = re.compile(r"^\+[1-9][0-9]{4,14}$")
#: At NEW_PASSWORD_REQUIRED Cognito asks for every required attribute the account lacks: an
#: admin-created account without an email is asked for ``email`` (a WriteAttribute too).
NEW_PASSWORD_ATTRIBUTES = ("email", *SIGN_UP_ATTRIBUTES)


class AttributesField(fields.Dict):
    """Cognito user attributes by name; a phone_number must be in Cognito's format (its
    error nests under the attribute's name, as the other per-attribute errors do)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        attributes = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]
        number = attributes.get("phone_number")
        if number is not None and not PHONE_NUMBER.fullmatch(number):
            raise ValidationError({"phone_number": ["Enter +, the country code and the number."]})
        return attributes


def attributes_field(allowed: tuple[str, ...] = SIGN_UP_ATTRIBUTES) -> fields.Dict:
    return AttributesField(
        keys=fields.String(validate=validate.OneOf(allowed)),
        values=fields.String(validate=validate.Length(max=2048)),
        load_default=dict,
        metadata={
            "description": 'Cognito user attributes by name, e.g. {"name": "Ada"}; only '
            + ", ".join(allowed)
            + "."
        },
    )


def code_field() -> fields.String:
    """A one-time code from an authenticator app or a message: six digits, never dumped."""
    return fields.String(required=True, load_only=True, validate=CODE_PATTERN)
