"""Managed login and federation: the BFF as an OAuth 2.0 confidential client
(RFC 10017, section 6.1; bff.oauth).

``GET /api/oauth/sign-in`` sends the browser to the pool's ``/oauth2/authorize`` (or
through it straight to a federated identity provider); ``GET /api/oauth/callback`` is
where Cognito sends it back with a code, which the server redeems; the browser lands on
the app signed in, in the same kind of session as a step-by-step sign-in.
``POST /api/oauth/sign-out`` signs out like ``/api/sign-out`` and answers the URL of
Cognito's ``/logout``, which ends the managed login's own cookie too.

The first two are GETs because they are browser navigations (RFC 6749, sections 4.1.1 and
4.1.2); what protects them is the ``state``, drawn per sign-in, kept server-side and bound
to the browser's pre-sign-in cookie, single use. They are rate-limited with the sign-in
steps (BFF_RATELIMIT_SIGN_IN, per client).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, after_this_request, current_app, redirect, request
from marshmallow import EXCLUDE, Schema, fields, validate
from werkzeug.wrappers import Response

from bff import sessions
from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import EmptySchema, SignedOutSchema
from bff.cognito.oauth_endpoints import AuthorizeRequest, PoolDomain
from bff.config import BffSettings
from bff.errors import (
    BffError,
    NotSignedIn,
    OAuthDisabled,
    OAuthRefused,
    OAuthStateInvalid,
    ReturnToNotAllowed,
    UnknownIdentityProvider,
)
from bff.fields import BaseSchema
from bff.flows import flow_view
from bff.flows import oauth as oauth_steps
from bff.flows import session as session_steps
from bff.oauth import cookie
from bff.oauth.pages import error_page, wants_html
from bff.oauth.pre_sign_in import PreSignIn
from bff.oauth.settings import CALLBACK_PATH, RETURN_TO_MAX_LENGTH, OAuthSettings
from bff.security import rate_limits
from bff.store import Store, StoreError
from bff.store.pre_sign_ins import PreSignInStore, pre_sign_in_store

log = logging.getLogger(__name__)

EXTENSION = "bff_oauth"
#: An OAuth error code as RFC 6749 (section 4.1.2.1) spells them; anything else is shown
#: as "unknown" (the value comes from the identity provider, through Cognito).
_OAUTH_ERROR = re.compile(r"^[a-z_]{1,64}$")
limit_oauth = rate_limits.limit("sign_in", per_user=False)

blp = Blueprint(
    "oauth",
    __name__,
    url_prefix="/api/oauth",
    description="Managed login and federated identity providers through the user pool's "
    "OAuth 2.0 endpoints: the BFF is a confidential client (authorization code, PKCE S256, "
    "state and nonce kept server-side). The browser navigates; it never sees a token.",
)


@dataclass(frozen=True)
class ManagedLogin:
    """One app's managed-login client (``app.extensions["bff_oauth"]``)."""

    settings: OAuthSettings
    #: None: managed login is off (``disabled_reason`` says why)
    domain: PoolDomain | None
    pre_sign_ins: PreSignInStore
    secure_cookies: bool
    disabled_reason: str = ""

    def redirect_uri(self) -> str:
        """The registered callback URL; in local mode this BFF's own, as reached."""
        return self.settings.redirect_uri or request.host_url.rstrip("/") + CALLBACK_PATH

    def logout_uri(self) -> str:
        return self.settings.logout_uri or request.host_url


def init_app(app: Flask, settings: BffSettings, store: Store) -> ManagedLogin:
    oauth = settings.oauth
    reason = ""
    domain: PoolDomain | None = None
    if not oauth.enabled:
        reason = "Set BFF_OAUTH_DOMAIN to the user pool's domain to sign in through it."
    elif not settings.cognito.client_secret:
        # Production refuses to start like this (bff.config_checks); a laptop's pool may
        # simply have a client without a secret.
        reason = "The app client has no secret: the BFF signs in only as a confidential client."
    else:
        domain = PoolDomain(oauth.domain, settings.cognito)
    managed = ManagedLogin(oauth, domain, pre_sign_in_store(store), settings.cookie_secure, reason)
    app.extensions[EXTENSION] = managed
    return managed


def _managed() -> tuple[ManagedLogin, PoolDomain]:
    managed: ManagedLogin = current_app.extensions[EXTENSION]
    if managed.domain is None:
        raise OAuthDisabled(f"{OAuthDisabled.default_message} {managed.disabled_reason}")
    return managed, managed.domain


def _as_page_for_browsers(error: BffError, back: str = "/") -> Response:
    """A browser navigating gets a page; other clients the JSON error (re-raised)."""
    if wants_html(request):
        return error_page(error, back=back)
    raise error


class OAuthSignInQuerySchema(BaseSchema):
    provider = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "An identity provider of BFF_OAUTH_PROVIDERS (e.g. LocalIdP): "
                  "go straight to it instead of the managed login page."},
    )  # fmt: skip
    return_to = fields.String(
        validate=validate.Length(min=1, max=RETURN_TO_MAX_LENGTH),
        metadata={"description": "A same-origin path of BFF_OAUTH_RETURN_PATHS to land on "
                  "once signed in (default /)."},
    )  # fmt: skip


class OAuthCallbackQuerySchema(Schema):
    """What Cognito's redirect carries. Unknown parameters are ignored, as RFC 6749
    (section 4.1.2) asks of a client."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(validate=validate.Length(min=1, max=2048))
    state = fields.String(validate=validate.Length(min=1, max=2048))
    error = fields.String(validate=validate.Length(min=1, max=2048))
    error_description = fields.String(validate=validate.Length(max=2048))


class OAuthSignedOutSchema(SignedOutSchema):
    logout_url = fields.String(
        required=True,
        metadata={"description": "Cognito's /logout with client_id and logout_uri: navigate "
                  "there to end the managed login's own session too."},
    )  # fmt: skip


@blp.route("/sign-in", methods=["GET"])
@limit_oauth
@blp.arguments(OAuthSignInQuerySchema, location="query")
@blp.response(302, description="To the pool's /oauth2/authorize (Location).")
def sign_in(args: dict[str, Any]) -> Response:
    """Start signing in through the managed login page, or straight through an identity
    provider (`provider`): a redirect to Cognito's /oauth2/authorize with the code flow,
    PKCE S256, a state and a nonce kept server-side for `BFF_OAUTH_STATE_SECONDS`.

    Sets the pre-sign-in cookie (HttpOnly, SameSite=Lax). A browser asking for HTML gets
    an error as a page; other clients get the JSON error."""
    try:
        managed, domain = _managed()
        provider = args.get("provider")
        if provider is not None and not managed.settings.allows_provider(provider):
            raise UnknownIdentityProvider(details={"provider": provider[:32]})
        return_to = managed.settings.return_to(args.get("return_to"))
        if return_to is None:
            raise ReturnToNotAllowed()
    except BffError as exc:
        return _as_page_for_browsers(exc)
    started = PreSignIn.start(
        return_to=return_to, provider=provider, redirect_uri=managed.redirect_uri()
    )
    seconds = managed.settings.state_seconds
    record_id = managed.pre_sign_ins.put(started.to_record(), seconds)
    target = domain.authorize_url(
        AuthorizeRequest(
            redirect_uri=started.redirect_uri,
            state=started.state,
            nonce=started.nonce,
            code_challenge=started.code_challenge,
            scopes=managed.settings.scopes,
            identity_provider=provider,
        )
    )
    response = redirect(target, code=302)
    cookie.set_cookie(response, record_id, secure=managed.secure_cookies, max_age=seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/callback", methods=["GET"])
@limit_oauth
@blp.arguments(OAuthCallbackQuerySchema, location="query")
@blp.response(302, description="Signed in: to the sign-in's return_to path (Location).")
def callback(args: dict[str, Any]) -> Response:
    """Where Cognito sends the browser back: the state is checked against this browser's
    pre-sign-in record (single use), the code redeemed at /oauth2/token as the
    confidential client with the PKCE verifier, the ID token checked (signature, issuer,
    audience, expiry, nonce); then the session starts (a new session id) and the browser
    goes to the sign-in's `return_to`.

    Refusals: `oauth_state_invalid` (no, used or another sign-in's state), `oauth_refused`
    (the provider's or Cognito's `error`, or a refused code), `id_token_rejected`,
    `cognito_unavailable` (503, Retry-After). A browser gets them as a page."""
    after_this_request(_clear_pre_sign_in_cookie)  # single use, whatever the answer
    try:
        return _callback(args)
    except BffError as exc:
        return _as_page_for_browsers(exc)


def _clear_pre_sign_in_cookie(response: Response) -> Response:
    managed: ManagedLogin = current_app.extensions[EXTENSION]
    cookie.clear_cookie(response, secure=managed.secure_cookies)
    return response


def _callback(args: dict[str, Any]) -> Response:
    managed, domain = _managed()
    started = _take_pre_sign_in(managed, args.get("state"))
    if args.get("error"):
        error = args["error"] if _OAUTH_ERROR.match(args["error"]) else "unknown"
        log.info("managed login refused the sign-in: %s", error)
        raise OAuthRefused(details={"error": error})
    if not args.get("code"):
        raise OAuthRefused("The sign-in came back without a code.", details={"error": "no_code"})
    outcome = oauth_steps.sign_in_with_code(context.flows(), domain, started, args["code"])
    context.answer_step(outcome, start=True)
    response = redirect(started.return_to, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


def _take_pre_sign_in(managed: ManagedLogin, state: str | None) -> PreSignIn:
    """This browser's started sign-in, taken (it works once), if ``state`` is its state."""
    record_id = cookie.cookie_value(request, managed.secure_cookies)
    record = managed.pre_sign_ins.take(record_id) if record_id else None
    if record is None or not state:
        raise OAuthStateInvalid()
    try:
        started = PreSignIn.from_record(record)
    except StoreError:
        log.warning("a pre-sign-in record could not be read")
        raise OAuthStateInvalid() from None
    if not started.matches(state):
        raise OAuthStateInvalid()
    return started


@blp.route("/sign-out", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, OAuthSignedOutSchema)
def sign_out(_args: dict[str, Any]) -> dict[str, Any]:
    """Sign out like `/api/sign-out` (RevokeToken at Cognito, the server session deleted)
    and answer `logout_url`, Cognito's /logout for this app client: navigating there ends
    the managed login's own session cookie, so the next managed sign-in asks again, and
    Cognito sends the browser back to `BFF_OAUTH_LOGOUT_URI`."""
    managed, domain = _managed()
    session = context.browser_session()
    if session is None:
        raise NotSignedIn()
    tokens = session.tokens
    here = context.remembered_device()
    held = here is not None and here.device.device_key == session.device_key
    flow = session_steps.sign_out(
        context.flows(),
        context.current_flow(),
        access_token=tokens["access_token"] if tokens else None,
        refresh_token=tokens["refresh_token"] if tokens else None,
        # a step-by-step session's device this browser does not hold goes, as in /sign-out
        unremembered_device_key=None if held else session.device_key,
    )
    sessions.end_session()
    return {
        "signed_out": True,
        "flow": flow_view(flow)["flow"] if flow else None,
        "logout_url": domain.logout_url(managed.logout_uri()),
    }
