"""The first factors of choice-based sign-in, one handler each, and the one schema every
choice of factor is parsed with.

A factor is a registry entry with ``factor=True`` (statemachine.challenges) whose handler
says what the SPA sends with the choice (``factor_fields``, ``factor_requires``) and how it
is sent (``choose``). The start of a choice-based sign-in (bff.flows.choice) and the answer
to SELECT_CHALLENGE both take ``{"factor": NAME, ...that factor's fields}``: the schema
below is assembled from the handlers, so a new factor adds its own fields, its OpenAPI
enum value and its validation without an edit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bff.fields import BaseSchema
from statemachine.challenges import FACTORS

from .base import ChallengeHandler
from .email_otp import EmailOtp
from .password import PasswordFactor, PasswordSrpFactor
from .sms_otp import SmsOtp
from .web_authn import WebAuthn

FACTOR_HANDLERS: Final[dict[str, ChallengeHandler]] = {
    handler.challenge.name: handler
    for handler in (PasswordFactor(), PasswordSrpFactor(), EmailOtp(), SmsOtp(), WebAuthn())
}

if set(FACTOR_HANDLERS) != set(FACTORS):
    raise RuntimeError(
        f"factor handlers {sorted(FACTOR_HANDLERS)} do not match the registry's factors "
        f"{sorted(FACTORS)}"
    )


class _FactorChoice(BaseSchema):
    """Checks that the chosen factor got the fields it needs."""

    @validates_schema
    def _factor_needs(self, data: Mapping[str, Any], **_: Any) -> None:
        factor = data.get("factor")
        if factor is None:
            return
        missing = [name for name in FACTOR_HANDLERS[factor].factor_requires if not data.get(name)]
        if missing:
            raise ValidationError(
                {name: [f"Required with the factor {factor}."] for name in missing}
            )


def factor_field(*, required: bool) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.OneOf(FACTORS),
        metadata={"description": "A first factor of choice-based sign-in (Cognito's name)."},
    )


def factor_choice_schema(
    name: str, own: Mapping[str, fields.Field[Any]], *, factor_required: bool
) -> type[Schema]:
    """A schema with ``own`` fields, ``factor`` and every factor's fields."""
    found: dict[str, fields.Field[Any]] = dict(own)
    found["factor"] = factor_field(required=factor_required)
    for handler in FACTOR_HANDLERS.values():
        for field_name, field in handler.factor_fields().items():
            found.setdefault(field_name, field)
    return _FactorChoice.from_dict(found, name=name)
