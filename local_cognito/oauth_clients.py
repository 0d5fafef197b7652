"""An app client's OAuth 2.0 settings, as the pool's OAuth endpoints enforce them.

CreateUserPoolClient (Cognito's API reference) gives a client ``AllowedOAuthFlows``
(``code``, ``implicit``, ``client_credentials``), ``AllowedOAuthScopes``, ``CallbackURLs``,
``LogoutURLs``, ``SupportedIdentityProviders`` and ``AllowedOAuthFlowsUserPoolClient``
(false: the client may not use the OAuth endpoints at all). The endpoints in oauth.py read
them through ``OAuthClient``; the refusals are ``OAuthError``\\ s with the error codes of
RFC 6749 that Cognito's endpoint documentation lists.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient

    from .fidelity import LocalCognitoBackend

#: The provider name of the pool's own users in SupportedIdentityProviders.
COGNITO_PROVIDER = "COGNITO"
#: The scopes Cognito defines itself; any other allowed scope names a resource server
#: ("<identifier>/<scope>"). Cognito's documentation: "Scopes, M2M, and resource servers".
STANDARD_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)


class OAuthError(Exception):
    """A refusal of an OAuth endpoint: ``error`` is RFC 6749's code, ``description`` says
    why (sent as ``error_description`` where Cognito sends one), ``status`` the HTTP one."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class OAuthClient:
    """One app client of one pool, with its OAuth settings."""

    pool: CognitoIdpUserPool
    client: CognitoIdpUserPoolClient

    @property
    def id(self) -> str:
        return str(self.client.id)

    def _setting(self, name: str) -> list[str]:
        return [str(v) for v in self.client.extended_config.get(name) or []]

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.client.extended_config.get("AllowedOAuthFlowsUserPoolClient"))

    @property
    def flows(self) -> frozenset[str]:
        return frozenset(self._setting("AllowedOAuthFlows")) if self.oauth_enabled else frozenset()

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self._setting("AllowedOAuthScopes"))

    @property
    def callback_urls(self) -> tuple[str, ...]:
        return tuple(self._setting("CallbackURLs"))

    @property
    def logout_urls(self) -> tuple[str, ...]:
        return tuple(self._setting("LogoutURLs"))

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(self._setting("SupportedIdentityProviders"))

    @property
    def confidential(self) -> bool:
        return bool(self.client.generate_secret)

    def check_secret(self, secret: str | None) -> bool:
        if not self.confidential:
            return True
        return secret is not None and hmac.compare_digest(
            str(self.client.secret).encode(), secret.encode()
        )

    def granted_scopes(self, requested: str | None, *, for_users: bool) -> str:
        """The scopes of a request: the requested ones, each allowed to the client (else
        ``invalid_scope``); none requested: every allowed one (Cognito's authorize endpoint
        documentation: "If the client doesn't request any scopes, the authentication server
        uses all scopes that are associated with the client"). ``for_users`` false
        (client_credentials) admits resource-server scopes only, as Cognito does."""
        allowed = [s for s in self.scopes if for_users or s not in STANDARD_SCOPES]
        wanted = (requested or "").split()
        if not wanted:
            if not allowed:
                raise OAuthError("invalid_scope", "no scope is allowed to this client")
            return " ".join(allowed)
        unknown = [s for s in wanted if s not in allowed]
        if unknown:
            raise OAuthError("invalid_scope", f"scope not allowed: {' '.join(unknown)}")
        return " ".join(dict.fromkeys(wanted))


def find_client(backend: LocalCognitoBackend, client_id: str | None) -> OAuthClient | None:
    """The app client ``client_id`` of any pool (client ids are unique across pools)."""
    if not client_id:
        return None
    for pool in backend.user_pools.values():
        client = pool.clients.get(client_id)
        if client is not None:
            return OAuthClient(pool, client)
    return None


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of an ``Authorization: Basic`` header (RFC 6749 2.3.1:
    both form-urlencoded before base64); None when there is no Basic header; OAuthError
    ``invalid_client`` when it cannot be read."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "unreadable Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "unreadable Basic credentials")
    return unquote(client_id), unquote(secret)
