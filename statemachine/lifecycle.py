"""The Cognito sign-in lifecycle: its states, its triggers, and the one machine built from them.

The machine is data (``STATES`` and ``TRANSITIONS``), as transitions' README recommends. It is
built once at import (``MACHINE``); a flow is attached to it only for the duration of a trigger
(see ``statemachine.flow.Flow.fire``), so the machine never keeps a flow alive and building a
machine per flow (about 0.3 ms each) never happens.

Everything else is derived from this module: the API's allowed next steps, the Mermaid diagram
in docs/, replay, and the tests' tables.
"""

from __future__ import annotations

from typing import Any, Final

from transitions import Machine

from .challenges import (
    CHALLENGE_STATES,
    CHALLENGES,
    MFA_SETUP,
    SELECT_CHALLENGE,
    Challenge,
)

# The states, in the order a reader meets them; the challenge states come from the
# challenge registry (statemachine.challenges).
NEW: Final = "NEW"
SIGNED_UP: Final = "SIGNED_UP"
CONFIRMED: Final = "CONFIRMED"
AUTHENTICATED: Final = "AUTHENTICATED"
SIGNED_OUT: Final = "SIGNED_OUT"
EXPIRED: Final = "EXPIRED"
RESET_CODE_SENT: Final = "RESET_CODE_SENT"
TEMPORARY_PASSWORD_EXPIRED: Final = "TEMPORARY_PASSWORD_EXPIRED"
TEMPORARY_PASSWORD_SENT: Final = "TEMPORARY_PASSWORD_SENT"

STATES: Final[tuple[str, ...]] = (
    NEW,
    SIGNED_UP,
    CONFIRMED,
    *CHALLENGE_STATES,
    AUTHENTICATED,
    SIGNED_OUT,
    EXPIRED,
    RESET_CODE_SENT,
    TEMPORARY_PASSWORD_EXPIRED,
    TEMPORARY_PASSWORD_SENT,
)

#: What each state means; docs/auth-lifecycle.md is generated from this.
STATE_DESCRIPTIONS: Final[dict[str, str]] = {
    NEW: "The flow exists but nothing has happened at Cognito yet (initial state).",
    SIGNED_UP: "SignUp succeeded; the user is UNCONFIRMED and must enter the emailed code.",
    CONFIRMED: "The user is confirmed and can sign in.",
    **{c.name: c.state_doc for c in CHALLENGES if c.state_doc is not None},
    AUTHENTICATED: "Cognito issued tokens (kept on the server, never sent to the browser).",
    SIGNED_OUT: "The user signed out; tokens are revoked. An end: a new sign-in is a new flow.",
    EXPIRED: "Cognito's challenge session (or the refresh token) expired; sign-in restarts.",
    RESET_CODE_SENT: "A password reset code was emailed (forgot password, or an administrator "
    "reset the password); enter it with a new password.",
    TEMPORARY_PASSWORD_EXPIRED: "Sign-in found the temporary password expired; ask for a new one.",
    TEMPORARY_PASSWORD_SENT: "A new temporary password was emailed; sign in with it.",
}

#: States from which a sign-in may start (or start again). MFA_SETUP is one because Cognito's
#: own scenario signs in again after VerifySoftwareToken instead of answering MFA_SETUP;
#: AUTHENTICATED because it signs in again to use the remembered device. SIGNED_OUT is an end:
#: signing in after signing out is a new flow. The recovery states are sources too: a user
#: who remembers the password, or got a new temporary one, signs in from there.
SIGN_IN_SOURCES: Final[tuple[str, ...]] = (
    NEW,
    CONFIRMED,
    MFA_SETUP,
    AUTHENTICATED,
    EXPIRED,
    RESET_CODE_SENT,
    TEMPORARY_PASSWORD_EXPIRED,
    TEMPORARY_PASSWORD_SENT,
)

#: Where Cognito checks a password: a sign-in, and the answer to choice-based sign-in's
#: SELECT_CHALLENGE with a password factor. What a sign-in can lead to (a challenge, a
#: required reset, an expired temporary password) can follow either.
PASSWORD_CHECKS: Final[tuple[str, ...]] = (*SIGN_IN_SOURCES, SELECT_CHALLENGE)

#: States from which "forgot password" may start (or ask for another code): the signed-out
#: ones. From any other state it starts a new flow.
RECOVERY_SOURCES: Final[tuple[str, ...]] = (
    NEW,
    CONFIRMED,
    EXPIRED,
    RESET_CODE_SENT,
    TEMPORARY_PASSWORD_EXPIRED,
    TEMPORARY_PASSWORD_SENT,
)

#: Triggers that keep the state and count an attempt in it.
ATTEMPT_TRIGGERS: Final[frozenset[str]] = frozenset({"code_rejected", "credentials_rejected"})

REFLEXIVE: Final = "="


def _t(trigger: str, source: str | tuple[str, ...], dest: str, doc: str) -> dict[str, Any]:
    sources = [source] if isinstance(source, str) else list(dict.fromkeys(source))
    return {"trigger": trigger, "source": sources, "dest": dest, "doc": doc}


def _challenge_transition(challenge: Challenge) -> dict[str, Any]:
    """A challenge's arrival: from a sign-in, or from the answer to an earlier challenge,
    into its state (or, for one the BFF answers within the step, back where it was)."""
    from_sign_in = challenge.from_sign_in and challenge.name != SELECT_CHALLENGE
    sources = (
        *(PASSWORD_CHECKS if from_sign_in else ()),
        *(SIGN_IN_SOURCES if challenge.name == SELECT_CHALLENGE else ()),
        *challenge.after,
    )
    return _t(challenge.trigger, sources, challenge.state or REFLEXIVE, challenge.trigger_doc)


def _challenge_transitions() -> list[dict[str, Any]]:
    return [_challenge_transition(challenge) for challenge in CHALLENGES]


def _rejecting(trigger: str) -> tuple[str, ...]:
    """The challenge states in which a failed answer fires ``trigger``."""
    return tuple(c.name for c in CHALLENGES if c.state and trigger in c.rejections)


TRANSITIONS: Final[list[dict[str, Any]]] = [
    _t("signed_up", NEW, SIGNED_UP, "SignUp answered UserConfirmed=false: a code was emailed."),
    _t("signed_up_confirmed", NEW, CONFIRMED, "SignUp answered UserConfirmed=true."),
    _t("code_resent", (NEW, SIGNED_UP), SIGNED_UP, "ResendConfirmationCode sent another code."),
    _t(
        "confirmed",
        (NEW, SIGNED_UP),
        CONFIRMED,
        "ConfirmSignUp accepted the code (or AdminGetUser found the user CONFIRMED).",
    ),
    _t(
        "user_not_confirmed",
        (NEW, SIGNED_UP),
        SIGNED_UP,
        "Sign-in answered UserNotConfirmedException (or AdminGetUser found UNCONFIRMED).",
    ),
    *_challenge_transitions(),
    _t(
        "authenticated",
        (*SIGN_IN_SOURCES, *CHALLENGE_STATES),
        AUTHENTICATED,
        "Cognito returned an AuthenticationResult (tokens).",
    ),
    _t(
        "signed_in_with_oauth",
        NEW,
        AUTHENTICATED,
        "The token endpoint (/oauth2/token) redeemed an authorization code from managed "
        "login or a federated identity provider: tokens, the ID token checked.",
    ),
    _t(
        "password_reset_required",
        PASSWORD_CHECKS,
        RESET_CODE_SENT,
        "Sign-in answered PasswordResetRequiredException: an administrator reset the password "
        "(AdminResetUserPassword) and Cognito emailed a reset code.",
    ),
    _t(
        "temporary_password_expired",
        PASSWORD_CHECKS,
        TEMPORARY_PASSWORD_EXPIRED,
        "Sign-in answered that the temporary password has expired.",
    ),
    _t(
        "temporary_password_resent",
        (NEW, TEMPORARY_PASSWORD_EXPIRED, TEMPORARY_PASSWORD_SENT),
        TEMPORARY_PASSWORD_SENT,
        "AdminCreateUser with MessageAction=RESEND emailed a new temporary password (the "
        "same answer when there is no such account).",
    ),
    _t(
        "reset_code_sent",
        RECOVERY_SOURCES,
        RESET_CODE_SENT,
        "ForgotPassword emailed a reset code (an unknown user gets the same answer).",
    ),
    _t(
        "password_reset",
        (NEW, RESET_CODE_SENT),
        CONFIRMED,
        "ConfirmForgotPassword accepted the code and set the new password.",
    ),
    _t(
        "software_token_associated",
        (MFA_SETUP, AUTHENTICATED),
        REFLEXIVE,
        "AssociateSoftwareToken issued a TOTP secret for the authenticator app.",
    ),
    _t(
        "software_token_verified",
        (MFA_SETUP, AUTHENTICATED),
        REFLEXIVE,
        "VerifySoftwareToken accepted the first TOTP code.",
    ),
    _t(
        "code_rejected",
        (NEW, SIGNED_UP, *_rejecting("code_rejected"), AUTHENTICATED, RESET_CODE_SENT),
        REFLEXIVE,
        "A wrong, expired or reused code: same state, one more attempt counted.",
    ),
    _t(
        "password_rejected",
        (NEW, *_rejecting("password_rejected"), RESET_CODE_SENT, AUTHENTICATED),
        REFLEXIVE,
        "The new password breaks the pool's policy (InvalidPasswordException): same state.",
    ),
    _t(
        "attempts_exceeded",
        tuple(s for s in STATES if s != SIGNED_OUT),
        REFLEXIVE,
        "Cognito refused for too many attempts (LimitExceededException, "
        "TooManyFailedAttemptsException, Password attempts exceeded): same state, try later.",
    ),
    _t(
        "credentials_rejected",
        (*SIGN_IN_SOURCES, *_rejecting("credentials_rejected")),
        REFLEXIVE,
        "Cognito answered NotAuthorized (wrong password or device secret): attempt counted.",
    ),
    _t(
        "device_confirmed",
        AUTHENTICATED,
        REFLEXIVE,
        "ConfirmDevice registered the device; remembering it awaits the user's choice.",
    ),
    _t(
        "device_remembered",
        AUTHENTICATED,
        REFLEXIVE,
        "The device is remembered (ConfirmDevice or UpdateDeviceStatus remembered).",
    ),
    _t(
        "device_not_remembered",
        AUTHENTICATED,
        REFLEXIVE,
        "UpdateDeviceStatus not_remembered: the next sign-in asks for MFA again.",
    ),
    _t("device_forgotten", AUTHENTICATED, REFLEXIVE, "ForgetDevice removed the device."),
    _t(
        "password_changed",
        AUTHENTICATED,
        REFLEXIVE,
        "ChangePassword replaced the signed-in user's password.",
    ),
    _t(
        "mfa_status_read",
        AUTHENTICATED,
        REFLEXIVE,
        "GetUser may read the signed-in user's MFA settings here. A read: the BFF checks "
        "that it may fire and journals nothing; journals of earlier versions replay.",
    ),
    _t(
        "passkey_registered",
        AUTHENTICATED,
        REFLEXIVE,
        "CompleteWebAuthnRegistration: Cognito verified and kept a new passkey of the user.",
    ),
    _t(
        "passkey_deleted",
        AUTHENTICATED,
        REFLEXIVE,
        "DeleteWebAuthnCredential: one of the user's passkeys can no longer sign in.",
    ),
    _t(
        "mfa_preference_set",
        AUTHENTICATED,
        REFLEXIVE,
        "SetUserMFAPreference made the (new) authenticator app the preferred MFA.",
    ),
    _t(
        "signed_out",
        tuple(s for s in STATES if s not in (NEW, SIGNED_OUT)),
        SIGNED_OUT,
        "RevokeToken (this browser's tokens), or the user abandoned the flow.",
    ),
    _t(
        "signed_out_everywhere",
        AUTHENTICATED,
        SIGNED_OUT,
        "GlobalSignOut: the user's tokens are revoked everywhere; every BFF session ends.",
    ),
    _t(
        "session_expired",
        (*CHALLENGE_STATES, AUTHENTICATED),
        EXPIRED,
        "Cognito answered that the session (or refresh token) expired.",
    ),
]

TRIGGERS: Final[tuple[str, ...]] = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))
TRIGGER_DESCRIPTIONS: Final[dict[str, str]] = {t["trigger"]: t["doc"] for t in TRANSITIONS}


def _build_machine() -> Machine:
    machine = Machine(
        model=None,
        states=list(STATES),
        initial=NEW,
        transitions=[{k: v for k, v in t.items() if k != "doc"} for t in TRANSITIONS],
        auto_transitions=False,
        send_event=True,
    )
    return machine


#: The one machine. Flows are dispatched through it; it keeps no reference to them.
MACHINE: Final[Machine] = _build_machine()


#: The triggers each state allows, in definition order: the machine never changes, so this
#: is worked out once instead of on every step (each step asks several times).
_ALLOWED: Final[dict[str, tuple[str, ...]]] = {
    state: tuple(t for t in TRIGGERS if state in MACHINE.events[t].transitions) for state in STATES
}


def allowed_triggers(state: str) -> list[str]:
    """The triggers that may fire from ``state``, in definition order."""
    try:
        return list(_ALLOWED[state])
    except KeyError:
        raise ValueError(f"unknown state {state!r}") from None


def may_fire(trigger: str, state: str) -> bool:
    """Whether ``trigger`` may fire from ``state`` (False for an unknown state)."""
    return trigger in _ALLOWED.get(state, ())


def destination(trigger: str, state: str) -> str:
    """Where ``trigger`` leads from ``state`` (the state itself for a reflexive trigger)."""
    for transition in MACHINE.events[trigger].transitions.get(state, []):
        return str(transition.dest) if transition.dest is not None else state
    raise KeyError(f"{trigger} is not allowed from {state}")


def edges() -> list[tuple[str, str, str]]:
    """Every (source, trigger, dest) edge of the machine, reflexive edges resolved."""
    result: list[tuple[str, str, str]] = []
    for transition in TRANSITIONS:
        for source in transition["source"]:
            dest = source if transition["dest"] == REFLEXIVE else transition["dest"]
            result.append((source, transition["trigger"], dest))
    return result
