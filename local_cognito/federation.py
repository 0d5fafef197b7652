"""Federation: sign-in through an OIDC identity provider of the pool, as Cognito does it.

For ``identity_provider=<name>`` (or the page's "Continue with <name>"), the managed login
sends the browser to the provider's authorization endpoint (from its discovery document,
``oidc_issuer`` of the provider's ProviderDetails) with the pool's ``client_id`` there,
``authorize_scopes``, ``state``, ``nonce`` and PKCE; the provider sends it back to
``/oauth2/idpresponse``, where the local Cognito, as Cognito's developer guide describes
("OIDC user pool IdP authentication flow"):

1. exchanges the code at the provider's token endpoint (Authlib's OAuth 2.0 client,
   ``client_secret_basic``), and checks the ID token with joserfc: signature against the
   provider's JWKS, ``iss``, ``aud``, ``exp``, and the ``nonce`` it sent;
2. reads the provider's userInfo when ``attributes_request_method`` asks for it;
3. finds or creates the pool's user ``<provider>_<sub>`` (status ``EXTERNAL_PROVIDER``, no
   password, an ``identities`` attribute naming the provider and ``sub``), and writes the
   attributes of the provider's ``AttributeMapping`` on each sign-in, as Cognito does;
4. finishes the managed-login sign-in: a code to the client's redirect URI.

A failure talking to the provider, or a token that does not check out, goes back to the
client as ``error=invalid_request`` with a description (the provider's own ``error``, such as
``access_denied``, is passed on); nothing is created.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from moto.cognitoidp.models import CognitoIdpUser
from werkzeug.wrappers import Request, Response

from . import oauth_pages as pages
from .oauth import CSRF_COOKIE, OAuthEndpoints, redirect, with_query
from .oauth_clients import OAuthClient, find_client
from .oauth_codes import LoginRequest

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPool

    from .fidelity import LocalCognitoBackend

#: Cognito's user status for federated users (not in moto's UserStatus).
EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"
_TIMEOUT = 10
#: Errors a provider may send back that are passed on to the client as they are.
_PROVIDER_ERRORS = frozenset({"access_denied", "login_required", "consent_required"})


class ProviderError(Exception):
    """The provider could not be used, or its answer does not check out."""


class OidcFederation:
    """The pool's OIDC identity providers, reached over HTTP."""

    def __init__(self, backend: LocalCognitoBackend) -> None:
        self.backend = backend
        self._metadata: dict[str, dict[str, Any]] = {}

    def _details(self, pool: CognitoIdpUserPool, name: str) -> dict[str, Any] | None:
        provider = pool.identity_providers.get(name)
        if provider is None or provider.extended_config.get("ProviderType") != "OIDC":
            return None
        details = dict(provider.extended_config.get("ProviderDetails") or {})
        return details if details.get("oidc_issuer") and details.get("client_id") else None

    def available(self, pool: CognitoIdpUserPool, provider: str) -> bool:
        return self._details(pool, provider) is not None

    def _discover(self, issuer: str) -> dict[str, Any]:
        if issuer not in self._metadata:
            url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
            try:
                response = requests.get(url, timeout=_TIMEOUT)
                response.raise_for_status()
                document = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise ProviderError(
                    f"cannot read the provider's discovery document: {exc}"
                ) from None
            if document.get("issuer") != issuer:
                raise ProviderError("the provider's discovery document names another issuer")
            self._metadata[issuer] = document
        return self._metadata[issuer]

    def _redirect_uri(self) -> str:
        return f"{self.backend.issuer_base}/oauth2/idpresponse"

    def start(self, login: LoginRequest, client: OAuthClient, provider: str) -> Response:
        details = self._details(client.pool, provider)
        assert details is not None  # available() said so
        try:
            metadata = self._discover(details["oidc_issuer"])
        except ProviderError as exc:
            return pages.error_page("invalid_request", str(exc), 502)
        session = OAuth2Session(
            details["client_id"],
            details.get("client_secret"),
            scope=details.get("authorize_scopes", "openid"),
            redirect_uri=self._redirect_uri(),
            code_challenge_method="S256",
        )
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(24)
        url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        login.provider, login.provider_state = provider, state
        login.provider_nonce, login.provider_verifier = nonce, verifier
        return redirect(url)

    def callback(self, request: Request, endpoints: OAuthEndpoints) -> Response:
        login = endpoints.store.login_by_provider_state(request.args.get("state"))
        if login is None or login.provider is None:
            return pages.error_page("invalid_request", "unknown or expired sign-in state")
        if request.cookies.get(CSRF_COOKIE) != login.csrf:
            return pages.error_page("invalid_request", "this sign-in began in another browser", 403)
        client = find_client(self.backend, login.request.client_id)
        if client is None:
            return pages.error_page("invalid_request", "the client no longer exists")
        back = login.request
        error = request.args.get("error")
        if error or not request.args.get("code"):
            endpoints.store.finish_login(login)
            described = f"{login.provider}: {error or 'no code'}"
            return redirect(
                with_query(
                    back.redirect_uri,
                    error=error if error in _PROVIDER_ERRORS else "invalid_request",
                    error_description=described,
                    state=back.state,
                )
            )
        try:
            claims = self._claims(client.pool, login, request.args["code"])
        except ProviderError as exc:
            endpoints.store.finish_login(login)
            return redirect(
                with_query(
                    back.redirect_uri,
                    error="invalid_request",
                    error_description=f"{login.provider}: {exc}",
                    state=back.state,
                )
            )
        user = self.federated_user(client.pool, login.provider, claims)
        return endpoints.complete(request, login, client, user, int(time.time()))

    def _claims(self, pool: CognitoIdpUserPool, login: LoginRequest, code: str) -> dict[str, Any]:
        """The provider's claims about the user: its ID token's, checked, then userInfo's."""
        assert login.provider is not None
        details = self._details(pool, login.provider)
        if details is None:
            raise ProviderError("the provider is no longer configured")
        issuer = details["oidc_issuer"]
        metadata = self._discover(issuer)
        session = OAuth2Session(
            details["client_id"],
            details.get("client_secret"),
            redirect_uri=self._redirect_uri(),
            token_endpoint_auth_method="client_secret_basic",
        )
        try:
            token = session.fetch_token(
                metadata["token_endpoint"],
                code=code,
                code_verifier=login.provider_verifier,
                timeout=_TIMEOUT,
            )
            keys = requests.get(metadata["jwks_uri"], timeout=_TIMEOUT).json()
        except Exception as exc:  # noqa: BLE001 - Authlib raises its own and requests' errors
            raise ProviderError(f"the token exchange failed: {exc}") from None
        if "id_token" not in token:
            raise ProviderError("no ID token in the provider's answer")
        try:
            decoded = jwt.decode(token["id_token"], KeySet.import_key_set(keys), ["RS256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": issuer},
                aud={"essential": True, "value": details["client_id"]},
                nonce={"essential": True, "value": login.provider_nonce or ""},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise ProviderError(f"the ID token does not check out: {exc}") from None
        claims = dict(decoded.claims)
        if details.get("attributes_request_method") and metadata.get("userinfo_endpoint"):
            try:
                info = session.request(
                    details["attributes_request_method"],
                    metadata["userinfo_endpoint"],
                    timeout=_TIMEOUT,
                )
                info.raise_for_status()
                extra = info.json()
            except (requests.RequestException, ValueError) as exc:
                raise ProviderError(f"the provider's userInfo failed: {exc}") from None
            if extra.get("sub") != claims["sub"]:
                raise ProviderError("userInfo names another subject than the ID token")
            claims.update(extra)
        return claims

    def federated_user(
        self, pool: CognitoIdpUserPool, provider: str, claims: dict[str, Any]
    ) -> CognitoIdpUser:
        """The pool's user for ``provider``'s ``sub``: made on the first sign-in, found (and
        its mapped attributes refreshed) on the next."""
        username = f"{provider}_{claims['sub']}"
        mapping = pool.identity_providers[provider].extended_config.get("AttributeMapping") or {}
        attributes = [
            {"Name": name, "Value": _attribute_value(claims[claim])}
            for name, claim in mapping.items()
            if name != "username" and claim in claims
        ]
        user = pool._get_user(username)
        if user is None:
            user = CognitoIdpUser(pool.id, username, None, EXTERNAL_PROVIDER, [])
            identities = [
                {
                    "userId": str(claims["sub"]),
                    "providerName": provider,
                    "providerType": "OIDC",
                    "issuer": None,
                    "primary": "true",
                    "dateCreated": str(int(time.time() * 1000)),
                }
            ]
            attributes.append({"Name": "identities", "Value": json.dumps(identities)})
            pool.users[username] = user
        user.update_attributes(attributes)
        return user


def _attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
