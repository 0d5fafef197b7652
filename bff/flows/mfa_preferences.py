"""The signed-in user's MFA factors: what each is (enabled, preferred, usable) and the
change of one (SetUserMFAPreference), for the account panel.

Cognito keeps, per user, which MFA factors are enabled (GetUser ``UserMFASettingList``) and
which one is preferred (``PreferredMfaSetting``): with one preferred, sign-in asks for it;
with several enabled and none preferred, sign-in asks the user to choose
(SELECT_MFA_TYPE). A text message needs the user's phone number (Cognito refuses SMS MFA
without one), an email code an address and a pool configured for email MFA; the
authenticator app needs one registered (MFA set-up, or replacing it).
"""

from __future__ import annotations

from typing import Any, Final

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bff.cognito.mfa_actions import MFA_SETTINGS
from bff.cognito.types import CognitoUser
from bff.fields import BaseSchema, StrictBoolean
from bff.flows.data import StepData, produces
from bff.flows.outcome import StepOutcome
from bff.flows.protocol import Flows
from statemachine import Flow
from statemachine.challenges import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA
from statemachine.lifecycle import AUTHENTICATED

#: The factors the account panel shows and changes, in its order.
FACTORS: Final[tuple[str, ...]] = tuple(MFA_SETTINGS)


class MfaFactorSchema(Schema):
    factor = fields.String(required=True, validate=validate.OneOf(FACTORS))
    enabled = fields.Boolean(required=True)
    preferred = fields.Boolean(required=True)
    available = fields.Boolean(
        required=True,
        metadata={
            "description": "It can be turned on: a phone number for text messages, an email "
            "address for email codes (the pool must send email MFA too), an authenticator app "
            "registered for the app's codes."
        },
    )


class MfaStatusSchema(Schema):
    enabled = fields.List(
        fields.String(), required=True, metadata={"description": "UserMFASettingList."}
    )
    preferred = fields.String(
        required=True, allow_none=True, metadata={"description": "PreferredMfaSetting."}
    )
    authenticator_app = fields.Boolean(required=True)
    factors = fields.List(
        fields.Nested(MfaFactorSchema),
        metadata={"description": "Each factor the account panel offers, with its state."},
    )


@produces(AUTHENTICATED)
class MfaPreferenceData(StepData):
    """The MFA settings after a change."""

    mfa = fields.Nested(MfaStatusSchema)
    mfa_preference_changed = fields.Boolean()


class MfaPreferenceSchema(BaseSchema):
    factor = fields.String(
        required=True,
        validate=validate.OneOf(FACTORS),
        metadata={"description": "The factor to change (its challenge's name)."},
    )
    enabled = StrictBoolean(required=True, metadata={"description": "Turn it on or off."})
    preferred = StrictBoolean(
        load_default=False,
        metadata={"description": "Make it the factor sign-in asks for (needs enabled)."},
    )

    @validates_schema
    def _preferred_needs_enabled(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("preferred") and not data.get("enabled"):
            raise ValidationError("A factor that is off cannot be preferred.", "preferred")


def mfa_status(user: CognitoUser) -> dict[str, Any]:
    """What GetUser says of the user's MFA, for the SPA (``MfaStatusSchema``)."""
    enabled = list(user.mfa_enabled)
    preferred = user.mfa_preferred or None
    usable = {
        SOFTWARE_TOKEN_MFA: SOFTWARE_TOKEN_MFA in enabled,
        SMS_MFA: bool(user.attributes.get("phone_number")),
        EMAIL_OTP: bool(user.attributes.get("email")),
    }
    return {
        "enabled": enabled,
        "preferred": preferred,
        "authenticator_app": SOFTWARE_TOKEN_MFA in enabled,
        "factors": [
            {
                "factor": factor,
                "enabled": factor in enabled,
                "preferred": factor == preferred,
                "available": usable.get(factor, False) or factor in enabled,
            }
            for factor in FACTORS
        ],
    }


def set_mfa_preference(
    flows: Flows,
    flow: Flow,
    access_token: str,
    factor: str,
    *,
    enabled: bool,
    preferred: bool,
) -> StepOutcome:
    """SetUserMFAPreference for ``factor``, then GetUser for the settings as they are now.
    A change of how the user proves themselves: the browser's session id is renewed."""
    flows.require(flow, "set_mfa_preference")
    flows.call(
        flow,
        "SetUserMFAPreference",
        lambda: flows.gateway.set_mfa_preference(
            access_token, factor, enabled=enabled, preferred=preferred
        ),
    )
    flow.apply("SetUserMFAPreference", {})
    flows.save(flow)
    user = flows.call(flow, "GetUser", lambda: flows.gateway.get_user(access_token))
    data = {"username": flow.username, "mfa": mfa_status(user), "mfa_preference_changed": True}
    return StepOutcome(flow, data, privilege_changed=True)
