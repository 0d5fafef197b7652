"""The ``BFF_OAUTH_*`` settings of managed login, read once and checked, and the
``return_to`` allow-list.

Managed login is on when the pool's domain is known: ``BFF_OAUTH_DOMAIN`` (the
``https://<prefix>.auth.<region>.amazoncognito.com`` domain, or a custom one), or in local
mode the local Cognito's own URL, which serves the same ``/oauth2/*`` endpoints. It also
needs the app client's secret: the BFF is a confidential client (RFC 10017, section 6.1).
A production configuration that names a domain without a secret, a redirect URI or a
logout URI is refused at start (``problems``, called by bff.config_checks).

This module imports nothing of the BFF: bff.config reads it while loading the settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

#: ``aws.cognito.signin.user.admin`` lets the session's access token call the user-pool
#: API operations the BFF uses for every session (GetUser to revalidate, ChangePassword,
#: the MFA and device operations, GlobalSignOut): Cognito refuses them for an access token
#: from the OAuth endpoints without that scope (developer guide, "Understanding the access
#: token": the scope "authorizes ... Amazon Cognito user pools API operations").
DEFAULT_SCOPES: Final = ("openid", "email", "profile", "aws.cognito.signin.user.admin")
#: The identity provider the local Cognito federates with (the local OIDC provider).
LOCAL_PROVIDERS: Final = ("LocalIdP",)
DEFAULT_RETURN_PATHS: Final = ("/",)
#: How long a started sign-in waits for its callback: the managed login page asks for a
#: password and maybe an MFA code, or sends the user on to their identity provider.
DEFAULT_STATE_SECONDS: Final = 600
CALLBACK_PATH: Final = "/api/oauth/callback"
RETURN_TO_MAX_LENGTH: Final = 512

# RFC 6749, appendix A.4: scope-token = 1*NQCHAR (no space, no double quote, no backslash).
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
# Cognito's ProviderName is 1-32 characters (CreateIdentityProvider); this BFF accepts the
# plain ones, which every provider name in its documentation and templates uses.
_PROVIDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
# A path the BFF may send a browser back to: unreserved and sub-delim characters only; no
# percent sign (no encoded dot, slash or backslash to smuggle a traversal past the check).
_RETURN_PATH = re.compile(r"^/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@/-]*$")
_RETURN_QUERY = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*$")


class OAuthSettingsError(ValueError):
    """A ``BFF_OAUTH_*`` value cannot be used; the message names the variable."""


@dataclass(frozen=True)
class OAuthSettings:
    """Where the pool's OAuth 2.0 endpoints are and how the BFF signs in through them."""

    #: the pool domain's base URL (no trailing slash); "" = managed login is off
    domain: str = ""
    #: the exact callback URL registered on the app client; "" (local mode only): this
    #: BFF's own /api/oauth/callback, as the browser reached it
    redirect_uri: str = ""
    #: where Cognito's /logout sends the browser back (a registered sign-out URL); ""
    #: (local mode only): this BFF's "/"
    logout_uri: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    #: the identity providers a sign-in may name (``?provider=``), Cognito's names
    providers: tuple[str, ...] = ()
    #: the paths ``return_to`` may name; an entry ending in ``*`` is a prefix
    return_paths: tuple[str, ...] = DEFAULT_RETURN_PATHS
    state_seconds: int = DEFAULT_STATE_SECONDS

    @property
    def enabled(self) -> bool:
        return bool(self.domain)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, local: bool) -> OAuthSettings:
        """Read ``BFF_OAUTH_*``; local mode defaults the domain to ``COGNITO_ENDPOINT_URL``
        and the providers to the local identity provider."""
        endpoint = (env.get("COGNITO_ENDPOINT_URL") or "").strip()
        domain = (env.get("BFF_OAUTH_DOMAIN") or "").strip() or (endpoint if local else "")
        providers = _list(env, "BFF_OAUTH_PROVIDERS")
        scopes = _list(env, "BFF_OAUTH_SCOPES")
        paths = _list(env, "BFF_OAUTH_RETURN_PATHS")
        return cls(
            domain=domain.rstrip("/"),
            redirect_uri=(env.get("BFF_OAUTH_REDIRECT_URI") or "").strip(),
            logout_uri=(env.get("BFF_OAUTH_LOGOUT_URI") or "").strip(),
            scopes=scopes or DEFAULT_SCOPES,
            providers=providers if providers or not local else LOCAL_PROVIDERS,
            return_paths=paths or DEFAULT_RETURN_PATHS,
            state_seconds=_seconds(env, "BFF_OAUTH_STATE_SECONDS"),
        )

    def allows_provider(self, name: str) -> bool:
        return name in self.providers

    def return_to(self, value: str | None) -> str | None:
        """``value`` when it is a same-origin path the allow-list names (None: refused);
        no value is ``/``."""
        if value is None or value == "":
            return "/"
        return value if allowed_return_to(value, self.return_paths) else None


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma- or space-separated list."""
    raw = (env.get(name) or "").replace(",", " ")
    return tuple(dict.fromkeys(item for item in raw.split() if item))


def _seconds(env: Mapping[str, str], name: str) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return DEFAULT_STATE_SECONDS
    try:
        value = int(raw)
    except ValueError:
        raise OAuthSettingsError(f"{name} must be a whole number of seconds, not {raw!r}") from None
    if not 60 <= value <= 3600:
        raise OAuthSettingsError(f"{name} must be between 60 and 3600 seconds, not {raw!r}")
    return value


def allowed_return_to(value: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``value`` is a same-origin path (and optional query) that ``allowed`` names.

    Refused: anything with a scheme or host (``https://evil.example``, ``//evil.example``,
    ``/\\evil.example``), a fragment, a percent-encoded path, dot segments, control
    characters, or a path the allow-list does not name. An allow-list entry ending in ``*``
    admits the paths that start with the rest of it."""
    if len(value) > RETURN_TO_MAX_LENGTH:
        return False
    path, _, query = value.partition("?")
    if not _RETURN_PATH.match(path) or not _RETURN_QUERY.match(query) or "#" in value:
        return False
    if any(segment in (".", "..") for segment in path.split("/")):
        return False
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return False
    for entry in allowed:
        if entry.endswith("*"):
            if path.startswith(entry[:-1]):
                return True
        elif path == entry:
            return True
    return False


def _url_problem(name: str, value: str, *, production: bool, path_allowed: bool) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{name} must be an absolute http(s) URL, not {value!r}"
    if parts.fragment or parts.username or parts.password:
        return f"{name} must have no fragment and no user name, not {value!r}"
    if not path_allowed and (parts.path not in ("", "/") or parts.query):
        return f"{name} must be the domain's base URL (no path, no query), not {value!r}"
    local_host = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if production and parts.scheme != "https" and not local_host:
        # Cognito accepts plain http for localhost only (CreateUserPoolClient, CallbackURLs).
        return f"{name} must use https in production, not {value!r}"
    return None


def problems(settings: OAuthSettings, *, production: bool, client_secret: bool) -> list[str]:
    """What is wrong with ``settings`` (nothing when managed login is off)."""
    if not settings.enabled:
        return []
    found: list[str] = []
    domain = _url_problem(
        "BFF_OAUTH_DOMAIN", settings.domain, production=production, path_allowed=False
    )
    found += [domain] if domain else []
    if production and not client_secret:
        found.append(
            "BFF_OAUTH_DOMAIN is set but COGNITO_CLIENT_SECRET is not: the BFF signs in "
            "through managed login as a confidential client (an app client with a secret)"
        )
    for name, value in (
        ("BFF_OAUTH_REDIRECT_URI", settings.redirect_uri),
        ("BFF_OAUTH_LOGOUT_URI", settings.logout_uri),
    ):
        if not value:
            if production:
                found.append(f"{name} must be set when BFF_OAUTH_DOMAIN is")
            continue
        problem = _url_problem(name, value, production=production, path_allowed=True)
        found += [problem] if problem else []
    if settings.redirect_uri and not urlsplit(settings.redirect_uri).path.endswith(CALLBACK_PATH):
        found.append(f"BFF_OAUTH_REDIRECT_URI must end with {CALLBACK_PATH} (this BFF's callback)")
    if "openid" not in settings.scopes:
        found.append("BFF_OAUTH_SCOPES must include openid (the sign-in needs an ID token)")
    found += [
        f"BFF_OAUTH_SCOPES entry {scope!r} is not an OAuth scope"
        for scope in settings.scopes
        if not _SCOPE.match(scope)
    ]
    found += [
        f"BFF_OAUTH_PROVIDERS entry {name!r} is not an identity provider name"
        for name in settings.providers
        if not _PROVIDER.match(name)
    ]
    for entry in settings.return_paths:
        bare = entry[:-1] if entry.endswith("*") else entry
        if not allowed_return_to(bare or "/", ("*",)) or not bare.startswith("/"):
            found.append(f"BFF_OAUTH_RETURN_PATHS entry {entry!r} is not a same-origin path")
    return found
