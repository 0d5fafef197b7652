"""The API's step names, derived from the lifecycle machine through one table.

The lifecycle (statemachine.lifecycle) speaks in *triggers*: what a Cognito answer means
("confirmed", "mfa_setup_required"...). The SPA speaks in *steps*: what it may submit next
("confirm", "mfa_code"...). ``STEPS`` is the one table between them. Each step is tied to one
trigger in one of two ways:

* ``fires``: the step is the action whose outcome fires that trigger, so the step is offered
  exactly where the machine allows the trigger (``confirm`` ↔ ``confirmed``);
* ``answers``: the step answers the challenge that trigger entered, so it is offered exactly
  in the trigger's destination state (``mfa_code`` answers ``software_token_mfa_required``
  and is offered in SOFTWARE_TOKEN_MFA). The lifecycle has no trigger unique to answering a
  challenge (the answer's outcomes, tokens or the next challenge, are shared with sign-in),
  hence the second kind.

Nothing here is hand-listed per state: a new state or transition in the machine changes the
next steps without touching this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from statemachine import STATES, TRANSITIONS, may_fire
from statemachine.challenges import CHALLENGES

Kind = Literal["fires", "answers"]


@dataclass(frozen=True)
class Step:
    name: str
    trigger: str
    kind: Kind
    description: str


STEPS: Final[tuple[Step, ...]] = (
    Step("sign_up", "signed_up", "fires", "Create an account (SignUp)."),
    Step("confirm", "confirmed", "fires", "Confirm the sign-up with the emailed code."),
    Step("resend_code", "code_resent", "fires", "Email another confirmation code."),
    # Any sign-in first proves the password; this reflexive trigger has exactly the
    # machine's sign-in sources.
    Step("sign_in", "password_verifier_required", "fires", "Sign in with username + password."),
    # Choice-based sign-in starts where a sign-in may: its SELECT_CHALLENGE trigger has the
    # machine's sign-in sources.
    Step(
        "sign_in_choice",
        "factor_selection_required",
        "fires",
        "Start a choice-based sign-in (USER_AUTH): a username, optionally a preferred factor.",
    ),
    Step(
        "forgot_password",
        "reset_code_sent",
        "fires",
        "Forgot the password: email a reset code (ForgotPassword).",
    ),
    Step(
        "reset_password",
        "password_reset",
        "fires",
        "Set a new password with the emailed reset code (ConfirmForgotPassword).",
    ),
    Step(
        "resend_temporary_password",
        "temporary_password_resent",
        "fires",
        "Email a new temporary password (AdminCreateUser, MessageAction=RESEND).",
    ),
    # The challenge answers, from the challenge registry, each offered in its state.
    *(Step(c.step, c.trigger, "answers", c.step_doc) for c in CHALLENGES if c.step is not None),
    Step(
        "remember_device",
        "device_remembered",
        "fires",
        "Remember this browser (next sign-ins skip MFA) or not.",
    ),
    Step(
        "change_password",
        "password_changed",
        "fires",
        "Signed in: change the password (ChangePassword).",
    ),
    Step("mfa_status", "mfa_status_read", "fires", "Signed in: read the MFA settings (GetUser)."),
    Step(
        "auth_factors",
        "mfa_status_read",
        "fires",
        "Signed in: read the sign-in factors and MFA settings (GetUserAuthFactors).",
    ),
    # Both authenticator steps end in SetUserMFAPreference, which only a signed-in user may
    # call: they are offered where the machine allows it.
    Step(
        "replace_authenticator",
        "mfa_preference_set",
        "fires",
        "Signed in: a new TOTP secret for a new authenticator app (AssociateSoftwareToken).",
    ),
    Step(
        "verify_authenticator",
        "mfa_preference_set",
        "fires",
        "Signed in: the new app's first code (VerifySoftwareToken, SetUserMFAPreference).",
    ),
    Step(
        "set_mfa_preference",
        "mfa_preference_set",
        "fires",
        "Signed in: turn an MFA factor on or off, or make it preferred (SetUserMFAPreference).",
    ),
    Step("sign_out", "signed_out", "fires", "Sign out: revoke the tokens, end the session."),
    Step(
        "sign_out_everywhere",
        "signed_out_everywhere",
        "fires",
        "Signed in: sign out of every browser (GlobalSignOut; every session ends).",
    ),
)

STEP_NAMES: Final[tuple[str, ...]] = tuple(step.name for step in STEPS)
_BY_NAME: Final[dict[str, Step]] = {step.name: step for step in STEPS}


def _destinations(trigger: str) -> frozenset[str]:
    return frozenset(t["dest"] for t in TRANSITIONS if t["trigger"] == trigger)


def step(name: str) -> Step:
    """The step called ``name`` (KeyError for an unknown one)."""
    return _BY_NAME[name]


def _allowed(entry: Step, state: str) -> bool:
    if entry.kind == "fires":
        return may_fire(entry.trigger, state)
    return state in _destinations(entry.trigger)


#: Every (step, state) answer, worked out once: the table and the machine never change.
_ALLOWED_STEPS: Final[dict[str, frozenset[str]]] = {
    state: frozenset(entry.name for entry in STEPS if _allowed(entry, state)) for state in STATES
}
_NEXT_STEPS: Final[dict[str, tuple[str, ...]]] = {
    state: tuple(entry.name for entry in STEPS if entry.name in _ALLOWED_STEPS[state])
    for state in STATES
}


def step_allowed(name: str, state: str) -> bool:
    """Whether the step ``name`` may be submitted from ``state``."""
    entry = _BY_NAME[name]  # KeyError for an unknown step, as before
    allowed = _ALLOWED_STEPS.get(state)
    return entry.name in allowed if allowed is not None else _allowed(entry, state)


def next_steps(state: str, *, exclude: frozenset[str] = frozenset()) -> list[str]:
    """The steps allowed from ``state``, in table order, minus ``exclude``."""
    names = _NEXT_STEPS.get(state)
    if names is None:
        return [s.name for s in STEPS if s.name not in exclude and _allowed(s, state)]
    return [name for name in names if name not in exclude]
