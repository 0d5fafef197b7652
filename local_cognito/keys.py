"""Each local pool's own signing key, and the JWKS that publishes it.

moto signs every pool's tokens with one RSA key whose private half ships inside moto
(``moto/cognitoidp/resources/jwks-private.json``, kid ``dummy``): a verifier that trusted
that key would accept tokens anyone can forge. The local Cognito instead gives each pool an
RSA 2048 key of its own, made when the pool is created, with a random ``kid``; tokens are
RS256 JWTs naming that ``kid``, and ``{endpoint}/{pool id}/.well-known/jwks.json`` serves
the public half, as Cognito serves each pool's keys ("Verifying a JSON Web Token" in the
Cognito developer guide). The key is kept in the state file with the rest of the pool
(state.py), so tokens issued before a restart still verify after it.

Cognito publishes two keys per pool (one for ID tokens, one for access tokens); the local
Cognito signs both with one. A verifier that picks the key by ``kid``, as it must, sees no
difference.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from joserfc import jwk, jwt

ALGORITHM = "RS256"
KEY_SIZE = 2048
#: The kid of moto's built-in key: a state file holding it predates per-pool keys.
MOTO_KID = "dummy"


def new_signing_key() -> jwk.RSAKey:
    """A fresh RSA 2048 key with a random kid (44 characters of base64, as Cognito's
    kids look)."""
    kid = base64.b64encode(secrets.token_bytes(32)).decode()
    return jwk.RSAKey.generate_key(
        KEY_SIZE, parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True
    )


def is_own_key(key: jwk.RSAKey) -> bool:
    """False for moto's built-in key (or a key without a kid): it must be replaced."""
    return bool(key.kid) and key.kid != MOTO_KID


def sign(key: jwk.RSAKey, claims: dict[str, Any]) -> str:
    """An RS256 JWT of ``claims`` whose header names ``key``'s kid (joserfc adds
    ``"typ": "JWT"``, which Cognito's headers lack; verifiers ignore it)."""
    return jwt.encode({"kid": key.kid, "alg": ALGORITHM}, claims, key)


def public_jwks(key: jwk.RSAKey) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document of one pool: its public key only, never ``d``, ``p``, ``q``..."""
    public = key.as_dict(private=False)
    return {
        "keys": [
            {
                "alg": ALGORITHM,
                "e": public["e"],
                "kid": key.kid,
                "kty": "RSA",
                "n": public["n"],
                "use": "sig",
            }
        ]
    }
