"""Tokens as Cognito issues them: claims, lifetimes and what a refresh token is bound to.

moto signs every token for one hour of real time and leaves out claims Cognito puts in.
Here:

- lifetimes come from the app client's ``AccessTokenValidity``, ``IdTokenValidity``,
  ``RefreshTokenValidity`` and ``TokenValidityUnits`` (CreateUserPoolClient in Cognito's API
  reference: access and ID tokens default to 1 hour, refresh tokens to 30 days; the units
  default to hours, hours and days);
- ``iat``, ``auth_time`` and ``exp`` are real time, as a JWT verifier checks them (the
  local clock may have been moved days ahead by a test); a refresh token's expiry, which
  only the pool checks, runs on the local clock (``RefreshGrant.expires_at``);
- the claims follow the sample payloads of Cognito's developer guide ("Understanding the
  access token", "Understanding the identity (ID) token"): access tokens carry ``version``
  (2), ``event_id``, ``jti``, ``origin_jti`` and, after a sign-in with a tracked device,
  ``device_key``; ID tokens carry ``event_id``, ``jti`` and ``origin_jti``;
- ``iss`` is the local pool's own issuer, ``{endpoint}/{pool id}``, so a verifier pointed
  at the local endpoint finds the JWKS through ``/.well-known/openid-configuration`` and the
  issuer matches (Cognito's is ``https://cognito-idp.{region}.amazonaws.com/{pool id}``).

A refresh token keeps a ``RefreshGrant``: when it expires, the ``auth_time`` of the sign-in
(refreshed tokens keep it) and the device it was issued to, if the pool tracks devices.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import keys

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient

#: Seconds per unit of TokenValidityUnits.
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
#: Token kind -> (validity property, default value, default unit), per CreateUserPoolClient.
_VALIDITY = {
    "AccessToken": ("AccessTokenValidity", 1, "hours"),
    "IdToken": ("IdTokenValidity", 1, "hours"),
    "RefreshToken": ("RefreshTokenValidity", 30, "days"),
}
ACCESS_TOKEN_VERSION = 2
SCOPE = "aws.cognito.signin.user.admin"


def token_lifetime(client_config: Mapping[str, Any], kind: str) -> int:
    """Seconds a token of ``kind`` (AccessToken, IdToken, RefreshToken) lives for a client."""
    prop, default_value, default_unit = _VALIDITY[kind]
    value = client_config.get(prop)
    unit = (client_config.get("TokenValidityUnits") or {}).get(kind) or default_unit
    if value in (None, "", 0):
        value, unit = default_value, default_unit
    return int(value) * _UNIT_SECONDS.get(str(unit), _UNIT_SECONDS[default_unit])


@dataclass
class RefreshGrant:
    """What the pool remembers about one refresh token."""

    expires_at: float
    auth_time: int
    #: the device the tokens were issued to (pools with device tracking); a refresh must
    #: present this device's key, and the device must be confirmed and not forgotten
    device_key: str | None = None
    #: set when rotation replaced this token (rotation.py): it is refused from then on, on
    #: the local clock (the client's RetryGracePeriodSeconds after its first rotation)
    rotated_until: float | None = None
    #: the OAuth scopes of a sign-in through the pool's OAuth 2.0 endpoints (oauth.py),
    #: space-separated; refreshed tokens keep them. None: an API sign-in (``SCOPE``)
    scope: str | None = None


@dataclass(frozen=True)
class Issue:
    """One issue of an access + ID token pair."""

    client: CognitoIdpUserPoolClient
    username: str
    origin_jti: str
    auth_time: int
    now: float
    issuer: str
    device_key: str | None = None
    #: the access token's ``scope`` claim
    scope: str = SCOPE
    #: claims the ID token carries on top of the user's (``nonce``)
    id_claims: Mapping[str, Any] | None = None
    #: the ID token carries ``at_hash`` (OpenID Connect Core 3.1.3.6), as the ID tokens of
    #: Cognito's token endpoint do (the developer guide's sample ID token has one)
    at_hash: bool = False


def mint(pool: CognitoIdpUserPool, issue: Issue) -> tuple[str, str, int]:
    """Sign an access token and an ID token for ``issue``; register both with the pool as
    moto does (its access-token lookups stay valid). Returns (access, id, ExpiresIn)."""
    user = pool._get_user(issue.username)
    groups = [group.group_name for group in user.groups]
    event_id = str(uuid.uuid4())  # one authentication event: the same in both tokens
    username_is_email = "email" in pool.extended_config.get("UsernameAttributes", [])
    config = issue.client.extended_config

    access: dict[str, Any] = {"sub": user.id}
    if issue.device_key:
        access["device_key"] = issue.device_key
    if groups:
        access["cognito:groups"] = groups
    access.update(
        {
            "iss": issue.issuer,
            "version": ACCESS_TOKEN_VERSION,
            "client_id": issue.client.id,
            "origin_jti": issue.origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": issue.scope,
            "username": user.id if username_is_email else issue.username,
        }
    )
    access_lifetime = token_lifetime(config, "AccessToken")
    access_token = _sign(pool, access, issue, access_lifetime)
    pool.access_tokens[access_token] = (issue.client.id, issue.username)

    identity: dict[str, Any] = {"sub": user.id}
    if groups:
        identity["cognito:groups"] = groups
    identity.update(pool.get_user_extra_data_by_client_id(issue.client.id, issue.username))
    for attribute in user.attributes:
        if attribute["Name"].startswith("custom:"):
            identity[attribute["Name"]] = attribute["Value"]
        elif attribute["Name"] == "identities":
            # A federated user's links (federation.py): a JSON array in the attribute, an
            # array in the token, as in the developer guide's sample ID token.
            identity["identities"] = json.loads(attribute["Value"])
    identity.update(
        {
            "iss": issue.issuer,
            "cognito:username": user.id if username_is_email else issue.username,
            "origin_jti": issue.origin_jti,
            "aud": issue.client.id,
            "event_id": event_id,
            "token_use": "id",
        }
    )
    if username_is_email:
        identity["email"] = issue.username
    identity.update(issue.id_claims or {})
    if issue.at_hash:
        digest = hashlib.sha256(access_token.encode()).digest()
        identity["at_hash"] = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    id_token = _sign(pool, identity, issue, token_lifetime(config, "IdToken"))
    pool.id_tokens[id_token] = (issue.client.id, issue.username)
    return access_token, id_token, access_lifetime


def _sign(pool: CognitoIdpUserPool, claims: dict[str, Any], issue: Issue, lifetime: int) -> str:
    now = int(issue.now)
    claims.update(
        {
            "auth_time": issue.auth_time,
            "exp": now + lifetime,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
    )
    return keys.sign(pool.json_web_key, claims)


def openid_configuration(issuer: str, domain: str | None = None) -> dict[str, Any]:
    """The discovery document Cognito serves at ``{issuer}/.well-known/openid-configuration``.

    With a pool domain (``domain``: its base URL) it names the domain's endpoints, as
    Cognito's does: authorize, token, userInfo, revoke, and ``end_session_endpoint`` = the
    domain's ``/logout`` (in Cognito's document since February 2024, as users of OIDC
    client libraries report; that endpoint takes Cognito's ``client_id`` and ``logout_uri``,
    not OIDC RP-initiated logout's parameters). Without a domain, only the issuer and keys.
    """
    document: dict[str, Any] = {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    if domain is not None:
        document.update(
            {
                "authorization_endpoint": f"{domain}/oauth2/authorize",
                "token_endpoint": f"{domain}/oauth2/token",
                "userinfo_endpoint": f"{domain}/oauth2/userInfo",
                "revocation_endpoint": f"{domain}/oauth2/revoke",
                "end_session_endpoint": f"{domain}/logout",
            }
        )
    return dict(sorted(document.items()))
