"""Codes by text message and the choice among a user's MFA factors: SMS_MFA,
SELECT_MFA_TYPE, SetUserMFAPreference's ``SMSMfaSettings``, and SMS_OTP, the texted code
as a first factor of choice-based sign-in (choice.py).

What Cognito documents (API reference: SetUserMFAPreference, SMSMfaSettingsType,
SmsMfaConfigType, RespondToAuthChallenge "ChallengeResponses"; developer guide, "Adding MFA
to a user pool", "SMS message settings"):

- A pool sends SMS codes only with an ``SmsConfiguration`` (the SNS caller role) in
  SetUserPoolMfaConfig's ``SmsMfaConfiguration``, whose ``SmsAuthenticationMessage`` must
  hold ``{####}``; without one Cognito's default message is sent.
- "Only one factor can be set as preferred. The preferred MFA factor will be used to
  authenticate a user if multiple factors are activated. If multiple options are activated
  and no preference is set, a challenge to choose an MFA option will be returned during
  sign-in" (SetUserMFAPreference): SELECT_MFA_TYPE with ``MFAS_CAN_CHOOSE``, a JSON-array
  string, answered with ``ANSWER``.
- SMS_MFA is answered with ``SMS_MFA_CODE``; a remembered device skips MFA. "The SMS text
  message authorization code is valid for the Authentication flow session duration that
  you set for your app client" (AuthSessionValidity); "Amazon Cognito can send messages to
  unverified email addresses and phone numbers. When a user completes their first MFA,
  Amazon Cognito marks their email address or phone number as verified" (developer guide,
  "SMS and email message MFA").
- The API reference's sample answer to SELECT_MFA_TYPE is
  ``SMS_MFA|EMAIL_MFA|SOFTWARE_TOKEN_MFA``; ``ChallengeNameType`` has no EMAIL_MFA, and
  Amplify JS answers ``EMAIL_OTP`` (the name MFAS_CAN_CHOOSE lists). Both are taken.
- SMSMfaSettingsType (older API reference text): "Phone numbers don't need to be verified
  to be used for SMS MFA." The local Cognito requires a phone number, not a verified one.
- SMS_OTP (choice-based sign-in) is answered with ``SMS_OTP_CODE``; the developer guide's
  passwordless pages offer it to users with a verified phone number ("phone_number_verified")
  in a pool that can send SMS; it is then one of the user's AvailableChallenges.

What only users report, and the local Cognito does likewise: SMS_MFA's challenge
parameters ``CODE_DELIVERY_DELIVERY_MEDIUM: SMS`` and ``CODE_DELIVERY_DESTINATION``
masked as ``+*******1234``; a wrong code is ``CodeMismatchException`` "Invalid code or auth
state for the user." (amplify-js #3066, #11069); turning SMS MFA on for a user without a
phone number is ``InvalidParameterException`` "User does not have delivery config set to
turn on SMS_MFA".

The local Cognito's own choices where Cognito says nothing: the ``CODE_ATTEMPTS``-th wrong
code ends the challenge's session ("Invalid session for the user, session is expired.", as
for choice.py's emailed codes: sign in again); the wording of the other refusals below.
Texts land in the outbox (kinds ``sms_mfa``, ``sms_otp``), addressed to the phone number,
rendered from the pool's ``SmsAuthenticationMessage`` for both; an unknown user's SMS_OTP
(PreventUserExistenceErrors) texts nothing, shows a made-up masked number and refuses every
code. Email MFA (EMAIL_OTP after the password) is choice.py's; it is one of the factors
chosen among here.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any, Final

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

from statemachine.challenges import (
    CHALLENGES,
    EMAIL_OTP,
    SELECT_MFA_TYPE,
    SMS_MFA,
    SMS_OTP,
    SOFTWARE_TOKEN_MFA,
)

from . import choice
from . import errors as e
from .choice import OneTimeCode
from .outbox import OutboxMessage

if TYPE_CHECKING:
    from .fidelity import Answer, Challenge, LocalCognitoBackend

#: Wrong codes one challenge session takes before it ends.
CODE_ATTEMPTS: Final = 3
#: Cognito's default SMS MFA message when the pool sets none.
DEFAULT_SMS_MESSAGE: Final = "Your authentication code is {####}. "
SMS_CODE_MISMATCH: Final = "Invalid code or auth state for the user."
NO_PHONE: Final = "User does not have delivery config set to turn on SMS_MFA"
SMS_NOT_CONFIGURED: Final = "SMS configuration is not set for the user pool"
#: The answers SELECT_MFA_TYPE takes for email: the challenge's own name (Amplify JS) and
#: the API reference's sample answer.
EMAIL_ANSWERS: Final = (EMAIL_OTP, "EMAIL_MFA")
#: The outbox kinds of the codes texted here.
TEXTED_KINDS: Final = ("sms_mfa", "sms_otp")
#: The code challenges SELECT_MFA_TYPE can offer, in the order Cognito lists them.
CHOOSABLE: Final[tuple[str, ...]] = tuple(
    c.name for c in CHALLENGES if c.mfa and c.name != SELECT_MFA_TYPE
)


def phone_number(user: CognitoIdpUser) -> str | None:
    return user.attribute_lookup.get("phone_number") or None


def can_text_sign_in_codes(pool: CognitoIdpUserPool, user: CognitoIdpUser) -> bool:
    """SMS_OTP is one of ``user``'s first factors: a verified phone number, a pool that texts."""
    verified = user.attribute_lookup.get("phone_number_verified") in ("true", True)
    return bool(phone_number(user)) and verified and sms_configured(pool)


def sms_configured(pool: CognitoIdpUserPool) -> bool:
    """The pool can text codes: SetUserPoolMfaConfig gave it an SmsConfiguration."""
    config = pool.sms_mfa_config or {}
    return bool(config.get("SmsConfiguration"))


def masked_phone(number: str) -> str:
    """Cognito's CODE_DELIVERY_DESTINATION for a phone: "+" and the last four digits."""
    digits = number.lstrip("+")
    return "+" + "*" * max(len(digits) - 4, 0) + digits[-4:]


def check_sms_settings(
    pool: CognitoIdpUserPool, user: CognitoIdpUser, settings: dict[str, Any] | None
) -> None:
    """Refuse SMSMfaSettings Cognito refuses: SMS turned on (or preferred) for a user
    without a phone number, or in a pool that cannot text."""
    settings = settings or {}
    if not (settings.get("Enabled") or settings.get("PreferredMfa")):
        return
    if settings.get("PreferredMfa") and settings.get("Enabled") is False:
        raise e.InvalidParameter("SMS_MFA cannot be preferred while it is disabled")
    if not phone_number(user):
        raise e.InvalidParameter(NO_PHONE)
    if not sms_configured(pool):
        raise e.InvalidParameter(SMS_NOT_CONFIGURED)


def enabled_factors(
    backend: LocalCognitoBackend, pool: CognitoIdpUserPool, user: CognitoIdpUser
) -> list[str]:
    """The MFA code challenges this user can be asked for now, in Cognito's order: each
    enabled for the user and still usable (a secret, a phone number, the pool's settings)."""
    found: list[str] = []
    if user.software_token_mfa_enabled and backend.state(user).totp_secret:
        found.append(SOFTWARE_TOKEN_MFA)
    if user.sms_mfa_enabled and phone_number(user) and sms_configured(pool):
        found.append(SMS_MFA)
    # Email MFA: on for the user (choice.py's EmailMfaSettings) in a pool that can send it.
    if backend.state(user).email_mfa_enabled and choice._email_mfa_available(pool):
        found.append(EMAIL_OTP)
    return [name for name in CHOOSABLE if name in found]


def asked_factor(
    backend: LocalCognitoBackend, pool: CognitoIdpUserPool, user: CognitoIdpUser
) -> str | None:
    """The one MFA factor Cognito asks ``user`` for after the password: the preferred one,
    or the only one (None: MFA off, no factor, or several to choose from)."""
    if pool.mfa_config not in ("ON", "OPTIONAL"):
        return None
    factors = enabled_factors(backend, pool, user)
    if user.preferred_mfa_setting in factors:
        return str(user.preferred_mfa_setting)
    return factors[0] if len(factors) == 1 else None


def mfa_challenge(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    device_key: str | None,
    admin: bool,
) -> dict[str, Any] | None:
    """The MFA challenge after the password for a user with MFA enabled (None: none is,
    or the pool has MFA off): the preferred factor, the only one, or the choice."""
    if pool.mfa_config not in ("ON", "OPTIONAL"):
        return None
    factors = enabled_factors(backend, pool, user)
    if not factors:
        return None
    asked = asked_factor(backend, pool, user)
    if asked is not None:
        return ask(backend, pool, client, user, asked, device_key, admin)
    challenge = backend._new_challenge(
        pool, client, user.username, SELECT_MFA_TYPE, admin, device_key=device_key
    )
    return challenge.reply(
        {"MFAS_CAN_CHOOSE": json.dumps(factors), "USER_ID_FOR_SRP": user.username}
    )


def ask(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    name: str,
    device_key: str | None,
    admin: bool,
) -> dict[str, Any]:
    """Start the code challenge ``name``: SMS_MFA texts the code, EMAIL_OTP emails it
    (choice.py), SOFTWARE_TOKEN_MFA asks for the app's."""
    if name == EMAIL_OTP:
        return choice.email_otp_challenge(
            backend, pool, client, user, user.username, admin, device_key, mfa=True
        )
    challenge = backend._new_challenge(
        pool, client, user.username, name, admin, device_key=device_key
    )
    if name != SMS_MFA:
        return challenge.reply({"USER_ID_FOR_SRP": user.username})
    number = text_code(backend, pool, user, challenge, "sms_mfa")
    return challenge.reply(
        {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": masked_phone(number),
            "USER_ID_FOR_SRP": user.username,
        }
    )


def text_code(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    user: CognitoIdpUser,
    challenge: Challenge,
    kind: str,
) -> str:
    """Text a new code for ``challenge`` to ``user``'s phone (the outbox, ``kind``): valid as
    long as the session (AuthSessionValidity), single use. The number it went to."""
    number = phone_number(user) or ""
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge.one_time_code = OneTimeCode(code, challenge.expires_at, mfa=kind == "sms_mfa")
    message = (pool.sms_mfa_config or {}).get("SmsAuthenticationMessage") or DEFAULT_SMS_MESSAGE
    backend.outbox.record(
        OutboxMessage(
            to=number,
            kind=kind,
            username=user.username,
            user_pool_id=pool.id,
            sent_at=backend.clock.utcnow(),
            code=code,
            body=message.replace("{####}", code),
        )
    )
    return number


def sms_otp_challenge(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser | None,
    name: str,
    admin: bool,
    device_key: str | None,
) -> dict[str, Any]:
    """SMS_OTP chosen as the first factor: text a code (outbox kind ``sms_otp``) and ask
    for it. For a user that does not exist nothing is sent and every code is wrong."""
    challenge = backend._new_challenge(
        pool,
        client,
        user.username if user else None,
        SMS_OTP,
        admin,
        device_key=device_key,
        srp_identity=name,
    )
    if user is not None:
        number = text_code(backend, pool, user, challenge, "sms_otp")
    else:
        number = "+" + "".join(secrets.choice("0123456789") for _ in range(11))
        challenge.one_time_code = OneTimeCode(None, challenge.expires_at)
    return challenge.reply(
        {
            "USERNAME": name,
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": masked_phone(number),
        }
    )


def check_code(backend: LocalCognitoBackend, challenge: Challenge, code: str | None) -> None:
    """The texted code of ``challenge`` (its session's life was checked before): wrong codes
    are counted, and the session ends at CODE_ATTEMPTS."""
    otp = challenge.one_time_code
    if otp is None or otp.code is None or not code or not hmac.compare_digest(otp.code, code):
        if otp is not None:
            otp.failures += 1
            if otp.failures >= CODE_ATTEMPTS:
                # As choice.py's emailed codes: the last try ends the sign-in.
                backend._end_challenge(challenge)
                raise e.NotAuthorized(e.SESSION_EXPIRED)
        raise e.CodeMismatch(SMS_CODE_MISMATCH)


def code_status(backend: LocalCognitoBackend, message: OutboxMessage) -> tuple[bool, float | None]:
    """Whether a texted code of the outbox is its challenge's code still (the challenge
    waits for it), and when it expires (outbox_status)."""
    for challenge in backend.challenges.values():
        otp = challenge.one_time_code
        if (
            otp is not None
            and otp.code is not None
            and otp.code == message.code
            and challenge.username == message.username
            and challenge.pool_id == message.user_pool_id
        ):
            return True, otp.expires_at
    return False, None


def answer_sms_mfa(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    assert answer.user is not None
    check_code(backend, answer.challenge, answer.responses.get("SMS_MFA_CODE"))
    backend._end_challenge(answer.challenge)
    # The first MFA through a phone number verifies it (developer guide).
    answer.user.update_attributes([{"Name": "phone_number_verified", "Value": "true"}])
    return backend._issue_tokens(
        answer.pool, answer.client, answer.user, answer.challenge.device_key
    )


def answer_sms_otp(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """SMS_OTP: ``{USERNAME, SMS_OTP_CODE}``; the right code signs in (no MFA after it)."""
    challenge = answer.challenge
    if not answer.responses.get("SMS_OTP_CODE"):
        raise e.InvalidParameter("Missing required parameter SMS_OTP_CODE")
    check_code(backend, challenge, answer.responses.get("SMS_OTP_CODE"))
    user = answer.user
    assert user is not None  # an unknown user's challenge has no code: refused above
    backend._end_challenge(challenge)
    if not user.enabled:
        raise e.NotAuthorized("User is disabled.")
    return backend._issue_tokens(answer.pool, answer.client, user, challenge.device_key)


def answer_select_mfa_type(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """SELECT_MFA_TYPE: ``ANSWER`` names one of MFAS_CAN_CHOOSE; that challenge follows."""
    user = answer.user
    assert user is not None
    choice = answer.responses.get("ANSWER")
    if not choice:
        raise e.InvalidParameter("Missing required parameter ANSWER")
    if choice in EMAIL_ANSWERS:
        choice = EMAIL_ANSWERS[0]
    offered = enabled_factors(backend, answer.pool, user)
    if choice not in offered:
        raise e.InvalidParameter(f"{choice} is not one of the user's MFA options {offered}")
    backend._end_challenge(answer.challenge)
    challenge = answer.challenge
    return ask(
        backend, answer.pool, answer.client, user, choice, challenge.device_key, challenge.admin
    )
