"""Verifying a Cognito access token as a resource server must, with PyJWT.

The steps are those of "Verifying a JSON Web Token" in Cognito's developer guide:

1. the header's ``alg`` is RS256 (anything else, ``none`` and HS256 included, is refused
   before any key is looked at: no algorithm confusion) and it names a ``kid``;
2. the key is the one with that ``kid`` in the pool's JWKS, ``{issuer}/.well-known/jwks.json``;
3. the signature, ``exp`` and ``iat`` (PyJWT, no leeway), ``iss`` equal to the pool's issuer;
4. ``token_use`` is ``access`` (an ID token is refused) and ``client_id`` is the app client
   this API trusts (Cognito's access tokens carry ``client_id``, not ``aud``).

The JWKS is cached: fetched at the first token, fetched again when a token names a ``kid``
the cache lacks (Cognito may add a key), but at most once per ``refetch_floor`` seconds, so
tokens with made-up ``kid``s cannot make the API hammer the pool. One fetch at a time; the
other threads wait for it and use its answer.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "RS256"
#: Claims every Cognito token carries; a token without one is refused. (``client_id`` is
#: an access token's, checked once ``token_use`` says it is one.)
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use"]


class InvalidToken(Exception):
    """The token is not a valid access token of this pool and client; ``str()`` says why
    (safe to send: it names the failed check, never the token)."""


class KeysUnavailable(Exception):
    """The JWKS could not be fetched: the token can be neither accepted nor refused."""


@dataclass(frozen=True)
class AccessToken:
    """What a view needs of a verified access token."""

    sub: str
    username: str
    client_id: str
    claims: dict[str, Any]


def _fetch_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) URL
        return json.load(response)


class JwksCache:
    """The pool's signing keys by ``kid``, refetched on an unknown ``kid`` at most once per
    ``refetch_floor`` seconds."""

    def __init__(
        self,
        jwks_url: str,
        *,
        refetch_floor: float = 60.0,
        timeout: float = 5.0,
        fetch: Callable[[str, float], Any] = _fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        self.refetch_floor = refetch_floor
        self.timeout = timeout
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._failure: str | None = None
        self._lock = threading.Lock()
        #: JWKS documents fetched so far (successful or not): what the floor bounds.
        self.fetches = 0

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The key named ``kid``, fetching the JWKS if it is unknown and the floor allows;
        None when the pool has no such key. Raises KeysUnavailable when a fetch was needed
        and failed."""
        known = self._keys.get(kid)
        if known is not None:
            return known
        seen = self._fetched_at
        with self._lock:
            fetched_meanwhile = self._fetched_at != seen  # by a thread this one waited for
            too_soon = seen is not None and self._clock() - seen < self.refetch_floor
            if not (fetched_meanwhile or too_soon):
                self._refresh()
            elif self._failure is not None:
                # The last fetch failed: an unknown kid may be a new key we cannot see yet.
                raise KeysUnavailable(self._failure)
            return self._keys.get(kid)

    def _refresh(self) -> None:
        self.fetches += 1
        # A failed fetch counts toward the floor too: an outage is not retried per request.
        self._fetched_at = self._clock()
        try:
            document = self._fetch(self.jwks_url, self.timeout)
            keys = {
                entry["kid"]: jwt.PyJWK(entry, algorithm=ALGORITHM)
                for entry in document["keys"]
                if entry.get("kty") == "RSA" and entry.get("kid")
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError, jwt.PyJWKError) as exc:
            self._failure = f"cannot read the JWKS at {self.jwks_url}: {exc}"
            raise KeysUnavailable(self._failure) from exc
        self._keys, self._failure = keys, None

    def seconds_until_refetch(self) -> int:
        """Seconds until the floor allows another fetch (for a 503's Retry-After)."""
        if self._fetched_at is None:
            return 1
        left = self.refetch_floor - (self._clock() - self._fetched_at)
        return max(1, int(left + 0.999))


class AccessTokenVerifier:
    """Verifies access tokens of one pool (``issuer``) for one app client (``client_id``)."""

    def __init__(self, issuer: str, client_id: str, keys: JwksCache | None = None) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.keys = keys or JwksCache(f"{self.issuer}/.well-known/jwks.json")

    def verify(self, token: str) -> AccessToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise InvalidToken("the token is not a JWT") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"the token's algorithm is not {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key")
        key = self.keys.key(kid)
        if key is None:
            raise InvalidToken("the token is signed with a key this pool does not publish")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the token has expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("the token was issued by another pool") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token lacks the {exc.claim} claim") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("the token's signature does not verify") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("the token is not valid") from exc
        if claims["token_use"] != "access":
            raise InvalidToken("the token is not an access token")
        if claims.get("client_id") != self.client_id:
            raise InvalidToken("the token was issued to another app client")
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub:
            raise InvalidToken("the token's subject is empty")
        return AccessToken(
            sub=sub,
            username=str(claims.get("username", sub)),
            client_id=self.client_id,
            claims=claims,
        )
