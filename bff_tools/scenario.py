"""``bff scenario``: the sign-up → TOTP MFA → remembered-device scenario at a command prompt.

Sign up a user, confirm them, set up an authenticator app (TOTP MFA, QR code in the
terminal), sign in with MFA, remember the device, then sign in again with the remembered
device (DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER: SRP) without a new MFA code
(docs/auth-lifecycle.md tells it in plain English). Each Cognito action goes through the same
``CognitoGateway`` the BFF uses, and its outcome is fed to the same lifecycle state machine
(a ``statemachine.Flow``), so every transition the BFF would journal is printed here too.

Two ways to run it, as the spec asks:

* straight through (default): no questions. Against the local Cognito the confirmation code
  is read from its outbox and TOTP codes are computed with pyotp. Against real Cognito the
  program cannot read email, so it says what it needs and stops before calling Cognito.
* ``--interactive``: a question/answer script (user name, email, password, codes, "remember
  this device?"). A password too weak for Cognito's default policy is refused before it is
  typed a second time, and one Cognito refuses anyway is asked again; a
  refused code can be typed again at once ("Try ... again? Y" goes straight back to the code
  prompt) or, for the emailed code, replaced by a new one. Each new attempt is a new Cognito
  call, so it is a new numbered step and the total grows by one.

Nothing secret is printed: tokens and sessions are abbreviated to 8 characters, passwords and
codes are never shown. The one exception is the TOTP secret, which a user needs to type into
an authenticator app that cannot scan the QR code.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from bff.cognito import totp
from bff.cognito.gateway import CognitoGateway
from bff.cognito.settings import CognitoSettings, SettingsError
from bff.cognito.types import (
    AuthStep,
    DeviceSrpChallenge,
    NewDeviceMetadata,
    RememberedDevice,
    SignUpResult,
    SoftwareTokenVerification,
    Tokens,
)
from bff.errors import BffError, CodeMismatch, CognitoError, ExpiredCode, InvalidPassword
from bff.flows.challenges.device_srp import answer_device_password_verifier, start_device_srp
from bff.flows.challenges.software_token_mfa import mfa_code_responses
from bff_tools.local_clock import LocalClock
from statemachine import Flow, JournalEntry, LifecycleError
from statemachine.challenges import DEVICE_SRP_AUTH, MFA_SETUP, SOFTWARE_TOKEN_MFA

T = TypeVar("T")

#: The spec's main path: 13 actions. AdminGetUser and ResendConfirmationCode are optional
#: extras (the user already exists / another code is needed) and add to the count when used.
MAIN_STEPS = 13
ISSUER = "Cognito BFF scenario"
DEVICE_NAME = "bff scenario"
PASSWORD_ENV = "BFF_SCENARIO_PASSWORD"
#: How many times the interactive script lets a user retype a code before giving up.
MAX_CODE_ATTEMPTS = 3
#: How many passwords the interactive script tries at SignUp before giving up.
MAX_PASSWORD_ATTEMPTS = 3
PASSWORD_PROMPT = "Password (8+ chars, upper, lower, digit, symbol)"
# Cognito's password policy symbols (API reference, PasswordPolicyType) that need no quoting
# in a shell, so a generated password can be pasted if someone ever needs it.
_SYMBOLS = "^$*.!@#%&-_=+"


def abbreviate(secret: str | None) -> str:
    """The first 8 characters and an ellipsis: enough to tell two tokens apart, no more."""
    if not secret:
        return "(none)"
    return f"{secret[:8]}…"


def generate_password(length: int = 20) -> str:
    """A random password meeting the pool's policy (lower, upper, digit, symbol, length ≥ 8)."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS]
    alphabet = "".join(classes)
    chars = [secrets.choice(c) for c in classes]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class ScenarioFailed(click.ClickException):
    """A step failed: the message names the step and the error code; the exit status is 1."""

    exit_code = 1


class MissingAnswer(Exception):
    """Straight-through mode needs something only a person can give (an emailed code)."""


class TotpCodes:
    """Fresh TOTP codes for one secret, never the same code twice.

    Cognito (and the local Cognito) refuse a code that was already used ("Your software
    token has already been used once."), so the second sign-in of the scenario needs the
    code of a later 30-second step. The local Cognito accepts codes one step either side of
    now, so with ``allow_next_step`` the next step's code is used at once instead of waiting
    up to 30 s; without it (real Cognito, whose window is not documented) the method waits
    for the next step to begin. For a local Cognito, ``clock`` and ``sleep`` are its own
    clock's ``now`` and ``advance`` (bff_tools.local_clock): codes at its time, and a wait
    is a move of that clock.
    """

    def __init__(
        self,
        secret: str,
        *,
        allow_next_step: bool,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._secret = secret
        self._allow_next_step = allow_next_step
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        #: the last 30-second step a code was taken from; a caller with several keys for one
        #: user may move it on (a user's step is used up whichever key gave the code)
        self.last_step: int | None = None
        self._used: set[str] = set()

    def _code_at_step(self, step: int) -> str:
        return totp.current_code(
            self._secret, at=datetime.fromtimestamp(step * totp.PERIOD, tz=UTC)
        )

    def next_code(self) -> str:
        """A code from a step later than any used so far, and different from every used code."""
        while True:
            now = self._clock()
            current = int(now // totp.PERIOD)
            candidates = [current, current + 1] if self._allow_next_step else [current]
            for step in candidates:
                if self.last_step is not None and step <= self.last_step:
                    continue
                code = self._code_at_step(step)
                if code in self._used:  # two steps can share a code (1 in a million)
                    continue
                self.last_step = step
                self._used.add(code)
                return code
            wait = (current + 1) * totp.PERIOD - now + 0.05
            if self._on_wait:
                self._on_wait(wait)
            self._sleep(wait)


class Answers(Protocol):
    """Where the scenario gets what a person would type: the straight or interactive source."""

    interactive: bool

    def confirmation_code(self, email: str) -> str: ...

    def wants_another_code(self) -> bool: ...

    def setup_code(self, secret: str) -> str: ...

    def sign_in_code(self) -> str: ...

    def email_code(self, email: str) -> str: ...

    def retry(self, what: str) -> bool: ...

    def another_password(self) -> str | None: ...

    def remember_device(self) -> bool: ...


@dataclass
class StraightAnswers:
    """No questions: codes from the local Cognito's outbox and pyotp."""

    outbox_endpoint: str | None
    allow_next_totp_step: bool
    on_wait: Callable[[float], None] | None = None
    #: the local Cognito's clock, which its TOTP checks run on (None: real Cognito)
    local_clock: LocalClock | None = None
    interactive: bool = False
    _totp: TotpCodes | None = field(default=None, init=False)

    def confirmation_code(self, email: str) -> str:
        if not self.outbox_endpoint:
            raise MissingAnswer(
                f"Cognito emailed a confirmation code to {email}; this program cannot read "
                "email. Run `bff scenario --interactive` to type it in."
            )
        from bff.local_outbox import OutboxError, latest_message

        try:
            message = latest_message(self.outbox_endpoint, email, "confirmation_code")
        except (LookupError, OutboxError) as exc:
            raise MissingAnswer(f"no confirmation code for {email} in the outbox: {exc}") from exc
        return str(message["code"])

    def wants_another_code(self) -> bool:
        return False

    def email_code(self, email: str) -> str:
        if not self.outbox_endpoint:
            raise MissingAnswer(
                f"Cognito emailed a sign-in code to {email}; this program cannot read email. "
                "Run `bff scenario --passwordless --interactive` to type it in."
            )
        from bff.local_outbox import OutboxError, latest_message

        try:
            message = latest_message(self.outbox_endpoint, email, "email_otp")
        except (LookupError, OutboxError) as exc:
            raise MissingAnswer(f"no sign-in code for {email} in the outbox: {exc}") from exc
        return str(message["code"])

    def setup_code(self, secret: str) -> str:
        if self.local_clock is None:
            self._totp = TotpCodes(
                secret, allow_next_step=self.allow_next_totp_step, on_wait=self.on_wait
            )
        else:
            self._totp = TotpCodes(
                secret,
                allow_next_step=self.allow_next_totp_step,
                clock=self.local_clock.now,
                sleep=self.local_clock.advance,
                on_wait=self.on_wait,
            )
        return self._totp.next_code()

    def sign_in_code(self) -> str:
        if self._totp is None:
            raise MissingAnswer(
                "Cognito asks for a code from the authenticator app this user already "
                "registered; its secret is unknown here. Run with --interactive or use a new "
                "user name."
            )
        return self._totp.next_code()

    def retry(self, what: str) -> bool:
        return False

    def another_password(self) -> str | None:
        return None

    def remember_device(self) -> bool:
        return True


class PromptAnswers:
    """The interactive question/answer script (click.prompt; passwords hidden)."""

    interactive = True

    def confirmation_code(self, email: str) -> str:
        return _ask_code(f"Confirmation code emailed to {email}")

    def wants_another_code(self) -> bool:
        return click.confirm("Do you need another confirmation code?", default=False)

    def setup_code(self, secret: str) -> str:
        return _ask_code("Code shown by your authenticator app")

    def sign_in_code(self) -> str:
        return _ask_code("A NEW code from your authenticator app (a code works only once)")

    def email_code(self, email: str) -> str:
        return _ask_code(f"Sign-in code emailed to {email}")

    def retry(self, what: str) -> bool:
        return click.confirm(f"Try {what} again?", default=True)

    def another_password(self) -> str | None:
        return ask_password("Choose another password (8+ chars, upper, lower, digit, symbol)")

    def remember_device(self) -> bool:
        return click.confirm("Remember this device (skip MFA next time)?", default=True)


def _ask_code(text: str) -> str:
    def six_digits(value: str) -> str:
        value = value.strip().replace(" ", "")
        if not (len(value) == 6 and value.isdigit()):
            raise click.BadParameter("enter the 6 digits")
        return value

    return str(click.prompt(text, value_proc=six_digits))


#: Cognito's special characters (Amazon Cognito Developer Guide, "Password requirements").
COGNITO_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "


def password_problems(password: str) -> list[str]:
    """What ``password`` lacks under Cognito's default policy, the project's pool's
    (local_cognito/user-pool.yaml: 8+ characters, upper, lower, digit, symbol). A check
    before the password is typed a second time; Cognito stays the judge (a pool with a
    stricter policy still refuses, and the scenario then asks again)."""
    rules = [
        (len(password) >= 8, "8 or more characters"),
        (any(c.isupper() for c in password), "an upper-case letter"),
        (any(c.islower() for c in password), "a lower-case letter"),
        (any(c.isdigit() for c in password), "a digit"),
        (any(c in COGNITO_SYMBOLS for c in password.strip()), "a symbol"),
    ]
    return [what for met, what in rules if not met]


def ask_password(text: str = PASSWORD_PROMPT) -> str:
    """A password, hidden: one too weak is refused at once, before it is typed again; then
    typed twice (asked again from the start when the two differ)."""

    def strong_enough(value: str) -> str:
        missing = password_problems(value)
        if missing:
            raise click.BadParameter("this password needs " + ", ".join(missing))
        return value

    while True:
        password = str(click.prompt(text, hide_input=True, value_proc=strong_enough))
        if str(click.prompt("Repeat for confirmation", hide_input=True)) == password:
            return password
        click.echo("Error: The two entered values do not match.", err=True)


@dataclass
class ScenarioUser:
    username: str
    email: str
    password: str = field(repr=False)


class Scenario:
    """The scenario's steps, each one Cognito action, printed and fed to the state machine."""

    def __init__(
        self,
        gateway: CognitoGateway,
        user: ScenarioUser,
        answers: Answers,
        *,
        device_name: str = DEVICE_NAME,
        issuer: str = ISSUER,
        echo: Callable[[str], None] = click.echo,
    ) -> None:
        self.gateway = gateway
        self.user = user
        self.answers = answers
        self.device_name = device_name
        self.issuer = issuer
        self.echo = echo
        self.flow = Flow(username=user.username)
        self.total = MAIN_STEPS
        self.number = 0
        self.action = ""
        self.tokens: Tokens | None = None
        self.device: RememberedDevice | None = None

    def _begin(self, action: str, what: str, *, optional: bool = False) -> None:
        if optional:
            self.total += 1
        self.number += 1
        self.action = action
        width = len(str(self.total))
        self.echo("")
        self.echo(f"[{self.number:>{width}}/{self.total}] {action}: {what}")

    def _skip(self, action: str, why: str) -> None:
        self.total -= 1
        self.echo(f"        (skipped {action}: {why})")

    def _say(self, text: str) -> None:
        self.echo(f"        {text}")

    def _show_transition(self, entry: JournalEntry | None) -> None:
        if entry is None:
            self._say(f"flow: {self.flow.state} (no transition)")
        elif entry.source == entry.dest:
            self._say(f"flow: {entry.source} (stays; {entry.trigger})")
        else:
            self._say(f"flow: {entry.source} → {entry.dest} ({entry.trigger})")

    def _show_tokens(self, tokens: Tokens) -> None:
        self._say(
            f"tokens: access {abbreviate(tokens.access_token)}, id "
            f"{abbreviate(tokens.id_token)}, refresh {abbreviate(tokens.refresh_token)}, "
            f"expire in {tokens.expires_in} s"
        )

    def _show_step(self, step: AuthStep) -> None:
        if step.challenge_name:
            visible = {
                k: v
                for k, v in step.challenge_parameters.items()
                if k not in ("SRP_B", "SALT", "SECRET_BLOCK")
            }
            self._say(f"challenge {step.challenge_name} {visible or ''}".rstrip())
            self._say(f"session {abbreviate(step.session)}")
        if step.tokens is not None:
            self._show_tokens(step.tokens)
        if step.new_device is not None:
            self._say(f"NewDeviceMetadata: device key {step.new_device.device_key}")

    def _call(
        self,
        call: Callable[[], T],
        response: Callable[[T], dict[str, Any]] = lambda _: {},
        *,
        request: dict[str, Any] | None = None,
    ) -> T:
        """Run the current step's action and fire its outcome on the flow (errors too)."""
        try:
            result = call()
        except CognitoError as exc:
            if exc.cognito_code:
                self._apply(error_code=exc.cognito_code, error_message=exc.message)
            raise
        self._apply(response(result), request=request)
        return result

    def _apply(
        self,
        response: dict[str, Any] | None = None,
        *,
        request: dict[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        try:
            entry = self.flow.apply(
                self.action,
                response,
                request=request,
                error_code=error_code,
                error_message=error_message,
            )
        except LifecycleError as exc:
            raise self.failure(str(exc), code="lifecycle") from exc
        self._show_transition(entry)

    def failure(self, message: str, *, code: str | None = None) -> ScenarioFailed:
        where = f"step {self.number}/{self.total} {self.action}" if self.action else "setup"
        suffix = f" [{code}]" if code else ""
        return ScenarioFailed(f"{where} failed: {message}{suffix}")

    def _failed(self, exc: BffError) -> ScenarioFailed:
        return self.failure(exc.message, code=exc.code)

    def _with_retries(
        self,
        what: str,
        attempt: Callable[[], T],
        again: Callable[[], None],
        *,
        resend: Callable[[], None] | None = None,
    ) -> T:
        """``attempt`` again after a wrong or expired code, while the user wants to.

        "Try again? Y" goes straight back to the code: ``again`` opens the new numbered step
        (each attempt is a new Cognito call). Declined, and when a new code can be sent
        (``resend``), the user is offered one before the scenario gives up.
        """
        for number in range(1, MAX_CODE_ATTEMPTS + 1):
            if number > 1:
                again()
            try:
                return attempt()
            except (CodeMismatch, ExpiredCode) as exc:
                self._say(f"refused: {exc.message} [{exc.code}]")
                if number == MAX_CODE_ATTEMPTS:
                    raise self._failed(exc) from exc
                if self.answers.retry(what):
                    continue
                if resend is not None and self.answers.wants_another_code():
                    resend()
                    continue
                raise self._failed(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def run(self) -> Flow:
        """Every step of the spec, in order; raises ScenarioFailed at the first failure."""
        try:
            self._sign_up()
            self._list_users()
            first = self._admin_sign_in("sign in; MFA is required and not yet set up")
            if first.challenge_name == MFA_SETUP:
                secret, setup_session = self._associate_software_token(first)
                self._verify_software_token(secret, setup_session)
                challenge = self._admin_sign_in("sign in again; Cognito now asks for a code")
            else:
                self._skip("AssociateSoftwareToken", "the user already has an authenticator")
                self._skip("VerifySoftwareToken", "the user already has an authenticator")
                self._skip("AdminInitiateAuth", "the first sign-in already asked for a code")
                challenge = first
            if challenge.challenge_name == SOFTWARE_TOKEN_MFA:
                step = self._respond_mfa(challenge)
            elif challenge.tokens is not None:
                self._skip("AdminRespondToAuthChallenge", "Cognito issued tokens without MFA")
                step = challenge
            else:
                raise self.failure(
                    f"expected SOFTWARE_TOKEN_MFA, Cognito answered {challenge.challenge_name}"
                )
            self._remember_and_sign_in_with_device(step)
        except BffError as exc:
            raise self._failed(exc) from exc
        except MissingAnswer as exc:
            raise self.failure(str(exc), code="needs_input") from exc
        self.echo("")
        self.echo(
            f"Done: {self.number} Cognito actions, flow {self.flow.state} after "
            f"{len(self.flow.journal)} transitions."
        )
        return self.flow

    def _sign_up(self) -> None:
        user = self.user
        self._begin("SignUp", f"register {user.username} <{user.email}>")
        try:
            result = self._sign_up_with_passwords()
        except CognitoError as exc:
            if exc.cognito_code != "UsernameExistsException":
                raise
            self._say(f"{user.username} already exists: look the user up")
            status = self._admin_get_user()
            if status == "CONFIRMED":
                self._skip("ConfirmSignUp", "the user is already confirmed")
                return
            if status != "UNCONFIRMED":
                raise self.failure(f"the user is {status}; this scenario needs a new user") from exc
            self._resend_code()
        else:
            delivery = result.code_delivery
            self._say(
                f"user sub {result.user_sub}, confirmed: {result.user_confirmed}"
                + (
                    f"; code sent by {delivery.delivery_medium} to {delivery.destination}"
                    if delivery
                    else ""
                )
            )
            if result.user_confirmed:
                self._skip("ConfirmSignUp", "Cognito confirmed the user at sign-up")
                return
        # The code is asked for first; another one is offered only once a code was refused
        # (_with_retries), never before the user has even looked for the first.
        self._confirm_sign_up()

    def _sign_up_with_passwords(self) -> SignUpResult:
        """SignUp; a password Cognito refuses (InvalidPasswordException) is asked again
        (interactive), each new try a new numbered SignUp step."""
        user = self.user
        for number in range(1, MAX_PASSWORD_ATTEMPTS + 1):
            try:
                return self._call(
                    lambda: self.gateway.sign_up(user.username, user.password, email=user.email),
                    lambda r: {"UserConfirmed": r.user_confirmed},
                )
            except InvalidPassword as exc:
                self._say(f"refused: {exc.message} [{exc.code}]")
                password = (
                    self.answers.another_password() if number < MAX_PASSWORD_ATTEMPTS else None
                )
                if password is None:
                    raise
                user.password = password
                self._begin("SignUp", "try again with another password", optional=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def _admin_get_user(self) -> str:
        self._begin("AdminGetUser", "get the user's confirmation status", optional=True)
        user = self._call(
            lambda: self.gateway.admin_get_user(self.user.username),
            lambda u: {"UserStatus": u.status},
        )
        self._say(f"status {user.status}, enabled: {user.enabled}, email {user.email}")
        return user.status

    def _resend_code(self) -> None:
        self._begin("ResendConfirmationCode", "ask for another code", optional=True)
        delivery = self._call(lambda: self.gateway.resend_confirmation_code(self.user.username))
        self._say(f"code sent by {delivery.delivery_medium} to {delivery.destination}")

    def _confirm_sign_up(self) -> None:
        self._begin("ConfirmSignUp", "confirm the sign-up with the emailed code")

        def attempt() -> None:
            code = self.answers.confirmation_code(self.user.email)
            self._call(lambda: self.gateway.confirm_sign_up(self.user.username, code))

        self._with_retries(
            "the confirmation code",
            attempt,
            lambda: self._begin("ConfirmSignUp", "try the confirmation code again", optional=True),
            resend=self._resend_code,
        )
        self._say(f"{self.user.username} is confirmed")

    def _list_users(self) -> None:
        email = self.user.email
        if '"' in email or "\\" in email:
            raise self.failure("the email address cannot contain quotes or backslashes")
        query = f'email = "{email}"'
        self._begin("ListUsers", f"find users with {query}")
        page = self._call(lambda: self.gateway.list_users(filter=query, limit=10))
        self._say(f"{len(page.users)} user(s) found")
        for found in page.users:
            self._say(f"- {found.username}: {found.status}, email {found.email}")

    def _admin_sign_in(self, what: str) -> AuthStep:
        self._begin("AdminInitiateAuth", f"ADMIN_USER_PASSWORD_AUTH: {what}")
        step = self._call(
            lambda: self.gateway.admin_initiate_auth(self.user.username, self.user.password),
            lambda s: s.as_response(),
        )
        self._show_step(step)
        return step

    def _associate_software_token(self, challenge: AuthStep) -> tuple[str, str | None]:
        self._begin("AssociateSoftwareToken", "get a TOTP secret for an authenticator app")
        association = self._call(
            lambda: self.gateway.associate_software_token(session=challenge.session)
        )
        secret = association.secret_code
        uri = totp.otpauth_uri(secret, account=self.user.username, issuer=self.issuer)
        self._say("Scan this QR code with an authenticator app:")
        self.echo(totp.qr_text(uri))
        # The one secret shown on purpose: apps that cannot scan need it typed in.
        self._say(f"Secret for manual entry: {secret}")
        return secret, association.session

    def _verify_software_token(self, secret: str, session: str | None) -> None:
        self._begin("VerifySoftwareToken", "register the authenticator with its first code")

        def attempt() -> SoftwareTokenVerification:
            code = self.answers.setup_code(secret)
            verified = self._call(
                lambda: self.gateway.verify_software_token(
                    code, session=session, friendly_device_name=self.device_name
                ),
                lambda v: {"Status": v.status},
            )
            if not verified.succeeded:
                raise CodeMismatch()
            return verified

        self._with_retries(
            "the authenticator code",
            attempt,
            lambda: self._begin("VerifySoftwareToken", "try another code", optional=True),
        )
        self._say("authenticator registered (TOTP MFA is on for this user)")

    def _respond_mfa(self, challenge: AuthStep) -> AuthStep:
        self._begin("AdminRespondToAuthChallenge", "answer SOFTWARE_TOKEN_MFA with a new code")
        username = challenge.challenge_username(self.user.username)

        def attempt() -> AuthStep:
            code = self.answers.sign_in_code()
            return self._call(
                lambda: self.gateway.respond(
                    SOFTWARE_TOKEN_MFA,
                    mfa_code_responses(username, code),
                    challenge.session,
                    admin=True,
                ),
                lambda s: s.as_response(),
            )

        step = self._with_retries(
            "the sign-in code",
            attempt,
            lambda: self._begin("AdminRespondToAuthChallenge", "try another code", optional=True),
        )
        self._show_step(step)
        if step.tokens is None:
            raise self.failure(f"expected tokens, Cognito answered {step.challenge_name}")
        return step

    def _remember_and_sign_in_with_device(self, signed_in: AuthStep) -> None:
        assert signed_in.tokens is not None
        device_steps = (
            "ConfirmDevice",
            "UpdateDeviceStatus",
            "InitiateAuth",
            "RespondToAuthChallenge",
            "RespondToAuthChallenge",
        )
        if signed_in.new_device is None:
            for action in device_steps:
                self._skip(action, "Cognito offered no device (device tracking is off)")
            return
        if not self.answers.remember_device():
            for action in device_steps:
                self._skip(action, "you chose not to remember this device")
            return
        self.tokens = signed_in.tokens
        device = self._confirm_device(signed_in.tokens, signed_in.new_device)
        step = self._sign_in_with_device_key(device)
        challenge = self._respond_device_srp_auth(device, step)
        self._respond_device_password_verifier(challenge)

    def _confirm_device(self, tokens: Tokens, new_device: NewDeviceMetadata) -> RememberedDevice:
        self._begin("ConfirmDevice", f"register device {new_device.device_key} (SRP verifier)")
        device, necessary = self._call(
            lambda: self.gateway.confirm_device(
                tokens.access_token, new_device, device_name=self.device_name
            ),
            lambda r: {"UserConfirmationNecessary": r[1]},
        )
        self._say(f"device confirmed; UserConfirmationNecessary: {necessary}")
        if necessary:
            self._begin("UpdateDeviceStatus", "remember the device")
            self._call(
                lambda: self.gateway.update_device_status(
                    tokens.access_token, device.device_key, remembered=True
                ),
                request={"DeviceRememberedStatus": "remembered"},
            )
            self._say("device remembered")
        else:
            self._skip("UpdateDeviceStatus", "Cognito remembered the device already")
        self.device = device
        return device

    def _sign_in_with_device_key(self, device: RememberedDevice) -> AuthStep:
        self._begin("InitiateAuth", "USER_PASSWORD_AUTH with DEVICE_KEY: expect DEVICE_SRP_AUTH")
        step = self._call(
            lambda: self.gateway.initiate_auth(
                self.user.username, self.user.password, device_key=device.device_key
            ),
            lambda s: s.as_response(),
        )
        self._show_step(step)
        if step.challenge_name != DEVICE_SRP_AUTH:
            raise self.failure(
                f"expected DEVICE_SRP_AUTH, Cognito answered "
                f"{step.challenge_name or 'tokens'}: the device is not remembered"
            )
        return step

    def _respond_device_srp_auth(
        self, device: RememberedDevice, step: AuthStep
    ) -> DeviceSrpChallenge:
        self._begin("RespondToAuthChallenge", "DEVICE_SRP_AUTH: send SRP_A for the device")
        username = step.challenge_username(self.user.username)
        challenge = self._call(
            lambda: start_device_srp(self.gateway, username, device, step.session or ""),
            lambda c: c.step.as_response(),
        )
        self._show_step(challenge.step)
        return challenge

    def _respond_device_password_verifier(self, challenge: DeviceSrpChallenge) -> None:
        self._begin(
            "RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER: prove the device's password"
        )
        step = self._call(
            lambda: answer_device_password_verifier(self.gateway, challenge),
            lambda s: s.as_response(),
        )
        self._show_step(step)
        if step.tokens is None:
            raise self.failure(f"expected tokens, Cognito answered {step.challenge_name}")
        self._say("signed in with the remembered device: no MFA code was asked")


@contextlib.contextmanager
def cognito_settings(
    endpoint: str | None,
    user_pool_id: str | None,
    client_id: str | None,
    *,
    passwordless: bool = False,
) -> Iterator[tuple[CognitoSettings, bool]]:
    """The settings to run against, and whether that Cognito is local (outbox readable).

    Environment first (CognitoSettings.from_env); ``--endpoint`` and the id options override
    it. With no pool configured and no endpoint, a local Cognito is started in this process
    for the length of the run (``passwordless``: with a pool from the template where MFA is
    optional, as an emailed sign-in code needs).
    """
    try:
        settings = CognitoSettings.from_env()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    overrides: dict[str, Any] = {}
    if endpoint:
        overrides["endpoint_url"] = endpoint
    if user_pool_id:
        overrides["user_pool_id"] = user_pool_id
    if client_id:
        overrides["client_id"] = client_id
    if overrides:
        settings = _replace(settings, **overrides)
    if settings.is_configured:
        yield settings, _has_outbox(settings.endpoint_url)
        return
    if settings.endpoint_url:
        raise click.UsageError(
            "--endpoint needs the pool and client ids too: set COGNITO_USER_POOL_ID and "
            "COGNITO_CLIENT_ID (or --user-pool-id/--client-id); `bff local-cognito --json` "
            "prints them."
        )
    from local_cognito import LocalCognito

    click.echo("No COGNITO_USER_POOL_ID set: starting a local Cognito in this process.")
    local = LocalCognito()
    info = local.start()
    if passwordless:
        info = local.provision(parameters={"MfaConfiguration": "OPTIONAL"})
    try:
        yield info.cognito_settings(), True
    finally:
        local.stop()


def _replace(settings: CognitoSettings, **changes: Any) -> CognitoSettings:
    from dataclasses import replace

    return replace(settings, **changes)


def _has_outbox(endpoint_url: str | None) -> bool:
    """True when ``endpoint_url`` is a local Cognito (its outbox answers)."""
    if not endpoint_url:
        return False
    from bff.local_outbox import OutboxError, read_outbox

    try:
        read_outbox(endpoint_url, to="outbox-probe@invalid", timeout=2.0)
    except OutboxError:
        return False
    return True


def _suffix() -> str:
    return secrets.token_hex(4)


@click.command("scenario")
@click.option("-i", "--interactive", is_flag=True, help="Ask for names, password and codes.")
@click.option("--endpoint", metavar="URL", help="A running local Cognito (or other endpoint).")
@click.option("--user-pool-id", help="Overrides COGNITO_USER_POOL_ID.")
@click.option("--client-id", help="Overrides COGNITO_CLIENT_ID.")
@click.option("--username", help="User name to sign up (default: a new random one).")
@click.option("--email", help="Email address (default: <username>@example.com).")
@click.option("--device-name", default=DEVICE_NAME, show_default=True, help="Name of the device.")
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the flow's journal (JSON, for `bff replay`) to this file.",
)
@click.option(
    "--passwordless",
    is_flag=True,
    help="Sign in with a code emailed to the user instead (choice-based sign-in, USER_AUTH); "
    "the pool must not require MFA.",
)
def scenario_command(
    interactive: bool,
    endpoint: str | None,
    user_pool_id: str | None,
    client_id: str | None,
    username: str | None,
    email: str | None,
    device_name: str,
    journal_path: Path | None,
    passwordless: bool,
) -> None:
    """Run the sign-up + TOTP MFA + remembered-device scenario against Cognito
    (--passwordless: sign-up, then sign-in with an emailed code).

    Straight through by default (against the local Cognito: codes from its outbox, TOTP by
    pyotp); --interactive asks each question instead. The password comes from the prompt
    (--interactive), else from BFF_SCENARIO_PASSWORD, else it is generated; it is never
    printed.
    """
    with cognito_settings(endpoint, user_pool_id, client_id, passwordless=passwordless) as (
        settings,
        local,
    ):
        where = settings.endpoint_url or f"Cognito in {settings.region} (AWS)"
        click.echo(f"Cognito: {where}, pool {settings.user_pool_id}, client {settings.client_id}")
        if not interactive and not local:
            raise ScenarioFailed(
                "straight through needs the confirmation code Cognito emails and this "
                f"program cannot read email at {where}. Run `bff scenario --interactive` to "
                "type the codes in."
            )
        user = _user(interactive, username, email)
        answers: Answers = (
            PromptAnswers()
            if interactive
            else StraightAnswers(
                outbox_endpoint=settings.endpoint_url,
                allow_next_totp_step=local,
                on_wait=lambda s: click.echo(
                    f"        waiting {s:.0f} s for a fresh TOTP code (a code works only once)"
                    if not local
                    else f"        moving the local Cognito's clock {s:.0f} s on to a fresh "
                    "TOTP code (a code works only once)"
                ),
                local_clock=LocalClock(settings.endpoint_url)
                if local and settings.endpoint_url
                else None,
            )
        )
        try:
            gateway = CognitoGateway.from_settings(settings)
        except SettingsError as exc:
            raise click.UsageError(str(exc)) from exc
        if passwordless:
            from bff_tools.passwordless import PasswordlessScenario

            scenario: Scenario = PasswordlessScenario(gateway, user, answers)
        else:
            scenario = Scenario(gateway, user, answers, device_name=device_name)
        try:
            flow = scenario.run()
        finally:
            if journal_path is not None:
                journal_path.write_text(scenario.flow.journal_json() + "\n", encoding="utf-8")
                click.echo(f"Journal written to {journal_path}")
        click.echo(f"Final state: {flow.state}")


def _user(interactive: bool, username: str | None, email: str | None) -> ScenarioUser:
    default_name = username or f"scenario-{_suffix()}"
    if interactive:
        name = username or click.prompt("User name", default=default_name)
        address = email or click.prompt("Email address", default=f"{name}@example.com")
        return ScenarioUser(name, address, ask_password())
    password = os.environ.get(PASSWORD_ENV) or generate_password()
    return ScenarioUser(default_name, email or f"{default_name}@example.com", password)
