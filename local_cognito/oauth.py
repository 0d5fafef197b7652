"""The user pool domain's OAuth 2.0 endpoints and managed login, on the local Cognito.

Cognito serves these on the pool's domain (``https://<prefix>.auth.<region>.amazoncognito.com``);
the local Cognito serves them on its own endpoint, for every pool that has a domain
(CreateUserPoolDomain, or the template's ``AWS::Cognito::UserPoolDomain``): the client id
in each request says which pool. Endpoints (Cognito's developer guide, "User pool endpoints
and managed login reference"):

- ``GET /oauth2/authorize``: checks the client, the exact ``redirect_uri``, the response
  type, the scopes and PKCE, then shows the sign-in page (or, with ``identity_provider``,
  goes to that provider; with the domain's session cookie, signs in at once);
- ``POST /login`` and the steps after it (oauth_login.py): the page's password, new
  password, TOTP and TOTP set-up answers, checked as the API checks them;
  ``POST /login/provider``: a provider button; ``GET /oauth2/idpresponse``: the provider's
  answer (federation.py);
- ``POST /oauth2/token``, ``GET|POST /oauth2/userInfo``, ``POST /oauth2/revoke``
  (oauth_tokens.py);
- ``GET /logout``: ends the domain's session and sends the browser to a registered
  ``logout_uri`` (or, with ``redirect_uri`` and ``response_type``, to the sign-in page).

Errors before the redirect URI is known to be the client's are an error page, never a
redirect (no open redirect); after it, ``?error=...&state=...`` on the redirect URI.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from . import oauth_pages as pages
from .oauth_clients import COGNITO_PROVIDER, OAuthClient, OAuthError, find_client
from .oauth_codes import AuthorizeRequest, LoginRequest, OAuthStore
from .oauth_login import LoginSteps
from .oauth_tokens import TokenEndpoints

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool

    from .fidelity import LocalCognitoBackend

#: The browser-binding cookie of the sign-in forms and the domain's session cookie (the
#: names Cognito's hosted UI uses).
CSRF_COOKIE = "XSRF-TOKEN"
SESSION_COOKIE = "cognito"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# RFC 7636 4.2: a S256 challenge is 43 base64url characters.
_CHALLENGE_SHAPE = _TOKEN_SHAPE


class Federation(Protocol):
    """Sign-in through an identity provider of the pool (federation.py)."""

    def available(self, pool: CognitoIdpUserPool, provider: str) -> bool:
        """Whether ``provider`` is one of the pool's providers this server can reach."""

    def start(self, login: LoginRequest, client: OAuthClient, provider: str) -> Response:
        """The redirect that sends the browser to ``provider`` for ``login``."""

    def callback(self, request: Request, endpoints: OAuthEndpoints) -> Response:
        """``/oauth2/idpresponse``: the provider's answer, ending in ``complete``."""


def has_domain(backend: LocalCognitoBackend, pool: CognitoIdpUserPool) -> bool:
    return any(d.user_pool_id == pool.id for d in backend.user_pool_domains.values())


def with_query(url: str, **params: str | None) -> str:
    """``url`` with ``params`` added to its query (None values left out)."""
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query and extra else parts.query or extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def redirect(location: str) -> Response:
    return Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


class OAuthEndpoints:
    """Routes the domain's paths to their handlers; ``on_change`` runs after a handler
    that may have changed the pool (tokens issued or revoked, a federated user made)."""

    def __init__(
        self, backend: LocalCognitoBackend, on_change: Callable[[], object] | None = None
    ) -> None:
        self.backend = backend
        self.on_change = on_change
        self.store = OAuthStore(backend.clock)
        self.tokens = TokenEndpoints(backend, self.store)
        self.federation: Federation | None = None
        self.steps = LoginSteps(self)
        Handler = Callable[[Request], Response]
        self._routes: dict[str, tuple[tuple[str, ...], Handler, bool]] = {
            "/oauth2/authorize": (("GET",), self.authorize, False),
            "/login": (("POST",), self.steps.password, False),
            "/login/new-password": (("POST",), self.steps.new_password, True),
            "/login/mfa": (("POST",), self.steps.mfa, False),
            "/login/email-mfa": (("POST",), self.steps.email_mfa, True),
            "/login/mfa-setup": (("POST",), self.steps.mfa_setup, True),
            "/login/provider": (("POST",), self.provider, False),
            "/oauth2/idpresponse": (("GET",), self.idp_response, True),
            "/oauth2/token": (("POST",), self.tokens.token, True),
            "/oauth2/userInfo": (("GET", "POST"), self.tokens.userinfo, False),
            "/oauth2/revoke": (("POST",), self.tokens.revoke, True),
            "/logout": (("GET",), self.logout, False),
        }

    def handles(self, path: str) -> bool:
        return path in self._routes

    def handle(self, request: Request) -> Response:
        methods, handler, changes = self._routes[request.path]
        if request.method not in methods:
            return Response("method not allowed", status=405, headers={"Allow": ", ".join(methods)})
        with self.backend.lock:
            response = handler(request)
            if changes and self.on_change is not None and response.status_code < 400:
                self.on_change()
        return response

    def _client_for_domain(self, client_id: str | None) -> OAuthClient:
        client = find_client(self.backend, client_id)
        if client is None:
            raise OAuthError("invalid_request", "client_id is missing or unknown")
        if not has_domain(self.backend, client.pool):
            raise OAuthError("invalid_request", "the client's user pool has no domain")
        return client

    def authorize(self, request: Request) -> Response:
        args = request.args
        try:
            client = self._client_for_domain(args.get("client_id"))
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description)
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in client.callback_urls:
            # Never redirected to: only a registered callback URL receives anything.
            return pages.error_page(
                "redirect_mismatch", "redirect_uri is not a callback URL of this client"
            )
        state = args.get("state")
        try:
            authorize_request, provider = self._checked(client, redirect_uri, args)
        except OAuthError as exc:
            return redirect(
                with_query(
                    redirect_uri,
                    error=exc.error,
                    error_description=exc.description or None,
                    state=state,
                )
            )
        if provider is None:
            session = self.store.session(request.cookies.get(SESSION_COOKIE), client.pool.id)
            user = self.backend._user_or_none(client.pool, session.username) if session else None
            if session is not None and user is not None and user.enabled:
                # Signed in at the domain already: no page (Cognito's managed login session).
                code = self.store.issue_code(
                    client.pool.id, user.username, session.auth_time, authorize_request
                )
                return redirect(with_query(redirect_uri, code=code.code, state=state))
        csrf = request.cookies.get(CSRF_COOKIE, "")
        if not _TOKEN_SHAPE.match(csrf):
            csrf = secrets.token_urlsafe(32)
        login = self.store.start_login(client.pool.id, authorize_request, csrf)
        if provider is not None and provider != COGNITO_PROVIDER:
            response = self._to_provider(login, client, provider)
        elif COGNITO_PROVIDER in client.providers or any(
            self._federates(client, p) for p in client.providers
        ):
            response = self.sign_in_page(login, client)
        else:
            # Nothing to offer: no password sign-in, no provider this server can reach.
            self.store.finish_login(login)
            return pages.error_page(
                "invalid_request", "no sign-in option is available for this client"
            )
        _set_cookie(response, request, CSRF_COOKIE, csrf, None)
        return response

    def _checked(
        self, client: OAuthClient, redirect_uri: str, args: Any
    ) -> tuple[AuthorizeRequest, str | None]:
        response_type = args.get("response_type")
        if not response_type:
            raise OAuthError("invalid_request", "response_type is missing")
        if response_type != "code":
            raise OAuthError("unsupported_response_type", "only response_type=code is served")
        if "code" not in client.flows:
            raise OAuthError("unauthorized_client", "the client does not allow the code grant")
        scope = client.granted_scopes(args.get("scope"), for_users=True)
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method")
        if challenge is not None or method is not None:
            if method != "S256":
                # Cognito supports S256 only (its authorize endpoint documentation).
                raise OAuthError("invalid_request", "code_challenge_method must be S256")
            if not challenge or not _CHALLENGE_SHAPE.match(challenge):
                raise OAuthError("invalid_request", "code_challenge is not a S256 challenge")
        provider = args.get("identity_provider") or None
        if provider is not None:
            if provider not in client.providers:
                raise OAuthError("invalid_request", f"{provider} is not a provider of the client")
            if provider != COGNITO_PROVIDER and not self._federates(client, provider):
                raise OAuthError("invalid_request", f"{provider} is not available")
        request = AuthorizeRequest(
            client_id=client.id,
            redirect_uri=redirect_uri,
            scope=scope,
            state=args.get("state"),
            nonce=args.get("nonce"),
            code_challenge=challenge,
        )
        return request, provider

    def _federates(self, client: OAuthClient, provider: str) -> bool:
        return self.federation is not None and self.federation.available(client.pool, provider)

    def sign_in_page(
        self,
        login: LoginRequest,
        client: OAuthClient,
        error: str | None = None,
        username: str = "",
        status: int = 200,
    ) -> Response:
        providers = tuple(
            p for p in client.providers if p != COGNITO_PROVIDER and self._federates(client, p)
        )
        return pages.sign_in_page(
            login.id,
            login.csrf,
            with_password=COGNITO_PROVIDER in client.providers,
            providers=providers,
            error=error,
            username=username,
            status=status,
        )

    def login_of(self, request: Request, step: str) -> tuple[LoginRequest, OAuthClient]:
        """The sign-in a form answers, if the form and the browser are the ones it began
        with (CSRF: the form's ``_csrf`` equals the browser's cookie and the record's)."""
        login = self.store.login(request.form.get("login_request"))
        form_csrf = request.form.get("_csrf", "")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if login is None:
            raise OAuthError("invalid_request", "this sign-in has expired: start again", 400)
        if not (form_csrf and cookie and form_csrf == cookie == login.csrf):
            raise OAuthError("invalid_request", "the form's CSRF token is not this browser's", 403)
        if login.step != step:
            raise OAuthError("invalid_request", "this sign-in is not at that step", 409)
        client = find_client(self.backend, login.request.client_id)
        if client is None:
            raise OAuthError("invalid_request", "the client no longer exists")
        return login, client

    def complete(
        self,
        request: Request,
        login: LoginRequest,
        client: OAuthClient,
        user: CognitoIdpUser,
        auth_time: int,
    ) -> Response:
        """The user is signed in: a code to the client's redirect URI, and the domain's
        session cookie for the next ``/oauth2/authorize``."""
        self.store.finish_login(login)
        code = self.store.issue_code(client.pool.id, user.username, auth_time, login.request)
        session = self.store.open_session(client.pool.id, user.username, auth_time)
        response = redirect(
            with_query(login.request.redirect_uri, code=code.code, state=login.request.state)
        )
        _set_cookie(response, request, SESSION_COOKIE, session.id, None)
        return response

    def provider(self, request: Request) -> Response:
        try:
            login, client = self.login_of(request, "password")
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description, exc.status)
        name = request.form.get("provider", "")
        if name not in client.providers or not self._federates(client, name):
            return pages.error_page("invalid_request", "that provider is not available")
        return self._to_provider(login, client, name)

    def _to_provider(self, login: LoginRequest, client: OAuthClient, name: str) -> Response:
        assert self.federation is not None  # _federates said so
        return self.federation.start(login, client, name)

    def idp_response(self, request: Request) -> Response:
        if self.federation is None:
            return pages.error_page("invalid_request", "no identity provider is configured", 404)
        return self.federation.callback(request, self)

    def logout(self, request: Request) -> Response:
        args = request.args
        try:
            client = self._client_for_domain(args.get("client_id"))
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description)
        logout_uri = args.get("logout_uri")
        if logout_uri is not None:
            if logout_uri not in client.logout_urls:
                return pages.error_page(
                    "redirect_mismatch", "logout_uri is not a sign-out URL of this client"
                )
            target = logout_uri
        elif args.get("redirect_uri") is not None and args.get("response_type"):
            # Cognito's other form: sign out, then sign in again through the same client.
            if args["redirect_uri"] not in client.callback_urls:
                return pages.error_page(
                    "redirect_mismatch", "redirect_uri is not a callback URL of this client"
                )
            target = with_query("/oauth2/authorize", **dict(args.items()))
        else:
            return pages.error_page("invalid_request", "logout_uri is missing")
        self.store.end_session(request.cookies.get(SESSION_COOKIE))
        response = redirect(target)
        _set_cookie(response, request, SESSION_COOKIE, "", 0)
        return response


def _set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    # HttpOnly: no script reads them. Lax: the redirect back from an identity provider is a
    # top-level GET that must carry them. Secure whenever the domain is served over https.
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=request.scheme == "https",
        samesite="Lax",
    )
