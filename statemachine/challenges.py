"""The challenge registry, lifecycle half: every Cognito challenge this project handles,
declared once.

A ``Challenge`` says what Cognito's ``ChallengeName`` means to the lifecycle: the trigger
its arrival fires, the state it enters (or none, when the BFF answers it within the same
step), where it can come from, which failures keep a user in it, and the API step that
answers it. The lifecycle's transitions (statemachine.lifecycle), the outcome mapping
(statemachine.outcomes), the API's steps and routes (bff.flows.steps, bff.flows.challenges),
the OpenAPI enums, the generated docs and the local Cognito's dispatch all read this table;
nothing else lists challenge names. Adding a challenge is one entry here, one handler module
in bff/flows/challenges/, the local Cognito's handler, the demo screen and tests
(docs/architecture.md, "Adding a challenge").

Names are Cognito's own (API reference, InitiateAuth and RespondToAuthChallenge,
``ChallengeName`` valid values; botocore's cognito-idp model, ``ChallengeNameType``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Challenge:
    """One Cognito challenge as the lifecycle sees it."""

    #: Cognito's ChallengeName, which is also the state's name when it has one.
    name: str
    #: The trigger fired when Cognito answers with this challenge.
    trigger: str
    trigger_doc: str
    #: What being in the state means (None: the BFF answers it in the same step, so the
    #: trigger is reflexive and no state is entered).
    state_doc: str | None
    #: Whether a sign-in (InitiateAuth, or a password factor chosen at SELECT_CHALLENGE)
    #: can answer with it.
    from_sign_in: bool = True
    #: Challenges whose answer can lead to this one.
    after: tuple[str, ...] = ()
    #: Reflexive triggers a failed answer fires while in this state (attempts counted).
    rejections: tuple[str, ...] = ()
    #: The API step that answers it (None: the BFF answers it itself).
    step: str | None = None
    step_doc: str = ""
    #: A first factor of choice-based sign-in (USER_AUTH): a value of Cognito's
    #: ``AvailableChallenges``, of ``PREFERRED_CHALLENGE`` and of SELECT_CHALLENGE's
    #: ``ANSWER``. Its handler says what the SPA sends with the choice (bff.flows.choice).
    factor: bool = False
    factor_doc: str = ""
    #: Part of the second factor after the password (a code challenge, or the choice among
    #: them): a remembered device skips it. SELECT_MFA_TYPE's MFAS_CAN_CHOOSE lists the
    #: code challenges by these names.
    mfa: bool = False

    @property
    def state(self) -> str | None:
        return self.name if self.state_doc is not None else None


CHALLENGES: Final[tuple[Challenge, ...]] = (
    Challenge(
        name="PASSWORD_VERIFIER",
        trigger="password_verifier_required",
        trigger_doc="USER_SRP_AUTH answered PASSWORD_VERIFIER; the BFF answers it in the same "
        "step.",
        state_doc=None,
    ),
    Challenge(
        name="NEW_PASSWORD_REQUIRED",
        trigger="new_password_required",
        trigger_doc="Sign-in answered NEW_PASSWORD_REQUIRED (temporary password).",
        state_doc="First sign-in with a temporary password: a new password is required.",
        rejections=("password_rejected", "credentials_rejected"),
        step="new_password",
        step_doc="Replace the temporary password (NEW_PASSWORD_REQUIRED).",
    ),
    Challenge(
        name="MFA_SETUP",
        trigger="mfa_setup_required",
        trigger_doc="Sign-in or a challenge answer returned MFA_SETUP.",
        state_doc="MFA is required and the user has none: register an authenticator app (TOTP).",
        after=("NEW_PASSWORD_REQUIRED",),
        rejections=("code_rejected",),
        step="mfa_setup_verify",
        step_doc="Register the authenticator app with its first code (MFA_SETUP).",
    ),
    Challenge(
        name="SOFTWARE_TOKEN_MFA",
        trigger="software_token_mfa_required",
        trigger_doc="Sign-in or a challenge answer returned SOFTWARE_TOKEN_MFA.",
        state_doc="The password was accepted; Cognito asks for the current TOTP code.",
        after=("NEW_PASSWORD_REQUIRED", "SELECT_MFA_TYPE"),
        rejections=("code_rejected",),
        step="mfa_code",
        step_doc="Enter the authenticator app's current code (SOFTWARE_TOKEN_MFA).",
        mfa=True,
    ),
    Challenge(
        name="SMS_MFA",
        trigger="sms_mfa_required",
        trigger_doc="Sign-in or a challenge answer returned SMS_MFA: Cognito texted a code.",
        state_doc="The password was accepted; Cognito texted a code to the user's phone.",
        after=("NEW_PASSWORD_REQUIRED", "SELECT_MFA_TYPE"),
        rejections=("code_rejected",),
        step="sms_mfa_code",
        step_doc="Enter the code Cognito texted to the phone (SMS_MFA).",
        mfa=True,
    ),
    Challenge(
        name="SELECT_MFA_TYPE",
        trigger="mfa_type_selection_required",
        trigger_doc="Sign-in or a challenge answer returned SELECT_MFA_TYPE: the user has "
        "several MFA factors and prefers none.",
        state_doc="The password was accepted; the user picks which MFA factor to use now.",
        after=("NEW_PASSWORD_REQUIRED",),
        step="select_mfa_type",
        step_doc="Choose the MFA factor for this sign-in (SELECT_MFA_TYPE).",
        mfa=True,
    ),
    Challenge(
        name="DEVICE_SRP_AUTH",
        trigger="device_srp_required",
        trigger_doc="Sign-in with a DEVICE_KEY of a remembered device returned DEVICE_SRP_AUTH.",
        state_doc="The password was accepted on a remembered device; prove the device (SRP).",
        rejections=("credentials_rejected",),
    ),
    Challenge(
        name="DEVICE_PASSWORD_VERIFIER",
        trigger="device_password_verifier_required",
        trigger_doc="The DEVICE_SRP_AUTH answer returned DEVICE_PASSWORD_VERIFIER.",
        state_doc="Cognito sent the device SRP challenge; answer with the claim.",
        from_sign_in=False,
        after=("DEVICE_SRP_AUTH",),
        rejections=("credentials_rejected",),
    ),
    # Choice-based sign-in (InitiateAuth AuthFlow=USER_AUTH, Essentials plan or higher):
    # RespondToAuthChallenge's ChallengeResponses in the API reference list the answers.
    Challenge(
        name="SELECT_CHALLENGE",
        trigger="factor_selection_required",
        trigger_doc="Choice-based sign-in (USER_AUTH) answered SELECT_CHALLENGE with the user's "
        "AvailableChallenges.",
        state_doc="Choice-based sign-in: choose a first factor among Cognito's "
        "AvailableChallenges.",
        rejections=("credentials_rejected",),
        step="choose_factor",
        step_doc="Choose how to sign in (SELECT_CHALLENGE): a factor of `data.factors`, with "
        "what that factor needs (a password for PASSWORD).",
    ),
    Challenge(
        name="PASSWORD",
        trigger="password_factor_required",
        trigger_doc="Choice-based sign-in asked for the password as a challenge of its own; the "
        "BFF sends the password with the choice, so it answers within the step.",
        state_doc=None,
        factor=True,
        factor_doc="The password (sent to Cognito as is, like USER_PASSWORD_AUTH).",
    ),
    Challenge(
        name="PASSWORD_SRP",
        trigger="password_srp_required",
        trigger_doc="Choice-based sign-in asked for the SRP proof of the password as a challenge "
        "of its own; the BFF answers it, and the PASSWORD_VERIFIER that follows, within the step.",
        state_doc=None,
        factor=True,
        factor_doc="The password, proven with SRP (the password never reaches Cognito).",
    ),
    Challenge(
        name="EMAIL_OTP",
        trigger="email_otp_required",
        trigger_doc="Cognito emailed a one-time code: the first factor chosen, or MFA by email "
        "after the password.",
        state_doc="Cognito emailed a one-time sign-in code (a first factor, or MFA after the "
        "password); enter it.",
        after=("NEW_PASSWORD_REQUIRED", "SELECT_MFA_TYPE"),
        rejections=("code_rejected",),
        step="email_code",
        step_doc="Enter the code Cognito emailed (EMAIL_OTP).",
        factor=True,
        factor_doc="A one-time code by email (no password).",
        mfa=True,
    ),
    Challenge(
        name="SMS_OTP",
        trigger="sms_otp_required",
        trigger_doc="Choice-based sign-in chose a code by text message: Cognito texted one.",
        state_doc="Cognito texted a one-time sign-in code to the user's verified phone number; "
        "enter it.",
        rejections=("code_rejected",),
        step="sms_code",
        step_doc="Enter the code Cognito texted (SMS_OTP).",
        factor=True,
        factor_doc="A one-time code by text message to the verified phone number (no password).",
    ),
    Challenge(
        name="WEB_AUTHN",
        trigger="web_authn_required",
        trigger_doc="Choice-based sign-in chose a passkey: Cognito sent CREDENTIAL_REQUEST_OPTIONS "
        "for the browser's navigator.credentials.get.",
        state_doc="Choice-based sign-in with a passkey: the browser signs Cognito's challenge "
        "(navigator.credentials.get) and the answer goes back as it came.",
        rejections=("credentials_rejected",),
        step="passkey_assertion",
        step_doc="Answer WEB_AUTHN with the browser's AuthenticationResponseJSON "
        "(navigator.credentials.get).",
        factor=True,
        factor_doc="A passkey (no password): the browser's navigator.credentials.get.",
    ),
)

#: Challenges Cognito can send that this project does not handle yet (API reference,
#: InitiateAuth "ChallengeName" valid values). Any other unknown name is refused too.
NOT_SUPPORTED: Final[tuple[str, ...]] = (
    "CUSTOM_CHALLENGE",
    "ADMIN_NO_SRP_AUTH",
)

BY_NAME: Final[dict[str, Challenge]] = {challenge.name: challenge for challenge in CHALLENGES}
SUPPORTED: Final[tuple[str, ...]] = tuple(BY_NAME)
#: Challenge name → the trigger its arrival fires.
CHALLENGE_TRIGGERS: Final[dict[str, str]] = {c.name: c.trigger for c in CHALLENGES}
#: The challenges that are states (each holds a Cognito session that expires).
CHALLENGE_STATES: Final[tuple[str, ...]] = tuple(c.name for c in CHALLENGES if c.state)
#: The first factors of choice-based sign-in, in the registry's order.
FACTORS: Final[tuple[str, ...]] = tuple(c.name for c in CHALLENGES if c.factor)
#: The second-factor challenges (MFA after the password, and the choice among them).
MFA_CHALLENGES: Final[tuple[str, ...]] = tuple(c.name for c in CHALLENGES if c.mfa)


def challenge(name: str) -> Challenge:
    """The registry entry for ``name`` (KeyError for a challenge this project does not
    handle)."""
    return BY_NAME[name]


def _state(name: str) -> str:
    if BY_NAME[name].state is None:
        raise ValueError(f"{name} is answered within its step and is no state")
    return name


#: The challenge the BFF answers within the SRP sign-in (no state).
PASSWORD_VERIFIER: Final = challenge("PASSWORD_VERIFIER").name
# The challenge states by name, for the modules that need one in particular.
NEW_PASSWORD_REQUIRED: Final = _state("NEW_PASSWORD_REQUIRED")
MFA_SETUP: Final = _state("MFA_SETUP")
SOFTWARE_TOKEN_MFA: Final = _state("SOFTWARE_TOKEN_MFA")
SMS_MFA: Final = _state("SMS_MFA")
SELECT_MFA_TYPE: Final = _state("SELECT_MFA_TYPE")
DEVICE_SRP_AUTH: Final = _state("DEVICE_SRP_AUTH")
DEVICE_PASSWORD_VERIFIER: Final = _state("DEVICE_PASSWORD_VERIFIER")
SELECT_CHALLENGE: Final = _state("SELECT_CHALLENGE")
EMAIL_OTP: Final = _state("EMAIL_OTP")
SMS_OTP: Final = _state("SMS_OTP")
WEB_AUTHN: Final = _state("WEB_AUTHN")
#: The password factors, answered within the choice's step (no state).
PASSWORD: Final = challenge("PASSWORD").name
PASSWORD_SRP: Final = challenge("PASSWORD_SRP").name
