"""Checking the ID token the token endpoint answers with, as OpenID Connect Core 1.0
(section 3.1.3.7) asks of a client, with joserfc rather than hand-written JOSE.

Checked: the RS256 signature against the pool's published keys (read again once when
the token names a key not yet known: Cognito rotates signing keys), ``iss`` (the pool),
``aud`` (this app client), ``token_use`` (``id``: Cognito's documented way to tell an ID
token from an access token, https://docs.aws.amazon.com/cognito/latest/developerguide/
amazon-cognito-user-pools-using-the-id-token.html), ``exp`` against the store's clock, and
the ``nonce`` the sign-in drew (it binds the token to this browser's sign-in). ``iat`` is
only type-checked: ``exp`` bounds the token's use, and a local Cognito whose clock was
moved forward issues tokens "from the future" that are otherwise sound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from joserfc import jwt
from joserfc.errors import InvalidClaimError, InvalidKeyIdError, JoseError

from bff.cognito.oauth_endpoints import PoolDomain
from bff.errors import IdTokenRejected

ALGORITHMS: Final = ["RS256"]
#: Seconds of clock skew allowed on ``exp``.
LEEWAY_SECONDS: Final = 60


class _IdTokenClaims(jwt.JWTClaimsRegistry):
    def validate_iat(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidClaimError("iat", "Claim 'iat' must be a NumericDate value")


def verify_id_token(
    id_token: str, *, domain: PoolDomain, nonce: str, now: Callable[[], float]
) -> dict[str, Any]:
    """The token's claims when every check passes; ``IdTokenRejected`` naming the check
    that failed otherwise (never the token)."""
    token = _decode(id_token, domain)
    registry = _IdTokenClaims(
        now=lambda: int(now()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": domain.issuer},
        aud={"essential": True, "value": domain.client_id},
        token_use={"essential": True, "value": "id"},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise IdTokenRejected(details={"check": _claim_of(exc)}) from None
    claims: dict[str, Any] = dict(token.claims)
    return claims


def _decode(id_token: str, domain: PoolDomain) -> jwt.Token:
    for refresh in (False, True):
        try:
            return jwt.decode(id_token, domain.keys(refresh=refresh), algorithms=ALGORITHMS)
        except (ValueError, JoseError) as exc:
            # No key with the token's kid: read the keys again, once.
            if refresh or not isinstance(exc, InvalidKeyIdError):
                raise IdTokenRejected(details={"check": "signature"}) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _claim_of(exc: JoseError) -> str:
    claim = getattr(exc, "claim", None)
    if isinstance(claim, str) and claim:
        return claim.split(",")[0]
    return str(getattr(exc, "error", "claims"))
