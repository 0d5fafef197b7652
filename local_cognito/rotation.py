"""Refresh-token rotation: the app client's ``RefreshTokenRotation`` and the
``GetTokensFromRefreshToken`` action.

What Cognito documents (API reference: RefreshTokenRotationType, GetTokensFromRefreshToken,
UpdateUserPoolClient; developer guide, "Refresh tokens"):

- ``RefreshTokenRotation {Feature: ENABLED | DISABLED, RetryGracePeriodSeconds: 0-60}`` is a
  setting of CreateUserPoolClient and UpdateUserPoolClient, answered by
  DescribeUserPoolClient; UpdateUserPoolClient sets any setting it is not given back to its
  default.
- GetTokensFromRefreshToken (RefreshToken, ClientId, ClientSecret, DeviceKey, ClientMetadata)
  answers new ID and access tokens, and with rotation on a new refresh token; the one it
  replaces stays valid for ``RetryGracePeriodSeconds`` (0: not at all), for client retries.
  A replaced token used later: ``RefreshTokenReuseException``.
- With rotation on, REFRESH_TOKEN_AUTH cannot be used ("You can't authenticate with
  REFRESH_TOKEN_AUTH in app clients with refresh token rotation enabled").

What only users report, and the local Cognito does likewise: a rotated refresh token expires
when the first one of its sign-in would have (rotation does not extend a session; AWS
re:Post "Rotated Refresh Token Validity", oidc-client-ts #2039), and DescribeUserPoolClient
answers ``{"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}`` for a client never given
the setting (terraform-provider-aws #47374).

The local Cognito's own choices where Cognito says nothing: the messages of the refusals
below; the grace period counted from the first rotation of a token (a retry within it gets
another new refresh token and does not extend it); a ``RetryGracePeriodSeconds`` left out
is 0; the refresh tokens of one sign-in share its ``origin_jti``, so RevokeToken on any of
them revokes them all. Times run on the local clock, which tests move.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors as e
from .tokens import RefreshGrant

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPoolClient

    from .fidelity import LocalCognitoBackend

FEATURES = ("ENABLED", "DISABLED")
MAX_GRACE_SECONDS = 60
DISABLED: dict[str, Any] = {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
#: REFRESH_TOKEN_AUTH on a client that rotates (the local Cognito's wording).
USE_GET_TOKENS = (
    "Refresh token rotation is enabled for this client: "
    "refresh with GetTokensFromRefreshToken, not REFRESH_TOKEN_AUTH"
)
#: A refresh token replaced by rotation, used after its grace period (our wording).
TOKEN_ROTATED = "Refresh Token has been rotated"


@dataclass(frozen=True)
class Rotation:
    """An app client's rotation setting."""

    enabled: bool
    grace_seconds: int

    @classmethod
    def of(cls, client: CognitoIdpUserPoolClient) -> Rotation:
        setting = client.extended_config.get("RefreshTokenRotation") or DISABLED
        return cls(
            enabled=setting.get("Feature") == "ENABLED",
            grace_seconds=int(setting.get("RetryGracePeriodSeconds") or 0),
        )


def _constraint(value: Any, member: str, constraint: str) -> e.InvalidParameter:
    # The wording of AWS's request validation, which Cognito answers as
    # InvalidParameterException.
    return e.InvalidParameter(
        f"1 validation error detected: Value '{value}' at 'refreshTokenRotation.{member}' "
        f"failed to satisfy constraint: {constraint}"
    )


def client_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A CreateUserPoolClient / UpdateUserPoolClient request with its RefreshTokenRotation
    checked and complete: DISABLED when left out (a client created without it, or an update
    that does not repeat it, as UpdateUserPoolClient resets what it is not given)."""
    result = dict(config)
    setting = result.get("RefreshTokenRotation")
    if setting is None:
        result["RefreshTokenRotation"] = dict(DISABLED)
        return result
    if not isinstance(setting, Mapping):
        raise e.InvalidParameter("RefreshTokenRotation must be an object")
    feature = setting.get("Feature")
    if feature not in FEATURES:
        raise _constraint(
            feature, "feature", "Member must satisfy enum value set: [ENABLED, DISABLED]"
        )
    grace = setting.get("RetryGracePeriodSeconds", 0)
    # The template hands CloudFormation's Number parameters over as strings.
    if isinstance(grace, str) and grace.strip().isdigit():
        grace = int(grace)
    if not isinstance(grace, int) or isinstance(grace, bool):
        raise _constraint(grace, "retryGracePeriodSeconds", "Member must be a whole number")
    if grace < 0:
        raise _constraint(
            grace, "retryGracePeriodSeconds", "Member must have value greater than or equal to 0"
        )
    if grace > MAX_GRACE_SECONDS:
        raise _constraint(
            grace,
            "retryGracePeriodSeconds",
            f"Member must have value less than or equal to {MAX_GRACE_SECONDS}",
        )
    result["RefreshTokenRotation"] = {"Feature": feature, "RetryGracePeriodSeconds": grace}
    return result


def get_tokens_from_refresh_token(
    backend: LocalCognitoBackend,
    refresh_token: str | None,
    client_id: str | None,
    client_secret: str | None,
    device_key: str | None,
) -> dict[str, Any]:
    """Cognito's GetTokensFromRefreshToken; ClientMetadata only reaches Lambda triggers,
    which the local Cognito has none of."""
    if not client_id:
        raise e.InvalidParameter("Missing required parameter ClientId")
    if not refresh_token:
        raise e.InvalidParameter("Missing required parameter RefreshToken")
    pool, client = backend.pool_and_client(client_id)
    if client.generate_secret and not hmac.compare_digest(
        client.secret.encode(), (client_secret or "").encode()
    ):
        raise e.NotAuthorized(f"Unable to verify secret hash for client {client.id}")
    user, origin_jti, grant = backend.redeem_refresh_token(pool, client, refresh_token, device_key)
    access_token, id_token, expires_in = backend._mint(pool, client, user, origin_jti, grant)
    result: dict[str, Any] = {
        "AccessToken": access_token,
        "IdToken": id_token,
        "ExpiresIn": expires_in,
        "TokenType": "Bearer",
    }
    rotation = Rotation.of(client)
    if rotation.enabled:
        now = backend.clock.now()
        if grant.rotated_until is None:
            grant.rotated_until = now + rotation.grace_seconds
        replacement = str(uuid.uuid4())
        pool.refresh_tokens[replacement] = (client.id, user.username, origin_jti)
        backend.refresh_grants[replacement] = RefreshGrant(
            expires_at=grant.expires_at,
            auth_time=grant.auth_time,
            device_key=grant.device_key,
            scope=grant.scope,
        )
        result["RefreshToken"] = replacement
    return {"AuthenticationResult": result}
