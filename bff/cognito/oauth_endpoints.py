"""The user pool domain's OAuth 2.0 endpoints, as a confidential client uses them.

Cognito's developer guide documents each endpoint: the authorize endpoint
(https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html,
``response_type=code``, ``client_id``, the exact ``redirect_uri``, ``state``, ``scope``,
``code_challenge`` with ``S256``, ``nonce``, and ``identity_provider`` to go straight to a
federated provider), the token endpoint (token-endpoint.html: ``grant_type=
authorization_code`` with ``code``, ``redirect_uri`` and ``code_verifier``; a client with a
secret authenticates with HTTP Basic; codes are single use; errors are RFC 6749 section 5.2
JSON such as ``{"error": "invalid_grant"}``), and the logout endpoint (logout-endpoint.html:
``client_id`` and a registered ``logout_uri``, which ends the managed login's own session
cookie). Revocation goes through the API's RevokeToken (the gateway), which revokes
refresh tokens from either kind of sign-in.

The ID token is checked against the pool's keys, read here from the issuer's
``/.well-known/jwks.json`` (bff.cognito.id_tokens does the checking). Every call shares
the request's Cognito deadline (bff.cognito.resilience); no answer in time, no connection
or a 5xx is ``CognitoUnavailable`` (503 with Retry-After).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import urllib3
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from urllib3.exceptions import HTTPError

from bff.cognito import resilience
from bff.cognito.settings import CognitoSettings
from bff.cognito.types import Tokens
from bff.errors import CognitoUnavailable, OAuthClientRejected, OAuthRefused

log = logging.getLogger(__name__)

#: RFC 6749 section 5.2 errors that say the grant (the code, its verifier or redirect_uri)
#: is refused, not the client: the user signs in again.
GRANT_ERRORS: Final = frozenset({"invalid_grant", "access_denied"})
#: The keys are read again at most this often when a token names a key not yet known
#: (Cognito rotates a pool's signing keys rarely; a burst of unknown ids stays one fetch).
JWKS_REFETCH_SECONDS: Final = 30.0
MAX_RESPONSE_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class AuthorizeRequest:
    """What goes into the authorize URL besides the client id."""

    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    scopes: tuple[str, ...]
    identity_provider: str | None = None


def issuer_of(settings: CognitoSettings) -> str:
    """The pool's issuer (its tokens' ``iss``): Cognito's
    ``https://cognito-idp.<region>.amazonaws.com/<pool id>``, or the local Cognito's URL
    with the pool id."""
    if settings.endpoint_url:
        return f"{settings.endpoint_url.rstrip('/')}/{settings.user_pool_id}"
    return f"https://cognito-idp.{settings.region}.amazonaws.com/{settings.user_pool_id}"


class PoolDomain:
    """One pool domain and one app client: URLs to send the browser to, and the server's
    own calls (token, keys). Thread-safe; one per app."""

    def __init__(self, domain: str, cognito: CognitoSettings) -> None:
        self.domain = domain.rstrip("/")
        self.client_id = cognito.client_id
        self._client_secret = cognito.client_secret
        self.issuer = issuer_of(cognito)
        self._connect_timeout = cognito.connect_timeout
        self._read_timeout = cognito.read_timeout
        self._http = urllib3.PoolManager(retries=False, maxsize=4)
        self._keys_lock = threading.Lock()
        self._keys: KeySet | None = None
        self._keys_read_at = 0.0

    @property
    def confidential(self) -> bool:
        return bool(self._client_secret)

    def authorize_url(self, request: AuthorizeRequest) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": request.redirect_uri,
            "state": request.state,
            "nonce": request.nonce,
            "scope": " ".join(request.scopes),
            "code_challenge": request.code_challenge,
            "code_challenge_method": "S256",
        }
        if request.identity_provider:
            query["identity_provider"] = request.identity_provider
        return f"{self.domain}/oauth2/authorize?{urlencode(query)}"

    def logout_url(self, logout_uri: str) -> str:
        query = urlencode({"client_id": self.client_id, "logout_uri": logout_uri})
        return f"{self.domain}/logout?{query}"

    def redeem_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> Tokens:
        """POST /oauth2/token (authorization_code) as the confidential client."""
        if not self._client_secret:
            raise OAuthClientRejected("The app client has no secret; managed login needs one.")
        body = urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": self.client_id,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        headers = urllib3.make_headers(basic_auth=f"{self.client_id}:{self._client_secret}")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Accept"] = "application/json"
        status, answer = self._call("POST", f"{self.domain}/oauth2/token", body, headers)
        if status != 200:
            raise _token_error(status, answer)
        return _tokens(answer)

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The pool's JSON Web Key Set, parsed once per read; read again when ``refresh``
        (a token named an unknown key) and the last read is older than
        JWKS_REFETCH_SECONDS."""
        with self._keys_lock:
            stale = time.monotonic() - self._keys_read_at >= JWKS_REFETCH_SECONDS
            if self._keys is not None and not (refresh and stale):
                return self._keys
        status, answer = self._call("GET", f"{self.issuer}/.well-known/jwks.json", None, {})
        try:
            if status != 200 or not isinstance(answer.get("keys"), list):
                raise ValueError(f"HTTP {status}")
            keys = KeySet.import_key_set(answer)  # type: ignore[arg-type]
        except (ValueError, TypeError, JoseError) as exc:
            log.warning("the pool's signing keys could not be read: %s", exc)
            raise CognitoUnavailable("The user pool's signing keys could not be read.") from None
        with self._keys_lock:
            self._keys, self._keys_read_at = keys, time.monotonic()
        return keys

    def _call(
        self, method: str, url: str, body: str | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        left = resilience.remaining()
        if left is not None and left <= 0:
            raise CognitoUnavailable(details={"reason": "deadline_exceeded"})
        connect = self._connect_timeout if left is None else min(self._connect_timeout, left)
        read = self._read_timeout if left is None else min(self._read_timeout, left)
        try:
            response = self._http.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=connect, read=read),
                redirect=False,
                preload_content=False,
            )
            raw = response.read(MAX_RESPONSE_BYTES + 1)
            response.release_conn()
        except HTTPError as exc:
            log.warning("pool domain unreachable: %s %s: %s", method, url, type(exc).__name__)
            raise CognitoUnavailable() from None
        if response.status >= 500 or len(raw) > MAX_RESPONSE_BYTES:
            log.warning("pool domain failed: %s %s answered %d", method, url, response.status)
            raise CognitoUnavailable()
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        return response.status, answer if isinstance(answer, dict) else {}


def _token_error(status: int, answer: dict[str, Any]) -> Exception:
    error = answer.get("error") if isinstance(answer.get("error"), str) else None
    if error in GRANT_ERRORS:
        return OAuthRefused(details={"error": error})
    # Never the answer's text in the log: it could echo what was sent.
    log.error("the token endpoint refused the BFF: HTTP %d, error %r", status, error)
    return OAuthClientRejected(details={"error": error or f"http_{status}"})


def _tokens(answer: dict[str, Any]) -> Tokens:
    access, identity = answer.get("access_token"), answer.get("id_token")
    refresh, expires_in = answer.get("refresh_token"), answer.get("expires_in")
    if not isinstance(access, str) or not isinstance(identity, str) or not access or not identity:
        log.error("the token endpoint answered without an access and an ID token")
        raise OAuthClientRejected("The sign-in service answered without tokens.")
    return Tokens(
        access_token=access,
        id_token=identity,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=int(expires_in) if isinstance(expires_in, int | float) else 3600,
    )
