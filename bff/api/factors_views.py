"""The signed-in user's sign-in factors (``GET /api/account/factors``, GetUserAuthFactors),
on the account blueprint (bff.api.account_views)."""

from __future__ import annotations

from typing import Any

from bff import security
from bff.api import context
from bff.api.account_views import blp, read_answer
from bff.api.schemas import FlowResponseSchema
from bff.flows import auth_factors


@blp.route("/factors", methods=["GET"])
@security.limit_read
@blp.response(200, FlowResponseSchema)
def sign_in_factors() -> dict[str, Any]:
    """The sign-in factors (GetUserAuthFactors): `data.auth_factors` = `configured`
    (ConfiguredUserAuthFactors: what choice-based sign-in offers this user, and
    SOFTWARE_TOKEN for an authenticator app), `mfa_enabled`, `mfa_preferred`. A read:
    nothing is journaled."""
    session, flow = context.signed_in_flow()
    return read_answer(
        lambda: auth_factors.read(context.flows(), flow, context.access_token(session))
    )
