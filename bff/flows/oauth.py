"""Signing in through managed login or a federated identity provider: redeem the
authorization code, check the ID token, and end in the same place as a step-by-step
sign-in (a flow in AUTHENTICATED with its journal, the tokens in the outcome for the
session).

The browser's part (the redirects, ``state``, the pre-sign-in cookie) is the view's
(bff.api.oauth_views); this module knows nothing of HTTP. The flow is new: an OAuth
sign-in does not continue a step-by-step one, and its journal reads
``NEW -> AUTHENTICATED`` by ``signed_in_with_oauth`` (action ``/oauth2/token``).
"""

from __future__ import annotations

import logging
from typing import Final

from marshmallow import fields, validate

from bff.cognito.id_tokens import verify_id_token
from bff.cognito.oauth_endpoints import PoolDomain
from bff.flows.data import StepData, produces
from bff.flows.outcome import StepOutcome
from bff.flows.protocol import Flows
from bff.oauth.pre_sign_in import PreSignIn
from statemachine.lifecycle import AUTHENTICATED
from statemachine.outcomes import TOKEN_ENDPOINT

log = logging.getLogger(__name__)

#: ``data.signed_in_with`` of a session opened through managed login.
MANAGED_LOGIN: Final = "managed_login"


@produces(AUTHENTICATED)
class SignedInWithOAuthData(StepData):
    """Signed in through managed login or a federated identity provider."""

    signed_in_with = fields.String(
        validate=validate.OneOf([MANAGED_LOGIN]),
        metadata={"description": "How the session began: managed login (the hosted page or "
                  "a federated identity provider); sign out through /api/oauth/sign-out to end "
                  "the managed login's own session too."},
    )  # fmt: skip
    identity_provider = fields.String(
        allow_none=True,
        metadata={"description": "The identity provider the sign-in went through (null: the "
                  "hosted sign-in page)."},
    )  # fmt: skip
    can_remember_device = fields.Boolean(
        metadata={"description": "Always false: Cognito tracks no device for these sign-ins."}
    )


def sign_in_with_code(
    flows: Flows, domain: PoolDomain, pre_sign_in: PreSignIn, code: str
) -> StepOutcome:
    """Redeem ``code`` at the token endpoint with the sign-in's PKCE verifier, check the
    ID token (signature, issuer, audience, expiry, nonce), and journal the sign-in.

    Nothing is stored before every check passed: a refused code or token leaves no flow
    and no session (the error says which check failed, the log never holds a token).
    """
    tokens = domain.redeem_code(
        code, redirect_uri=pre_sign_in.redirect_uri, code_verifier=pre_sign_in.code_verifier
    )
    claims = verify_id_token(
        tokens.id_token, domain=domain, nonce=pre_sign_in.nonce, now=flows.store.clock
    )
    username = claims.get("cognito:username") or claims["sub"]
    flow = flows.new_flow(str(username))
    flow.apply(TOKEN_ENDPOINT)
    flows.store.flows.create(flow, flows.ttl(flow))
    log.info(
        "signed in through %s",
        f"identity provider {pre_sign_in.provider}" if pre_sign_in.provider else "managed login",
    )
    return StepOutcome(
        flow,
        {
            "username": flow.username,
            "can_remember_device": False,
            "signed_in_with": MANAGED_LOGIN,
            "identity_provider": pre_sign_in.provider,
        },
        tokens=tokens,
        privilege_changed=True,
    )
