"""The errors of managed-login sign-in (bff.api.oauth_views): managed login off, a
provider or ``return_to`` the configuration does not allow, a callback that belongs to no
sign-in of this browser, a refusal by Cognito or the identity provider, an ID token that
fails its checks."""

from __future__ import annotations

from bff.errors.base import BffError


class OAuthDisabled(BffError):
    """Managed login is off: no pool domain is configured (`BFF_OAUTH_DOMAIN`), or in local
    mode the app client has no secret, and the BFF signs in only as a confidential client."""

    code = "oauth_disabled"
    status = 404
    default_message = "Sign-in through the hosted page is not configured."


class UnknownIdentityProvider(BffError):
    """`provider` names an identity provider that `BFF_OAUTH_PROVIDERS` does not list."""

    code = "unknown_identity_provider"
    status = 400
    default_message = "This identity provider is not offered here."


class ReturnToNotAllowed(BffError):
    """`return_to` is not a same-origin path that `BFF_OAUTH_RETURN_PATHS` allows (another
    site, a scheme, `//host`, a backslash, an encoded or dot-segment path)."""

    code = "return_to_not_allowed"
    status = 400
    default_message = "The page to return to is not allowed."


class OAuthStateInvalid(BffError):
    """The callback's `state` belongs to no sign-in this browser started: no pre-sign-in
    cookie, a record already used or expired, or another sign-in's state. Nothing is
    exchanged; start again."""

    code = "oauth_state_invalid"
    status = 400
    default_message = "This sign-in is no longer valid. Start signing in again."


class OAuthRefused(BffError):
    """The identity provider or Cognito refused the sign-in (`details.error`: the OAuth
    error, e.g. `access_denied`), or the token endpoint refused the code (`invalid_grant`:
    used, expired, or issued for another sign-in)."""

    code = "oauth_refused"
    status = 401
    default_message = "The sign-in was refused or cancelled. Start signing in again."


class OAuthClientRejected(BffError):
    """The token endpoint refused the BFF itself (`invalid_client`, `unauthorized_client`,
    `invalid_request`...) or answered without the tokens it must send: the app client's
    settings and the BFF's disagree (logged for the operators)."""

    code = "oauth_client_rejected"
    status = 502
    default_message = "The sign-in service refused this application. Try again later."


class IdTokenRejected(BffError):
    """The ID token from the token endpoint failed a check (signature against the pool's
    keys, issuer, audience, token use, expiry, or the sign-in's nonce): nothing is kept."""

    code = "id_token_rejected"
    status = 401
    default_message = "The sign-in could not be verified. Start signing in again."
