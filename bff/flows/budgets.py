"""Failure budgets as the steps charge them: one budget per step kind, reserved before
Cognito is called and given back unless the answer was wrong.

Kinds and their keys (the numbers are settings: bff.security.budgets, docs/api.md):

- ``confirm``: wrong confirmation codes per username (ConfirmSignUp);
- ``reset``: wrong reset codes per username (ConfirmForgotPassword);
- ``mfa``: wrong answers per sign-in (every challenge answer: TOTP codes, the MFA set-up
  code, ...), keyed by the sign-in in progress (``sign_in_key``), never by the username:
  only whoever got past the password reaches the challenge, so a stranger naming the
  username cannot spend it;
- ``mail_reset``, ``mail_confirm``, ``mail_temporary``: codes and temporary passwords mailed
  per username (``may_mail``).

Usernames are counted in their one normal form (bff.usernames), so no spelling of a name
has a budget of its own. The counting itself lives with the rate limits
(bff.security.budgets); the flows see only ``Budgets``, and without rate limits
``UNLIMITED``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Final, Protocol

from bff.errors import AttemptLimitExceeded, CodeMismatch, ExpiredCode, NotAuthorized, RateLimited
from bff.usernames import canonical_username
from statemachine import Flow

#: What a wrong answer raises: kept against the budget. Any other outcome (success, a weak
#: new password, an outage, a lost race for the step) gives the reservation back.
FAILURES: Final = (CodeMismatch, ExpiredCode, NotAuthorized, AttemptLimitExceeded)


class Reservation(Protocol):
    def release(self) -> None:
        """Give the reserved failure back (the step did not fail)."""


class Budgets(Protocol):
    def reserve(self, kind: str, key: str) -> Reservation:
        """Count one failure of ``kind`` for ``key`` now; ``RateLimited`` (429 with
        ``Retry-After``) when the budget is spent, and then nothing is counted."""


class _Nothing:
    def release(self) -> None:
        return None


class _Unlimited:
    def reserve(self, kind: str, key: str) -> Reservation:
        return _Nothing()


#: The budgets of an app without rate limits (``BFF_RATELIMIT_ENABLED=false``).
UNLIMITED: Final[Budgets] = _Unlimited()


@contextmanager
def charged(budgets: Budgets, kind: str, key: str) -> Iterator[None]:
    """Reserve a failure of ``kind`` for ``key`` around a Cognito call: kept when the call
    raises one of ``FAILURES``, given back otherwise. Reserving first is what makes the
    budget hold under a burst: N concurrent wrong answers need N reservations."""
    reservation = budgets.reserve(kind, key)
    try:
        yield
    except FAILURES:
        raise
    except BaseException:
        reservation.release()
        raise
    reservation.release()


def for_username(budgets: Budgets, kind: str, username: str) -> AbstractContextManager[None]:
    """``charged`` per username, in its normal form."""
    return charged(budgets, kind, canonical_username(username))


def sign_in_key(flow: Flow) -> str:
    """The sign-in in progress: the flow and the journal entry of its latest InitiateAuth,
    so every new sign-in (the password again) has a budget of its own."""
    started = next(
        (entry.seq for entry in reversed(flow.journal) if entry.action == "InitiateAuth"), 0
    )
    return f"{flow.id}:{started}"


@contextmanager
def mailing(budgets: Budgets, kind: str, username: str) -> Iterator[bool]:
    """Whether a code (or temporary password) may be mailed to ``username`` now, counted
    per username whether or not the account exists. When not, the step answers as if it
    had been sent, so the answer tells nobody anything and a stranger's requests cannot
    turn into a refusal of the user's own: the code mailed last, within the budget's
    window, is still valid (reset codes for an hour, confirmation codes for a day:
    Cognito's documented validity). A step that ends in an error gives the mail back."""
    try:
        reservation = budgets.reserve(kind, canonical_username(username))
    except RateLimited:
        yield False
        return
    try:
        yield True
    except BaseException:
        reservation.release()
        raise


#: Whether Cognito accepted a password during the current step (``password_accepted``).
_PASSWORD_ACCEPTED: ContextVar[bool] = ContextVar("bff_password_accepted", default=False)


def password_accepted() -> None:
    """Say that Cognito accepted the password this step sent (a sign-in, a password
    factor): only then does the sign-in delay reset (bff.security.throttle)."""
    _PASSWORD_ACCEPTED.set(True)


@contextmanager
def watching_passwords() -> Iterator[Callable[[], bool]]:
    """Around one step: yields whether Cognito accepted a password within it. A step that
    succeeds without a password (an emailed code chosen, an unknown user's factors) must
    not reset what wrong passwords counted."""
    token = _PASSWORD_ACCEPTED.set(False)
    try:
        yield _PASSWORD_ACCEPTED.get
    finally:
        _PASSWORD_ACCEPTED.reset(token)
