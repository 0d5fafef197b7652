"""A local OpenID Connect identity provider, for federation tests and demos.

The local Cognito's managed login sends ``identity_provider=LocalIdP`` sign-ins here, as
Cognito sends them to a company's identity provider. It is a small OIDC provider built on
Authlib's authorization server (authorization code grant, PKCE, the OpenID Connect code
flow, userInfo) with joserfc keys: discovery at ``{issuer}/.well-known/openid-configuration``,
``/authorize`` (a page listing the test users of ``local-idp-users.yaml``: pick one, no
password), ``/token``, ``/userinfo``, ``/jwks.json``. It serves on loopback only, in a
thread of the process that starts it, on a port of its own (``LocalIdentityProvider(port=0)``
picks a free one).

Its only client is the local Cognito (``register_client``): a secret and the one redirect
URI, Cognito's ``/oauth2/idpresponse``.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import Any

import yaml
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, Response, current_app, request
from joserfc import jwk
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

USERS_RESOURCE = "local-idp-users.yaml"
DEFAULT_PORT = 9230
CODE_SECONDS = 300
TOKEN_SECONDS = 3600
SCOPES = ("openid", "email", "profile")
_CSRF_COOKIE = "idp_csrf"


@dataclass(frozen=True)
class IdpUser:
    """One test user: the claims the provider asserts about them."""

    sub: str
    email: str
    name: str
    given_name: str
    family_name: str
    email_verified: bool = True

    def info(self, scope: str) -> UserInfo:
        claims = {
            "sub": self.sub,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
        }
        return UserInfo(claims).filter(scope)


def load_users(text: str | None = None) -> tuple[IdpUser, ...]:
    """The test users (the packaged list unless ``text`` is given)."""
    if text is None:
        text = resources.files("local_cognito").joinpath(USERS_RESOURCE).read_text()
    data = yaml.safe_load(text) or {}
    return tuple(IdpUser(**entry) for entry in data.get("users", []))


@dataclass(frozen=True)
class IdpClient(ClientMixin):  # type: ignore[misc]
    """A registered client: one secret, exact redirect URIs, the code grant only."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    client_metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret or "")

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass(frozen=True)
class IdpCode(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: IdpUser
    nonce: str | None
    auth_time: int
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass(frozen=True)
class IdpToken(TokenMixin):  # type: ignore[misc]
    access_token: str
    client: IdpClient
    user: IdpUser
    scope: str
    expires_at: float

    def check_client(self, client: ClientMixin) -> bool:
        return bool(client.get_client_id() == self.client.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> IdpUser:
        return self.user

    def get_client(self) -> IdpClient:
        return self.client


class LocalIdentityProvider:
    """The provider: its users, clients, codes, tokens and signing key, and its server."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, users: tuple[IdpUser, ...] | None = None
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the local identity provider listens on loopback only, not {host}")
        self.host, self.port = host, port
        self.users = {u.sub: u for u in (users if users is not None else load_users())}
        self.clients: dict[str, IdpClient] = {}
        self.codes: dict[str, IdpCode] = {}
        self.tokens: dict[str, IdpToken] = {}
        self.lock = threading.Lock()
        self.key = jwk.RSAKey.generate_key(
            2048, parameters={"kid": secrets.token_urlsafe(16), "alg": "RS256", "use": "sig"}
        )
        self.app = self._build_app()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("the local identity provider is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def register_client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        with self.lock:
            self.clients[client_id] = IdpClient(client_id, client_secret, (redirect_uri,))

    def start(self) -> str:
        """Serve in a daemon thread; returns the issuer once it can answer."""
        if self._server is None:
            listener = socket.create_server((self.host, self.port))
            try:
                self._server = make_server(
                    self.host,
                    listener.getsockname()[1],
                    self.app,
                    threaded=True,
                    request_handler=_QuietHandler,
                    fd=listener.fileno(),
                )
            finally:
                listener.close()
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="local-idp", daemon=True
            )
            self._thread.start()
        return self.issuer

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def discovery(self) -> dict[str, Any]:
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks.json",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPES),
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "email",
                "email_verified",
                "name",
                "given_name",
                "family_name",
            ],
        }

    def _build_app(self) -> Flask:
        idp = self
        app = Flask("local_idp")
        server = AuthorizationServer(
            app, query_client=self._query_client, save_token=self._save_token
        )
        server.register_grant(
            _CodeGrant, [CodeChallenge(required=True), _OpenIDCode(idp, require_nonce=True)]
        )
        protector = ResourceProtector()
        protector.register_token_validator(_TokenValidator(idp))
        server.register_endpoint(_UserInfo(resource_protector=protector))
        app.extensions["local_idp"] = idp

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return idp.discovery()

        @app.get("/jwks.json")
        def jwks() -> Any:
            return {"keys": [idp.key.as_dict(private=False)]}

        @app.get("/authorize")
        def authorize_page() -> Any:
            try:
                server.get_consent_grant(end_user=None)
            except OAuth2Error as error:
                return _page(f"Error: {error.error}", escape(error.description or ""), 400)
            csrf = request.cookies.get(_CSRF_COOKIE) or secrets.token_urlsafe(32)
            query = escape(request.query_string.decode())
            buttons = "".join(
                f'<form method="post" action="/authorize?{query}">'
                f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
                f'<input type="hidden" name="user" value="{escape(user.sub)}">'
                f"<button type=submit>{escape(user.name)} ({escape(user.email)})</button>"
                "</form>"
                for user in idp.users.values()
            )
            response = _page("LocalIdP: choose a test user", buttons)
            response.set_cookie(_CSRF_COOKIE, csrf, httponly=True, samesite="Lax", path="/")
            return response

        @app.post("/authorize")
        def authorize() -> Any:
            csrf = request.form.get("csrf", "")
            if not csrf or not secrets.compare_digest(csrf, request.cookies.get(_CSRF_COOKIE, "")):
                return _page("Error", "this form is not this browser's", 403)
            user = idp.users.get(request.form.get("user", ""))
            try:
                grant = server.get_consent_grant(end_user=user)
            except OAuth2Error as error:
                return _page(f"Error: {error.error}", escape(error.description or ""), 400)
            # No user chosen (an unknown one): access_denied, back to the client.
            return server.create_authorization_response(grant=grant, grant_user=user)

        @app.post("/token")
        def token() -> Any:
            return server.create_token_response()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo() -> Any:
            return server.create_endpoint_response("userinfo")

        return app

    def _query_client(self, client_id: str) -> IdpClient | None:
        return self.clients.get(client_id)

    def _save_token(self, token: dict[str, Any], oauth_request: Any) -> None:
        with self.lock:
            self.tokens[token["access_token"]] = IdpToken(
                access_token=token["access_token"],
                client=oauth_request.client,
                user=oauth_request.user,
                scope=token.get("scope", ""),
                expires_at=time.time() + int(token.get("expires_in", TOKEN_SECONDS)),
            )


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    @property
    def idp(self) -> LocalIdentityProvider:
        idp: LocalIdentityProvider = current_app.extensions["local_idp"]
        return idp

    def save_authorization_code(self, code: str, oauth_request: Any) -> None:
        data = oauth_request.payload.data
        with self.idp.lock:
            self.idp.codes[code] = IdpCode(
                code=code,
                client_id=oauth_request.client.client_id,
                redirect_uri=oauth_request.payload.redirect_uri,
                scope=oauth_request.payload.scope or "",
                user=oauth_request.user,
                nonce=data.get("nonce"),
                auth_time=int(time.time()),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                expires_at=time.time() + CODE_SECONDS,
            )

    def query_authorization_code(self, code: str, client: IdpClient) -> IdpCode | None:
        found = self.idp.codes.get(code)
        if found is None or found.client_id != client.client_id or time.time() > found.expires_at:
            return None
        return found

    def delete_authorization_code(self, authorization_code: IdpCode) -> None:
        with self.idp.lock:
            self.idp.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: IdpCode) -> IdpUser:
        return authorization_code.user


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, idp: LocalIdentityProvider, require_nonce: bool) -> None:
        super().__init__(require_nonce=require_nonce)
        self.idp = idp

    def exists_nonce(self, nonce: str, oauth_request: Any) -> bool:
        return any(c.nonce == nonce for c in self.idp.codes.values())

    def resolve_client_private_key(self, client: IdpClient) -> jwk.RSAKey:
        return self.idp.key

    def get_client_claims(self, client: IdpClient) -> dict[str, Any]:
        return {"iss": self.idp.issuer, "aud": [client.client_id]}

    def get_encode_header(self, client: IdpClient) -> dict[str, str]:
        return {"alg": "RS256", "kid": str(self.idp.key.kid)}

    def generate_user_info(self, user: IdpUser, scope: str) -> UserInfo:
        return user.info(scope)


class _UserInfo(UserInfoEndpoint):  # type: ignore[misc]
    def generate_user_info(self, user: IdpUser, scope: str) -> UserInfo:
        return user.info(scope)


class _TokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, idp: LocalIdentityProvider) -> None:
        super().__init__()
        self.idp = idp

    def authenticate_token(self, token_string: str) -> IdpToken | None:
        return self.idp.tokens.get(token_string)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(
        html,
        status=status,
        mimetype="text/html",
        headers={
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "Cache-Control": "no-store",
        },
    )
