"""What the pool's OAuth endpoints keep between requests: sign-ins in progress on the
managed login page, the domain's sign-in sessions (its cookie), and authorization codes.

All of it lives in memory, on the local Cognito's movable clock, and is not kept across a
restart (like challenge sessions: it lives minutes). Lifetimes:

- an authorization code: 5 minutes, one use (Cognito's token endpoint documentation: a
  code is valid for five minutes and can be used once);
- a sign-in on the managed login page: 10 minutes from the first ``/oauth2/authorize`` to
  the last answer (the local Cognito's choice; a sign-in whose page sat longer starts over);
- the managed login session (the domain's cookie): 1 hour, during which ``/oauth2/authorize``
  signs the same browser in again without asking (Cognito's developer guide on managed
  login gives its session cookie one hour).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from .clock import Clock

CODE_SECONDS = 300
LOGIN_REQUEST_SECONDS = 600
LOGIN_SESSION_SECONDS = 3600
#: Wrong MFA codes one sign-in on the page may send before it must start over (ours:
#: Cognito does not publish its limit).
MFA_ATTEMPTS = 5


@dataclass(frozen=True)
class AuthorizeRequest:
    """A checked ``/oauth2/authorize`` request: what the code it ends in is bound to."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None


@dataclass
class LoginRequest:
    """A sign-in in progress on the managed login page (or at an identity provider)."""

    id: str
    csrf: str
    pool_id: str
    request: AuthorizeRequest
    expires_at: float
    #: after the password: the user who must now answer ``step`` (``mfa``)
    username: str | None = None
    step: str = "password"
    #: wrong MFA codes so far (MFA_ATTEMPTS of them end the sign-in)
    failures: int = 0
    #: the API challenge session behind a step (MFA_SETUP, or EMAIL_OTP after the password)
    session: str | None = None
    #: step ``mfa_setup``: the new TOTP secret; step ``email_mfa``: where the code went
    secret: str | None = None
    #: at an identity provider (federation.py): its name and what the callback checks
    provider: str | None = None
    provider_state: str | None = None
    provider_nonce: str | None = None
    provider_verifier: str | None = None


@dataclass(frozen=True)
class AuthorizationCode:
    """An issued code: who signed in, and what its redemption must match."""

    code: str
    pool_id: str
    username: str
    auth_time: int
    request: AuthorizeRequest
    expires_at: float


@dataclass(frozen=True)
class LoginSession:
    """The domain's own sign-in session: the browser holding its cookie is signed in."""

    id: str
    pool_id: str
    username: str
    auth_time: int
    expires_at: float


def pkce_matches(challenge: str, verifier: str) -> bool:
    """RFC 7636 4.6, S256: BASE64URL(SHA256(verifier)) without padding == challenge."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


@dataclass
class OAuthStore:
    """The three kinds of record, each dropped once expired (checked on the clock)."""

    clock: Clock
    logins: dict[str, LoginRequest] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    sessions: dict[str, LoginSession] = field(default_factory=dict)

    def _expire(self) -> None:
        now = self.clock.now()
        for table in (self.logins, self.codes, self.sessions):
            for key in [k for k, v in table.items() if v.expires_at <= now]:
                del table[key]

    def start_login(self, pool_id: str, request: AuthorizeRequest, csrf: str) -> LoginRequest:
        """A new sign-in, bound to the browser whose ``XSRF-TOKEN`` cookie is ``csrf``."""
        self._expire()
        login = LoginRequest(
            id=secrets.token_urlsafe(32),
            csrf=csrf,
            pool_id=pool_id,
            request=request,
            expires_at=self.clock.now() + LOGIN_REQUEST_SECONDS,
        )
        self.logins[login.id] = login
        return login

    def login(self, login_id: str | None) -> LoginRequest | None:
        self._expire()
        return self.logins.get(login_id or "")

    def login_by_provider_state(self, state: str | None) -> LoginRequest | None:
        self._expire()
        if not state:
            return None
        for login in self.logins.values():
            if login.provider_state and hmac.compare_digest(login.provider_state, state):
                return login
        return None

    def finish_login(self, login: LoginRequest) -> None:
        self.logins.pop(login.id, None)

    def issue_code(
        self, pool_id: str, username: str, auth_time: int, request: AuthorizeRequest
    ) -> AuthorizationCode:
        self._expire()
        code = AuthorizationCode(
            code=secrets.token_urlsafe(32),
            pool_id=pool_id,
            username=username,
            auth_time=auth_time,
            request=request,
            expires_at=self.clock.now() + CODE_SECONDS,
        )
        self.codes[code.code] = code
        return code

    def take_code(self, code: str) -> AuthorizationCode | None:
        """The code, removed: it works once, whether this redemption succeeds or not."""
        self._expire()
        return self.codes.pop(code, None)

    def open_session(self, pool_id: str, username: str, auth_time: int) -> LoginSession:
        self._expire()
        session = LoginSession(
            id=secrets.token_urlsafe(32),
            pool_id=pool_id,
            username=username,
            auth_time=auth_time,
            expires_at=self.clock.now() + LOGIN_SESSION_SECONDS,
        )
        self.sessions[session.id] = session
        return session

    def session(self, session_id: str | None, pool_id: str) -> LoginSession | None:
        self._expire()
        session = self.sessions.get(session_id or "")
        return session if session is not None and session.pool_id == pool_id else None

    def end_session(self, session_id: str | None) -> None:
        self.sessions.pop(session_id or "", None)
