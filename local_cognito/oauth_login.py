"""The managed login page's steps after ``/oauth2/authorize``: password, new password, TOTP
and TOTP set-up, each checked as the API checks it.

- ``POST /login``: the password, by the backend's ``verify_password`` (InitiateAuth's one
  check), then InitiateAuth's refusals for disabled, unconfirmed and reset-required users;
- ``POST /login/new-password``: a user with a temporary password (FORCE_CHANGE_PASSWORD)
  chooses one, checked against the pool's policy with Cognito's messages, as
  NEW_PASSWORD_REQUIRED is;
- ``POST /login/email-mfa``: the code emailed to a user with email MFA (choice.py sends
  it, as for the API's EMAIL_OTP after a password), checked as that answer checks it;
- ``POST /login/mfa``: the TOTP code of a user with TOTP MFA (the pool's MFA ON or
  OPTIONAL), as SOFTWARE_TOKEN_MFA checks it (±1 step of the local clock, a code once);
- ``POST /login/mfa-setup``: in a pool that requires MFA, a user without it sets TOTP up:
  the page shows a new secret (and its ``otpauth://`` URI), and the code is checked by
  AssociateSoftwareToken and VerifySoftwareToken on an MFA_SETUP session, as the API's
  MFA_SETUP is.

Each step's form carries the sign-in's CSRF token (oauth.py ``login_of``); five wrong MFA
codes end the sign-in. A user with SMS MFA is refused with a message, never signed in
without it: this page does not send SMS.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from moto.cognitoidp.models import UserStatus
from werkzeug.wrappers import Request, Response

from statemachine.challenges import MFA_SETUP

from . import choice
from . import errors as e
from . import oauth_pages as pages
from .oauth_clients import COGNITO_PROVIDER, OAuthClient, OAuthError
from .oauth_codes import MFA_ATTEMPTS, LoginRequest

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUser

    from .fidelity import LocalCognitoBackend
    from .oauth import OAuthEndpoints


class LoginSteps:
    """The page's answers, over the endpoints' backend and sign-in records."""

    def __init__(self, endpoints: OAuthEndpoints) -> None:
        self.endpoints = endpoints

    @property
    def backend(self) -> LocalCognitoBackend:
        return self.endpoints.backend

    def _step(
        self, request: Request, step: str
    ) -> tuple[LoginRequest, OAuthClient, CognitoIdpUser]:
        login, client = self.endpoints.login_of(request, step)
        user = self.backend._user_or_none(client.pool, login.username or "")
        if user is None or not user.enabled:
            self.endpoints.store.finish_login(login)
            raise OAuthError("access_denied", "the user can no longer sign in")
        return login, client, user

    def password(self, request: Request) -> Response:
        try:
            login, client = self.endpoints.login_of(request, "password")
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description, exc.status)
        if COGNITO_PROVIDER not in client.providers:
            return pages.error_page("invalid_request", "the client has no password sign-in")
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        if not username or not password:
            return self.endpoints.sign_in_page(
                login, client, "Enter your username and password.", username, 400
            )
        user = self.backend._user_or_none(client.pool, username)
        try:
            user = self.backend.verify_password(client.client, user, password)
            if not user.enabled:
                raise e.NotAuthorized("User is disabled.")
            if user.status == UserStatus.UNCONFIRMED:
                raise e.UserNotConfirmed("User is not confirmed.")
            if user.status == UserStatus.RESET_REQUIRED:
                raise e.PasswordResetRequired(e.PASSWORD_RESET_REQUIRED)
            if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
                expires = self.backend.state(user).temporary_password_expires_at
                if expires is not None and self.backend.clock.now() > expires:
                    raise e.NotAuthorized(e.TEMPORARY_PASSWORD_EXPIRED)
                login.username, login.step = user.username, "new_password"
                return pages.new_password_page(login.id, login.csrf)
            return self._second_factor(request, login, client, user)
        except e.CognitoError as exc:
            return self.endpoints.sign_in_page(login, client, exc.message, username, 400)

    def new_password(self, request: Request) -> Response:
        try:
            login, client, user = self._step(request, "new_password")
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description, exc.status)
        chosen = request.form.get("new_password", "")
        try:
            if chosen != request.form.get("confirm_password", ""):
                raise e.InvalidParameter("The passwords do not match.")
            self.backend.check_password_policy(client.pool, chosen)
            missing = [
                name
                for name, attr in client.pool.schema_attributes.items()
                if attr.required
                and name != "sub"
                and not any(a["Name"] == name and a["Value"] for a in user.attributes)
            ]
            if missing:
                raise e.InvalidParameter(f"Invalid attributes given, {missing[0]} is missing")
        except e.CognitoError as exc:
            return pages.new_password_page(login.id, login.csrf, exc.message, 400)
        user.password = chosen
        user.status = UserStatus.CONFIRMED
        self.backend.state(user).temporary_password_expires_at = None
        try:
            return self._second_factor(request, login, client, user)
        except e.CognitoError as exc:
            self.endpoints.store.finish_login(login)
            return pages.error_page("access_denied", exc.message)

    def _second_factor(
        self, request: Request, login: LoginRequest, client: OAuthClient, user: CognitoIdpUser
    ) -> Response:
        """The pool's MFA, as InitiateAuth decides it: TOTP when the user has it; its set-up
        when the pool requires MFA and the user has none; else signed in."""
        pool, state = client.pool, self.backend.state(user)
        login.username = user.username
        if pool.mfa_config in ("ON", "OPTIONAL") and user.sms_mfa_enabled:
            # Not served by this page: refused, never skipped.
            raise e.NotAuthorized("SMS MFA is not offered on this page: sign in through the app.")
        email = choice.email_mfa_challenge(self.backend, pool, client.client, user, None, True)
        if email is not None:
            # The API's EMAIL_OTP after a password: the code is in the outbox.
            login.step, login.session = "email_mfa", email["Session"]
            login.secret = email["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"]
            return pages.mfa_page(login.id, login.csrf, email_to=login.secret)
        if pool.mfa_config in ("ON", "OPTIONAL") and user.software_token_mfa_enabled:
            if state.totp_secret:
                login.step = "mfa"
                return pages.mfa_page(login.id, login.csrf)
        if pool.mfa_config == "ON" and (pool.token_mfa_config or {}).get("Enabled"):
            return self._start_mfa_setup(login, client, user)
        return self.endpoints.complete(request, login, client, user, int(time.time()))

    def _start_mfa_setup(
        self, login: LoginRequest, client: OAuthClient, user: CognitoIdpUser
    ) -> Response:
        challenge = self.backend._new_challenge(
            client.pool, client.client, user.username, MFA_SETUP, admin=True
        )
        associated = self.backend.associate_software_token("", challenge.session)
        login.step, login.session = "mfa_setup", associated["Session"]
        login.secret = associated["SecretCode"]
        return self._mfa_setup_page(login, client, user)

    def _mfa_setup_page(
        self,
        login: LoginRequest,
        client: OAuthClient,
        user: CognitoIdpUser,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        issuer = client.client.extended_config.get("ClientName") or "Cognito"
        label = quote(f"{issuer}:{user.username}")
        uri = f"otpauth://totp/{label}?secret={login.secret}&issuer={quote(str(issuer))}"
        return pages.mfa_setup_page(login.id, login.csrf, login.secret or "", uri, error, status)

    def mfa_setup(self, request: Request) -> Response:
        try:
            login, client, user = self._step(request, "mfa_setup")
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description, exc.status)
        try:
            verified = self.backend.verify_software_token(
                "", login.session or "", request.form.get("code", ""), ""
            )
        except e.NotAuthorized as exc:  # the MFA_SETUP session expired: start again
            self.endpoints.store.finish_login(login)
            return pages.error_page("access_denied", exc.message)
        except e.CognitoError as exc:
            message = exc.message
            return self._wrong_code(
                login, lambda: self._mfa_setup_page(login, client, user, message, 400)
            )
        # Verified: the MFA_SETUP session has done its part (the API would answer it next).
        self.backend._end_challenge(self.backend.challenges[verified["Session"]])
        return self.endpoints.complete(request, login, client, user, int(time.time()))

    def mfa(self, request: Request) -> Response:
        try:
            login, client, user = self._step(request, "mfa")
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description, exc.status)
        state = self.backend.state(user)
        try:
            self.backend._check_totp(
                state.used_totp_steps, state.totp_secret, request.form.get("code")
            )
        except e.CognitoError as exc:
            message = exc.message
            return self._wrong_code(
                login, lambda: pages.mfa_page(login.id, login.csrf, message, 400)
            )
        return self.endpoints.complete(request, login, client, user, int(time.time()))

    def email_mfa(self, request: Request) -> Response:
        """The emailed code, checked as the API's EMAIL_OTP answer checks it: expired ends the
        sign-in, a wrong one counts (the challenge's own limit, then the page's)."""
        try:
            login, client, user = self._step(request, "email_mfa")
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description, exc.status)
        challenge = self.backend.challenges.get(login.session or "")
        otp = challenge.one_time_code if challenge is not None else None
        if challenge is None or otp is None or self.backend.clock.now() > otp.expires_at:
            if challenge is not None:
                self.backend._end_challenge(challenge)
            self.endpoints.store.finish_login(login)
            return pages.error_page("access_denied", e.CODE_EXPIRED)
        given = request.form.get("code", "")
        if otp.code is None or not secrets.compare_digest(otp.code, given):
            otp.failures += 1
            if otp.failures >= choice.EMAIL_OTP_ATTEMPTS:
                self.backend._end_challenge(challenge)
                self.endpoints.store.finish_login(login)
                return pages.error_page("access_denied", e.SESSION_EXPIRED)
            return self._wrong_code(
                login,
                lambda: pages.mfa_page(
                    login.id, login.csrf, e.TOTP_MISMATCH, 400, email_to=login.secret
                ),
            )
        self.backend._end_challenge(challenge)
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        return self.endpoints.complete(request, login, client, user, int(time.time()))

    def _wrong_code(self, login: LoginRequest, again: Callable[[], Response]) -> Response:
        login.failures += 1
        if login.failures >= MFA_ATTEMPTS:
            self.endpoints.store.finish_login(login)
            return pages.error_page("access_denied", "too many wrong codes: start again")
        return again()
