"""The journeys a reviewer reads one at a time, each a walk through the machine, not a drawing.

A journey is one or more walks (a start state and the triggers fired one after another), the
triggers that may happen on the way (retries, expiry: drawn from every state a walk leaves)
and at the end (device management, token refresh: drawn from the states where walks end).
Each step's destination is asked of the machine (``destination``), so a walk the machine does
not allow raises ``JourneyError`` and the generated docs cannot be built; the other triggers
are drawn wherever the machine allows them between the states the walks visit.
``statemachine.mermaid.journey_diagram`` draws a journey like the full diagram.

Every trigger of the machine is in at least one journey, and every trigger a journey lists
draws at least one edge in it (tests/lifecycle/test_journeys.py): a new trigger fails the
tests until it is placed in a journey. To add a journey, append a ``Journey`` to
``JOURNEYS``; ``bff docs`` adds its diagram to docs/auth-lifecycle.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .lifecycle import (
    AUTHENTICATED,
    CONFIRMED,
    NEW,
    RESET_CODE_SENT,
    STATES,
    TRIGGERS,
    allowed_triggers,
    destination,
)

Edge = tuple[str, str, str]  # (source, trigger, dest)


class JourneyError(ValueError):
    """A journey asks for a step the machine does not allow."""


@dataclass(frozen=True)
class Walk:
    """From ``start``, fire ``triggers`` one after another."""

    start: str
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class Journey:
    name: str
    title: str
    summary: str
    walks: tuple[Walk, ...]
    on_the_way: tuple[str, ...] = ()
    at_the_end: tuple[str, ...] = ()

    @property
    def starts(self) -> list[str]:
        return list(dict.fromkeys(walk.start for walk in self.walks))

    def triggers(self) -> set[str]:
        """Every trigger this journey names."""
        walked = {t for walk in self.walks for t in walk.triggers}
        return walked | set(self.on_the_way) | set(self.at_the_end)

    def _walked(self) -> list[Edge]:
        walked: list[Edge] = []
        for walk in self.walks:
            state = walk.start
            for trigger in walk.triggers:
                try:
                    dest = destination(trigger, state)
                except KeyError:
                    raise JourneyError(
                        f"journey {self.name!r}: {trigger} is not allowed from {state}"
                    ) from None
                walked.append((state, trigger, dest))
                state = dest
        return walked

    def states(self) -> list[str]:
        """The states the walks visit, in the machine's order."""
        visited = set(self.starts) | {s for edge in self._walked() for s in (edge[0], edge[2])}
        return [s for s in STATES if s in visited]

    def edges(self) -> list[Edge]:
        """The walks' edges, then those of the triggers on the way and at the end."""
        walked = self._walked()
        states = self.states()
        left = {source for source, _, _ in walked}
        ends = {self._end(walk) for walk in self.walks}
        found = list(walked)
        for state in states:
            allowed = allowed_triggers(state)
            extra = (self.on_the_way if state in left else ()) + (
                self.at_the_end if state in ends else ()
            )
            for trigger in extra:
                if trigger in allowed and destination(trigger, state) in states:
                    found.append((state, trigger, destination(trigger, state)))
        return list(dict.fromkeys(found))

    @staticmethod
    def _end(walk: Walk) -> str:
        state = walk.start
        for trigger in walk.triggers:
            state = destination(trigger, state)
        return state


_RETRIES = ("password_verifier_required", "credentials_rejected", "code_rejected")

JOURNEYS: Final[tuple[Journey, ...]] = (
    Journey(
        name="sign-up",
        title="Sign-up",
        summary="SignUp, the emailed code (resent if needed), the confirmed account; a "
        "sign-in of an unconfirmed user comes back here.",
        walks=(
            Walk(NEW, ("signed_up", "code_resent", "confirmed")),
            Walk(NEW, ("signed_up_confirmed",)),
            Walk(NEW, ("user_not_confirmed", "confirmed")),
        ),
        on_the_way=("code_rejected",),
    ),
    Journey(
        name="managed-login",
        title="Managed login and federation",
        summary="The browser leaves for the pool's managed login page (or straight for a "
        "federated identity provider) and comes back with an authorization code, which the "
        "BFF redeems at the token endpoint: signed in, in the same kind of session as a "
        "step-by-step sign-in, refreshed the same way.",
        walks=(Walk(NEW, ("signed_in_with_oauth",)),),
        at_the_end=("authenticated",),  # refreshing the tokens
    ),
    Journey(
        name="temporary-password",
        title="Temporary password",
        summary="An account created by an admin or the PandaDoc webhook: the first sign-in "
        "with the emailed temporary password asks for a new one, then (MFA required) for an "
        "authenticator app.",
        walks=(
            Walk(
                NEW,
                (
                    "new_password_required",
                    "mfa_setup_required",
                    "software_token_associated",
                    "software_token_verified",
                    "authenticated",
                ),
            ),
            Walk(NEW, ("new_password_required", "authenticated")),  # a pool without MFA
        ),
        on_the_way=_RETRIES,
    ),
    Journey(
        name="mfa",
        title="MFA set-up, then sign-in with a TOTP code",
        summary="The first sign-in registers an authenticator app (MFA_SETUP); signing in "
        "again, or any later sign-in, asks for its code (SOFTWARE_TOKEN_MFA).",
        walks=(
            Walk(
                CONFIRMED,
                (
                    "mfa_setup_required",
                    "software_token_associated",
                    "software_token_verified",
                    "authenticated",
                ),
            ),
            Walk(CONFIRMED, ("mfa_setup_required", "software_token_mfa_required")),
            Walk(CONFIRMED, ("software_token_mfa_required", "authenticated")),
        ),
        on_the_way=_RETRIES,
        at_the_end=("software_token_associated", "software_token_verified"),
    ),
    Journey(
        name="passkey-sign-in",
        title="Choice-based sign-in with a passkey",
        summary="The user picks the passkey among the factors (SELECT_CHALLENGE) or prefers it "
        "at once; Cognito sends CREDENTIAL_REQUEST_OPTIONS (WEB_AUTHN), the browser signs "
        "them (navigator.credentials.get), and Cognito verifies the assertion against the "
        "stored public key: tokens, no password.",
        walks=(
            Walk(NEW, ("factor_selection_required", "web_authn_required", "authenticated")),
            Walk(NEW, ("web_authn_required", "authenticated")),
        ),
        on_the_way=("credentials_rejected",),
    ),
    Journey(
        name="passwordless",
        title="Choice-based sign-in: an emailed or texted code, or the password",
        summary="Choice-based sign-in (USER_AUTH) offers the user's factors (SELECT_CHALLENGE); "
        "an emailed or texted code signs in without a password (EMAIL_OTP, SMS_OTP), the "
        "password (plain or "
        "SRP) as before. A preferred factor skips the choice. Email is also an MFA after "
        "the password.",
        walks=(
            Walk(NEW, ("factor_selection_required", "email_otp_required", "authenticated")),
            Walk(NEW, ("email_otp_required", "authenticated")),
            Walk(NEW, ("factor_selection_required", "sms_otp_required", "authenticated")),
            Walk(NEW, ("sms_otp_required", "authenticated")),
            Walk(
                CONFIRMED,
                ("factor_selection_required", "password_factor_required", "authenticated"),
            ),
            Walk(CONFIRMED, ("factor_selection_required", "password_srp_required")),
            Walk(CONFIRMED, ("factor_selection_required", "software_token_mfa_required")),
        ),
        on_the_way=_RETRIES,
    ),
    Journey(
        name="mfa-choice",
        title="MFA by text message, and choosing among several factors",
        summary="A user with SMS MFA gets a texted code (SMS_MFA). A user with several MFA "
        "factors (authenticator app, text message, email) and none preferred picks one "
        "(SELECT_MFA_TYPE), then answers that factor's challenge. A remembered device skips "
        "both (see remembered-device).",
        walks=(
            Walk(CONFIRMED, ("sms_mfa_required", "authenticated")),
            Walk(CONFIRMED, ("mfa_type_selection_required", "sms_mfa_required", "authenticated")),
            Walk(
                CONFIRMED,
                ("mfa_type_selection_required", "software_token_mfa_required", "authenticated"),
            ),
            Walk(CONFIRMED, ("mfa_type_selection_required", "email_otp_required", "authenticated")),
        ),
        on_the_way=_RETRIES,
        at_the_end=("mfa_status_read", "mfa_preference_set"),
    ),
    Journey(
        name="remembered-device",
        title="Remembered device",
        summary="Signed in after MFA, the browser is remembered (ConfirmDevice, "
        "UpdateDeviceStatus); its next sign-in proves the device with SRP instead of asking "
        "for a code.",
        walks=(
            Walk(
                NEW, ("device_srp_required", "device_password_verifier_required", "authenticated")
            ),
        ),
        on_the_way=_RETRIES,
        at_the_end=(
            "device_confirmed",
            "device_remembered",
            "device_not_remembered",
            "device_forgotten",
        ),
    ),
    Journey(
        name="sign-out-and-expiry",
        title="Sign-out and expiry",
        summary="Signing out ends a flow. An expired Cognito session (a challenge's, or the "
        "refresh token) leads to EXPIRED, from which sign-in starts again. Every challenge "
        "state can expire or be abandoned (the full diagram shows them all).",
        walks=(
            Walk(AUTHENTICATED, ("signed_out",)),
            Walk(
                AUTHENTICATED, ("session_expired", "software_token_mfa_required", "authenticated")
            ),
        ),
        on_the_way=("signed_out", "session_expired", "authenticated"),
        at_the_end=("authenticated",),  # refreshing the tokens
    ),
    Journey(
        name="forgot-password",
        title="Forgot password, or an administrator's reset",
        summary="ForgotPassword emails a reset code (an unknown user gets the same answer); "
        "the code and a new password (ConfirmForgotPassword) confirm the account again. A "
        "sign-in after AdminResetUserPassword lands on the same path.",
        walks=(
            Walk(CONFIRMED, ("reset_code_sent", "reset_code_sent", "password_reset")),
            Walk(CONFIRMED, ("password_reset_required", "password_reset")),
            Walk(RESET_CODE_SENT, ("software_token_mfa_required",)),  # remembered after all
        ),
        on_the_way=("code_rejected", "password_rejected", "attempts_exceeded"),
    ),
    Journey(
        name="expired-temporary-password",
        title="Expired temporary password",
        summary="Signing in with an expired temporary password is refused with its own "
        "error; the user has a new one sent (AdminCreateUser RESEND) and signs in with it.",
        walks=(
            Walk(
                NEW,
                (
                    "temporary_password_expired",
                    "temporary_password_resent",
                    "temporary_password_resent",
                    "new_password_required",
                ),
            ),
        ),
        on_the_way=("credentials_rejected",),
    ),
    Journey(
        name="account",
        title="The signed-in account",
        summary="Change the password, read the MFA status, replace the authenticator app, "
        "register and delete passkeys, sign out of every browser.",
        walks=(
            Walk(
                AUTHENTICATED,
                (
                    "password_changed",
                    "mfa_status_read",
                    "software_token_associated",
                    "software_token_verified",
                    "mfa_preference_set",
                    "passkey_registered",
                    "passkey_deleted",
                    "signed_out_everywhere",
                ),
            ),
        ),
        on_the_way=("password_rejected", "credentials_rejected", "code_rejected"),
    ),
)


def unplaced_triggers(journeys: tuple[Journey, ...] = JOURNEYS) -> list[str]:
    """The machine's triggers no journey draws (each must be placed in one)."""
    drawn = {trigger for journey in journeys for _, trigger, _ in journey.edges()}
    return [t for t in TRIGGERS if t not in drawn]
