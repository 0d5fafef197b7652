"""The account panel's MFA settings: turn a factor (authenticator app, text message) on or
off and choose the preferred one. Added to the account blueprint
(bff.api.account_views); the MFA status itself is its ``GET /api/account/mfa``."""

from __future__ import annotations

from typing import Any

from bff import security
from bff.api import context
from bff.api.account_views import _answer, blp
from bff.api.schemas import FlowResponseSchema
from bff.flows import mfa_preferences
from bff.flows.mfa_preferences import MfaPreferenceSchema


@blp.route("/mfa/preferences", methods=["POST"])
@security.limit_mfa
@blp.arguments(MfaPreferenceSchema)
@blp.response(200, FlowResponseSchema)
def set_mfa_preference(args: dict[str, Any]) -> dict[str, Any]:
    """Turn one MFA factor on or off and make it preferred or not (SetUserMFAPreference);
    `data.mfa` has the settings afterwards. With several factors on and none preferred,
    sign-in asks which to use (SELECT_MFA_TYPE). The session id is renewed."""
    session, flow = context.signed_in_flow()
    return _answer(
        lambda: mfa_preferences.set_mfa_preference(
            context.flows(),
            flow,
            context.access_token(session),
            args["factor"],
            enabled=args["enabled"],
            preferred=args["preferred"],
        )
    )
