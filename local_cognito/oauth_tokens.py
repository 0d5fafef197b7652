"""The pool domain's token-side endpoints: ``POST /oauth2/token``, ``GET /oauth2/userInfo``
and ``POST /oauth2/revoke``, as Cognito's developer guide documents them ("Token endpoint",
"userInfo endpoint", "Revoke endpoint").

- ``/oauth2/token`` takes ``application/x-www-form-urlencoded`` only; a client with a secret
  authenticates with HTTP Basic (``client_secret_basic``) or ``client_id`` and
  ``client_secret`` in the body (``client_secret_post``). Grants: ``authorization_code``
  (with the PKCE verifier when the authorization asked with a challenge; RFC 7636 S256),
  ``refresh_token`` and ``client_credentials`` (a client with a secret whose
  AllowedOAuthFlows name it, resource-server scopes only). Refusals are
  ``{"error": ...}`` with status 400, as the documentation's error sample shows.
- ``/oauth2/userInfo`` answers the claims of the user an access token was issued to, for
  a token carrying the ``openid`` scope.
- ``/oauth2/revoke`` revokes a refresh token and the access tokens issued with it, as the
  RevokeToken action does.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from . import errors as e
from . import keys, tokens
from .oauth_clients import OAuthClient, OAuthError, basic_credentials, find_client
from .oauth_codes import OAuthStore, pkce_matches
from .rotation import get_tokens_from_refresh_token
from .tokens import RefreshGrant

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUser

    from .fidelity import LocalCognitoBackend

_NO_STORE = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    # Cognito's token-side endpoints answer browsers from any origin (public clients with
    # PKCE redeem codes with fetch); no cookie is involved.
    "Access-Control-Allow-Origin": "*",
}
#: userInfo claims each scope releases (OpenID Connect Core 5.4); ``profile`` releases
#: every attribute the client may read.
_SCOPE_CLAIMS = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload),
        status=status,
        mimetype="application/json",
        headers={**_NO_STORE, **(headers or {})},
    )


def oauth_error(exc: OAuthError) -> Response:
    payload = {"error": exc.error}
    if exc.description:
        payload["error_description"] = exc.description
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return json_response(exc.status, payload, headers)


class TokenEndpoints:
    """``/oauth2/token``, ``/oauth2/userInfo``, ``/oauth2/revoke`` over one backend."""

    def __init__(self, backend: LocalCognitoBackend, store: OAuthStore) -> None:
        self.backend, self.store = backend, store

    def _authenticated_client(self, request: Request) -> tuple[OAuthClient, str | None]:
        secret: str | None
        if request.mimetype != "application/x-www-form-urlencoded":
            raise OAuthError(
                "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        basic = basic_credentials(request.headers.get("Authorization"))
        form = request.form
        if basic is not None:
            client_id, secret = basic
            if form.get("client_id") not in (None, client_id):
                raise OAuthError("invalid_client", "client_id differs from the Basic credentials")
        else:
            client_id = form.get("client_id", "")
            secret = form.get("client_secret")
        client = find_client(self.backend, client_id)
        if client is None or not client.check_secret(secret):
            raise OAuthError("invalid_client", "client authentication failed")
        return client, secret

    def token(self, request: Request) -> Response:
        try:
            client, secret = self._authenticated_client(request)
            grant_type = request.form.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request", "grant_type is missing")
            if grant_type == "authorization_code":
                body = self._authorization_code(client, request)
            elif grant_type == "refresh_token":
                body = self._refresh_token(client, secret, request)
            elif grant_type == "client_credentials":
                body = self._client_credentials(client, request)
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r}")
        except OAuthError as exc:
            return oauth_error(exc)
        return json_response(200, body)

    def _authorization_code(self, client: OAuthClient, request: Request) -> dict[str, Any]:
        form = request.form
        code, redirect_uri = form.get("code"), form.get("redirect_uri")
        if not code:
            raise OAuthError("invalid_request", "code is missing")
        if not redirect_uri:
            raise OAuthError("invalid_request", "redirect_uri is missing")
        if "code" not in client.flows:
            raise OAuthError("unauthorized_client", "the client may not use this grant")
        # Taken whatever follows: a code is spent by its first redemption.
        record = self.store.take_code(code)
        if record is None or record.request.client_id != client.id:
            raise OAuthError("invalid_grant", "the code is unknown, used or expired")
        if record.request.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = form.get("code_verifier")
        if record.request.code_challenge is not None:
            if not verifier:
                raise OAuthError("invalid_request", "code_verifier is missing")
            if not pkce_matches(record.request.code_challenge, verifier):
                raise OAuthError("invalid_grant", "code_verifier does not match")
        elif verifier:
            # RFC 9700 2.1.1: a verifier for an authorization made without a challenge is
            # a PKCE downgrade attempt.
            raise OAuthError("invalid_grant", "the authorization had no code_challenge")
        user = self.backend._user_or_none(client.pool, record.username)
        if user is None or not user.enabled:
            raise OAuthError("invalid_grant", "the user cannot sign in")
        nonce = record.request.nonce
        return self.issue(client, user, record.request.scope, record.auth_time, nonce)

    def issue(
        self,
        client: OAuthClient,
        user: CognitoIdpUser,
        scope: str,
        auth_time: int,
        nonce: str | None,
    ) -> dict[str, Any]:
        """Tokens of a managed-login sign-in: scopes in the access token, ``nonce`` and
        ``at_hash`` in the ID token (only with ``openid``), a refresh token bound to no
        device (the managed login does not track devices)."""
        backend, pool = self.backend, client.pool
        refresh_token, origin_jti = pool.create_refresh_token(client.id, user.username)
        grant = RefreshGrant(
            expires_at=backend.clock.now()
            + tokens.token_lifetime(client.client.extended_config, "RefreshToken"),
            auth_time=auth_time,
            scope=scope,
        )
        backend.refresh_grants[refresh_token] = grant
        id_claims = {"nonce": nonce} if nonce else None
        access, id_token, expires_in = backend._mint(
            pool, client.client, user, origin_jti, grant, id_claims, at_hash=True
        )
        body: dict[str, Any] = {
            "access_token": access,
            "refresh_token": refresh_token,
            "expires_in": expires_in,
            "token_type": "Bearer",
        }
        if "openid" in scope.split():
            body["id_token"] = id_token
        return body

    def _refresh_token(
        self, client: OAuthClient, secret: str | None, request: Request
    ) -> dict[str, Any]:
        token = request.form.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is missing")
        if not client.flows & {"code", "implicit"}:
            raise OAuthError("unauthorized_client", "the client may not use this grant")
        try:
            result = get_tokens_from_refresh_token(self.backend, token, client.id, secret, None)
        except e.CognitoError as exc:
            raise OAuthError("invalid_grant", exc.message) from None
        tokens_ = result["AuthenticationResult"]
        body: dict[str, Any] = {
            "access_token": tokens_["AccessToken"],
            "expires_in": tokens_["ExpiresIn"],
            "token_type": "Bearer",
        }
        grant = self.backend.refresh_grants.get(token)
        if grant is None or "openid" in (grant.scope or "openid").split():
            body["id_token"] = tokens_["IdToken"]
        if "RefreshToken" in tokens_:
            body["refresh_token"] = tokens_["RefreshToken"]  # rotation on: a new one
        return body

    def _client_credentials(self, client: OAuthClient, request: Request) -> dict[str, Any]:
        if not client.confidential or "client_credentials" not in client.flows:
            raise OAuthError("unauthorized_client", "the client may not use this grant")
        scope = client.granted_scopes(request.form.get("scope"), for_users=False)
        now = int(time.time())
        lifetime = tokens.token_lifetime(client.client.extended_config, "AccessToken")
        claims = {
            # Cognito's machine-to-machine access tokens name the client as their subject.
            "sub": client.id,
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "iss": self.backend.issuer(client.pool.id),
            "exp": now + lifetime,
            "iat": now,
            "version": tokens.ACCESS_TOKEN_VERSION,
            "jti": str(uuid.uuid4()),
            "client_id": client.id,
        }
        access = keys.sign(client.pool.json_web_key, claims)
        return {"access_token": access, "expires_in": lifetime, "token_type": "Bearer"}

    def userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return oauth_error(OAuthError("invalid_request", "Access token is missing", 401))
        token = header[7:].strip()
        try:
            pool, user = self.backend.user_from_access_token(token)
        except e.CognitoError as exc:
            return oauth_error(OAuthError("invalid_token", exc.message, 401))
        scopes = str(self.backend._jwt_claims(token).get("scope", "")).split()
        if "openid" not in scopes:
            return oauth_error(
                OAuthError("insufficient_scope", "the access token has no openid scope", 403)
            )
        client_id = pool.access_tokens[token][0]
        return json_response(200, self._claims(pool, client_id, user, scopes))

    def _claims(
        self, pool: Any, client_id: str, user: CognitoIdpUser, scopes: list[str]
    ) -> dict[str, str]:
        readable = pool.get_user_extra_data_by_client_id(client_id, user.username)
        attributes = {a["Name"]: str(a["Value"]) for a in user.attributes}
        wanted: set[str] | None = None  # None: every readable attribute
        if "profile" not in scopes and set(scopes) & set(_SCOPE_CLAIMS):
            wanted = {c for s in scopes for c in _SCOPE_CLAIMS.get(s, ())}
        claims = {"sub": user.id}
        for name, value in attributes.items():
            if name == "sub" or (name not in readable and name != "identities"):
                continue
            if wanted is None or name in wanted:
                claims[name] = value
        claims["username"] = user.username
        return claims

    def revoke(self, request: Request) -> Response:
        try:
            client, secret = self._authenticated_client(request)
            token = request.form.get("token")
            if not token:
                raise OAuthError("invalid_request", "token is missing")
            if self.backend._jwt_claims(token).get("token_use") in ("access", "id"):
                raise OAuthError("unsupported_token_type", "only refresh tokens are revoked")
            try:
                self.backend.revoke_token(token, client.id, secret)
            except e.NotAuthorized as exc:
                raise OAuthError("invalid_client", exc.message) from None
            except e.CognitoError as exc:
                raise OAuthError("unauthorized_client", exc.message) from None
        except OAuthError as exc:
            return oauth_error(exc)
        return Response(b"", status=200, headers=_NO_STORE)
