"""The record a managed-login sign-in starts with (its cookie: bff.oauth.cookie).

``GET /api/oauth/sign-in`` draws a ``state``, a ``nonce`` and a PKCE ``code_verifier``
(RFC 7636, S256), keeps them server-side (bff.store.pre_sign_ins, sealed, a few minutes,
single use) and gives the browser only the record's random id, in the pre-sign-in cookie.
The callback takes the record named by that cookie and compares the ``state`` Cognito
sent back: a callback in a browser that did not start the sign-in (login CSRF, an
authorization response injected from elsewhere) finds no record or another state.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Final

from bff.store import StoreError

#: 256 random bits each for state and nonce; 64 bytes give an 86-character verifier (RFC
#: 7636 asks for 43 to 128 characters of high entropy).
_STATE_BYTES: Final = 32
_VERIFIER_BYTES: Final = 64


@dataclass(frozen=True)
class PreSignIn:
    """One started sign-in, as the store keeps it."""

    state: str
    nonce: str
    code_verifier: str
    #: the same-origin path the browser returns to once signed in
    return_to: str
    #: the identity provider the sign-in was sent to (None: the managed login page)
    provider: str | None
    #: the redirect_uri the authorization request named: the token request must repeat it
    redirect_uri: str

    @classmethod
    def start(cls, *, return_to: str, provider: str | None, redirect_uri: str) -> PreSignIn:
        return cls(
            state=secrets.token_urlsafe(_STATE_BYTES),
            nonce=secrets.token_urlsafe(_STATE_BYTES),
            code_verifier=secrets.token_urlsafe(_VERIFIER_BYTES),
            return_to=return_to,
            provider=provider,
            redirect_uri=redirect_uri,
        )

    @property
    def code_challenge(self) -> str:
        """RFC 7636, section 4.2: BASE64URL(SHA256(ASCII(code_verifier))), no padding."""
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def matches(self, state: str) -> bool:
        """Whether the callback's ``state`` is this sign-in's (constant-time)."""
        return secrets.compare_digest(self.state.encode(), state.encode())

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PreSignIn:
        try:
            found = cls(**record)
        except TypeError as exc:
            raise StoreError(f"a pre-sign-in record has unexpected fields: {exc}") from None
        texts = (found.state, found.nonce, found.code_verifier, found.return_to)
        if not all(isinstance(text, str) and text for text in texts):
            raise StoreError("a pre-sign-in record lacks its state, nonce or verifier")
        return found
