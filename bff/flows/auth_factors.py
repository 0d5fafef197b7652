"""The signed-in user's sign-in factors (GetUserAuthFactors): the first factors of
choice-based sign-in they can use (``ConfiguredUserAuthFactors``) and their MFA settings.

A read, like the MFA status (bff.flows.account): the machine says where it is allowed,
nothing is applied or saved.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from bff.flows.data import StepData, produces
from bff.flows.outcome import StepOutcome
from bff.flows.protocol import Flows
from statemachine import Flow
from statemachine.lifecycle import AUTHENTICATED

#: The step (bff.flows.steps).
STEP = "auth_factors"


class AuthFactorsSchema(Schema):
    configured = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "ConfiguredUserAuthFactors: PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN "
            "(first factors) and SOFTWARE_TOKEN (MFA only)."
        },
    )
    mfa_enabled = fields.List(
        fields.String(), required=True, metadata={"description": "UserMFASettingList."}
    )
    mfa_preferred = fields.String(
        required=True, allow_none=True, metadata={"description": "PreferredMfaSetting."}
    )


@produces(AUTHENTICATED)
class AuthFactorsData(StepData):
    """The sign-in factors read (GET /api/account/factors)."""

    auth_factors = fields.Nested(AuthFactorsSchema)


def read(flows: Flows, flow: Flow, access_token: str) -> StepOutcome:
    """GetUserAuthFactors for the signed-in user."""
    flows.require(flow, STEP)
    factors = flows.gateway.get_user_auth_factors(access_token)
    data = {
        "username": flow.username,
        "auth_factors": {
            "configured": list(factors.configured_factors),
            "mfa_enabled": list(factors.mfa_enabled),
            "mfa_preferred": factors.mfa_preferred or None,
        },
    }
    return StepOutcome(flow, data)
