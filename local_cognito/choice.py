"""Choice-based sign-in in the local Cognito: USER_AUTH, SELECT_CHALLENGE, the password
factors (PASSWORD, PASSWORD_SRP) and one-time codes by email (EMAIL_OTP), as a first factor
and as MFA after the password; codes by text message (SMS_OTP) are mfa_factors'.

Functions of the backend (``local_cognito.fidelity`` calls them and registers the
answerers in ``ANSWERERS``); what Cognito documents and what is the local Cognito's own
choice is listed in docs/local-cognito.md, "Choice-based sign-in". Sources: the API
reference (InitiateAuth "AuthParameters", RespondToAuthChallenge "ChallengeResponses",
CreateUserPool "UserPoolTier" and "Policies.SignInPolicy", SetUserMFAPreference
"EmailMfaSettings"), and the developer guide's "Managing user existence error responses".
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
)
from moto.core.responses import ActionResult

from statemachine.challenges import (
    EMAIL_OTP,
    FACTORS,
    PASSWORD,
    PASSWORD_SRP,
    SELECT_CHALLENGE,
    SMS_OTP,
    WEB_AUTHN,
)

from . import errors as e
from . import webauthn

if TYPE_CHECKING:
    from .fidelity import Answer, LocalCognitoBackend

#: InitiateAuth's AuthFlow for choice-based sign-in, and the app client's permission.
USER_AUTH: Final = "USER_AUTH"
ALLOW_USER_AUTH: Final = "ALLOW_USER_AUTH"
#: UserPoolTier values (CreateUserPool); ESSENTIALS is Cognito's default for new pools.
TIERS: Final = ("LITE", "ESSENTIALS", "PLUS")
DEFAULT_TIER: Final = "ESSENTIALS"
#: Every value Cognito takes as PREFERRED_CHALLENGE and as SELECT_CHALLENGE's ANSWER
#: (RespondToAuthChallenge "ChallengeResponses"), whether or not this project answers it.
COGNITO_FACTORS: Final = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
#: A pool's AllowedFirstAuthFactors when its SignInPolicy names none: the password only.
DEFAULT_FIRST_FACTORS: Final = ("PASSWORD",)
#: How long an emailed sign-in code is valid, and the wrong codes a session takes before it
#: ends. Cognito documents neither: these are the local Cognito's (docs/local-cognito.md).
EMAIL_OTP_TTL: Final = 300
EMAIL_OTP_ATTEMPTS: Final = 3
#: The outbox kind of an emailed sign-in or MFA code.
EMAIL_OTP_KIND: Final = "email_otp"


@dataclass
class OneTimeCode:
    """A code sent for one challenge session: single-use, expiring, with its wrong tries."""

    code: str | None  # None: a simulated challenge for a user that does not exist
    expires_at: float
    failures: int = 0
    #: The code is MFA after the password (not a first factor).
    mfa: bool = False


def pool_tier(pool: CognitoIdpUserPool) -> str:
    return str(pool.extended_config.get("UserPoolTier") or DEFAULT_TIER)


def allowed_first_factors(pool: CognitoIdpUserPool) -> tuple[str, ...]:
    """The pool's ``Policies.SignInPolicy.AllowedFirstAuthFactors`` (AuthFactorType values:
    PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN)."""
    policy = (pool.extended_config.get("Policies") or {}).get("SignInPolicy") or {}
    return tuple(policy.get("AllowedFirstAuthFactors") or DEFAULT_FIRST_FACTORS)


def _pool_allows(pool: CognitoIdpUserPool, factor: str) -> bool:
    # PASSWORD in the policy allows both password challenges (plain and SRP).
    policy_name = "PASSWORD" if factor in (PASSWORD, PASSWORD_SRP) else factor
    return policy_name in allowed_first_factors(pool)


def _passwordless_allowed(pool: CognitoIdpUserPool) -> bool:
    # Every user of a pool that requires MFA has MFA, and Cognito does not combine MFA and
    # passwordless sign-in for one user (docs/local-cognito.md).
    return pool.mfa_config != "ON"


def pool_factors(pool: CognitoIdpUserPool) -> list[str]:
    """The factors this pool offers anyone, in the registry's order."""
    return [
        f
        for f in FACTORS
        if _pool_allows(pool, f) and (f in (PASSWORD, PASSWORD_SRP) or _passwordless_allowed(pool))
    ]


def has_mfa(backend: LocalCognitoBackend, user: CognitoIdpUser) -> bool:
    state = backend.state(user)
    return bool(user.software_token_mfa_enabled and state.totp_secret) or state.email_mfa_enabled


def user_factors(
    backend: LocalCognitoBackend, pool: CognitoIdpUserPool, user: CognitoIdpUser
) -> list[str]:
    """The first factors ``user`` can sign in with: the password ones with a password; an
    emailed code for a confirmed user with an email address and no MFA (Cognito does not
    combine MFA and passwordless sign-in for one user: developer guide, "Adding MFA to a
    user pool", prerequisites); a texted code for a confirmed user with a verified phone
    number in a pool that texts (mfa_factors)."""
    from . import mfa_factors  # imports this module: here, not at the top

    offered = pool_factors(pool)
    has_email = bool(user.attribute_lookup.get("email"))
    confirmed = user.status == UserStatus.CONFIRMED
    passwordless = confirmed and not has_mfa(backend, user)
    found: list[str] = []
    for factor in offered:
        if factor in (PASSWORD, PASSWORD_SRP) and user.password:
            found.append(factor)
        elif factor == EMAIL_OTP and has_email and passwordless:
            found.append(factor)
        elif factor == SMS_OTP and confirmed and mfa_factors.can_text_sign_in_codes(pool, user):
            found.append(factor)
    return found


def _require_user_auth(pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient) -> None:
    allowed = client.extended_config.get("ExplicitAuthFlows") or []
    if ALLOW_USER_AUTH not in allowed:
        raise e.InvalidParameter(f"{USER_AUTH} flow not enabled for this client")
    if pool_tier(pool) == "LITE":
        raise e.FeatureUnavailableInTier(
            "Choice-based authentication (USER_AUTH) is not available in the LITE feature plan "
            "of this user pool."
        )


def _check_factor_name(pool: CognitoIdpUserPool, factor: str, what: str) -> None:
    if factor not in COGNITO_FACTORS:
        raise e.InvalidParameter(f"Invalid {what}: {factor}")
    if factor not in pool_factors(pool):
        raise e.InvalidParameter(f"{factor} is not an allowed first auth factor for this user pool")


def initiate(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    params: dict[str, str],
    admin: bool,
) -> dict[str, Any]:
    """InitiateAuth with AuthFlow=USER_AUTH."""
    _require_user_auth(pool, client)
    username = params.get("USERNAME")
    if not username:
        raise e.InvalidParameter("Missing required parameter USERNAME")
    user = backend._user_or_none(pool, username)
    backend._check_secret_hash(
        client, params.get("SECRET_HASH"), username, user.username if user else None
    )
    preferred = params.get("PREFERRED_CHALLENGE")
    if preferred:
        _check_factor_name(pool, preferred, "PREFERRED_CHALLENGE")
    if user is None:
        if not backend._prevents_existence_errors(client):
            raise e.UserNotFound("User does not exist.")
        # Cognito answers an unknown user "with a random selection from the challenge types
        # the user pool allows" (developer guide, "Managing user existence error responses").
        offered = pool_factors(pool)
        available = [f for f in offered if secrets.randbelow(2) or f == preferred]
        available = available or [secrets.choice(offered)]
    else:
        available = webauthn.with_passkeys(backend, pool, user, user_factors(backend, pool, user))
    device_key = params.get("DEVICE_KEY")
    if preferred and preferred in available:
        return choose(backend, pool, client, user, username, preferred, params, admin, device_key)
    challenge = backend._new_challenge(
        pool,
        client,
        user.username if user else None,
        SELECT_CHALLENGE,
        admin,
        device_key=device_key,
        srp_identity=user.username if user else username,
        available=available,
    )
    reply = challenge.reply({"USERNAME": user.username if user else username})
    reply["AvailableChallenges"] = available
    return reply


def choose(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser | None,
    username: str,
    factor: str,
    params: dict[str, str],
    admin: bool,
    device_key: str | None,
) -> dict[str, Any]:
    """Sign in with ``factor``, chosen as PREFERRED_CHALLENGE or as SELECT_CHALLENGE's
    ANSWER, with what came along (PASSWORD, SRP_A); without it, that factor's challenge."""
    name = user.username if user else username
    if factor == PASSWORD:
        password = params.get("PASSWORD")
        if not password:
            return _factor_challenge(backend, pool, client, user, name, PASSWORD, admin, device_key)
        return _check_password(backend, pool, client, user, password, admin, device_key)
    if factor == PASSWORD_SRP:
        if not params.get("SRP_A"):
            return _factor_challenge(
                backend, pool, client, user, name, PASSWORD_SRP, admin, device_key
            )
        srp_params = {"SRP_A": params["SRP_A"]}
        if device_key:
            srp_params["DEVICE_KEY"] = device_key
        return backend._start_user_srp(pool, client, user, name, srp_params, admin)
    if factor == EMAIL_OTP:
        return email_otp_challenge(backend, pool, client, user, name, admin, device_key, mfa=False)
    if factor == SMS_OTP:
        from . import mfa_factors  # imports this module: here, not at the top

        return mfa_factors.sms_otp_challenge(backend, pool, client, user, name, admin, device_key)
    if factor == WEB_AUTHN:
        return webauthn.sign_in_challenge(backend, pool, client, user, name, admin, device_key)
    raise e.InvalidParameter(f"Challenge {factor} is not supported")


def _factor_challenge(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser | None,
    name: str,
    factor: str,
    admin: bool,
    device_key: str | None,
) -> dict[str, Any]:
    challenge = backend._new_challenge(
        pool,
        client,
        user.username if user else None,
        factor,
        admin,
        device_key=device_key,
        srp_identity=name,
    )
    return challenge.reply({"USERNAME": name})


def _check_password(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser | None,
    password: str,
    admin: bool,
    device_key: str | None,
) -> dict[str, Any]:
    if user is None or not hmac.compare_digest((user.password or "").encode(), password.encode()):
        raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
    backend._require_known_device(pool, user, device_key)
    return backend._after_password(pool, client, user, device_key, admin)


def _masked(email: str | None) -> str:
    # Cognito masks the destination: "a***@e***".
    if email and "@" in email:
        local, domain = email.split("@", 1)
        return f"{local[:1]}***@{domain[:1]}***"
    return f"{secrets.choice('abcdefghijklmnopqrstuvwxyz')}***@e***"


def email_otp_challenge(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser | None,
    name: str,
    admin: bool,
    device_key: str | None,
    *,
    mfa: bool,
) -> dict[str, Any]:
    """Email a 6-digit code (outbox kind ``email_otp``) and ask for it (EMAIL_OTP). For a
    user that does not exist nothing is sent, and every code is wrong."""
    email = user.attribute_lookup.get("email") if user else None
    code = f"{secrets.randbelow(1_000_000):06d}" if user is not None and email else None
    challenge = backend._new_challenge(
        pool,
        client,
        user.username if user else None,
        EMAIL_OTP,
        admin,
        device_key=device_key,
        srp_identity=name,
        one_time_code=OneTimeCode(code, backend.clock.now() + EMAIL_OTP_TTL, mfa=mfa),
    )
    if user is not None and code is not None:
        backend._send(pool, user, EMAIL_OTP_KIND, code=code)
    return challenge.reply(
        {
            "USERNAME": name,
            "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
            "CODE_DELIVERY_DESTINATION": _masked(email),
        }
    )


def email_code_current(
    backend: LocalCognitoBackend, username: str, code: str | None
) -> tuple[bool, float | None]:
    """Whether an emailed sign-in ``code`` still answers a live EMAIL_OTP session of
    ``username``, and when it expires (the outbox's status of the message)."""
    for challenge in backend.challenges.values():
        otp = challenge.one_time_code
        if otp is not None and otp.code == code and challenge.username == username:
            return True, min(otp.expires_at, challenge.expires_at)
    return False, None


def answer_select_challenge(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """SELECT_CHALLENGE: ``ANSWER`` is one of the AvailableChallenges, with what that factor
    needs. A wrong password leaves the session usable for another answer."""
    challenge = answer.challenge
    factor = answer.responses.get("ANSWER")
    if not factor:
        raise e.InvalidParameter("Missing required parameter ANSWER")
    _check_factor_name(answer.pool, factor, "ANSWER")
    if factor not in challenge.available:
        raise e.InvalidParameter(f"{factor} is not an available challenge for this user")
    result = choose(
        backend,
        answer.pool,
        answer.client,
        answer.user,
        challenge.srp_identity,
        factor,
        answer.responses,
        challenge.admin,
        answer.responses.get("DEVICE_KEY") or challenge.device_key,
    )
    backend._end_challenge(challenge)
    return result


def answer_password(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """PASSWORD: ``{USERNAME, PASSWORD}`` (RespondToAuthChallenge, "ChallengeResponses")."""
    password = answer.responses.get(PASSWORD)
    if not password:
        raise e.InvalidParameter("Missing required parameter PASSWORD")
    challenge = answer.challenge
    result = _check_password(
        backend,
        answer.pool,
        answer.client,
        answer.user,
        password,
        challenge.admin,
        challenge.device_key,
    )
    backend._end_challenge(challenge)
    return result


def answer_password_srp(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """PASSWORD_SRP: ``{USERNAME, SRP_A}``; Cognito answers PASSWORD_VERIFIER."""
    challenge = answer.challenge
    if not answer.responses.get("SRP_A"):
        raise e.InvalidParameter("Missing required parameter SRP_A")
    result = choose(
        backend,
        answer.pool,
        answer.client,
        answer.user,
        challenge.srp_identity,
        PASSWORD_SRP,
        answer.responses,
        challenge.admin,
        challenge.device_key,
    )
    backend._end_challenge(challenge)
    return result


def answer_email_otp(backend: LocalCognitoBackend, answer: Answer) -> dict[str, Any]:
    """EMAIL_OTP: ``{USERNAME, EMAIL_OTP_CODE}``. A wrong code keeps the session for another
    try, up to EMAIL_OTP_ATTEMPTS; an expired code ends it."""
    challenge = answer.challenge
    given = answer.responses.get("EMAIL_OTP_CODE")
    if not given:
        raise e.InvalidParameter("Missing required parameter EMAIL_OTP_CODE")
    otp = challenge.one_time_code
    assert otp is not None
    if backend.clock.now() > otp.expires_at:
        backend._end_challenge(challenge)
        raise e.ExpiredCode(e.CODE_EXPIRED)
    if answer.user is None or otp.code is None or not secrets.compare_digest(otp.code, given):
        otp.failures += 1
        if otp.failures >= EMAIL_OTP_ATTEMPTS:
            backend._end_challenge(challenge)
            raise e.NotAuthorized(e.SESSION_EXPIRED)
        raise e.CodeMismatch(e.TOTP_MISMATCH)
    backend._end_challenge(challenge)
    user = answer.user
    # Cognito marks the address verified once a code sent to it came back (developer guide,
    # "SMS and email message MFA").
    user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    if otp.mfa:
        return backend._issue_tokens(answer.pool, answer.client, user, challenge.device_key)
    if not user.enabled:
        raise e.NotAuthorized("User is disabled.")
    return backend._issue_tokens(answer.pool, answer.client, user, challenge.device_key)


#: The challenges this module answers: fidelity registers them with ``answers``.
ANSWERERS: Final[dict[str, Callable[[LocalCognitoBackend, Answer], dict[str, Any]]]] = {
    SELECT_CHALLENGE: answer_select_challenge,
    PASSWORD: answer_password,
    PASSWORD_SRP: answer_password_srp,
    EMAIL_OTP: answer_email_otp,
}


def _pool(backend: LocalCognitoBackend, pool_id: str) -> CognitoIdpUserPool:
    return backend.describe_user_pool(pool_id)


def check_email_mfa_config(
    backend: LocalCognitoBackend, pool_id: str, config: dict[str, str] | None
) -> None:
    """SetUserPoolMfaConfig's ``EmailMfaConfiguration``: Essentials plan or higher (API
    reference), a Message with the ``{####}`` placeholder."""
    if config is None:
        return
    if pool_tier(_pool(backend, pool_id)) == "LITE":
        raise e.FeatureUnavailableInTier(
            "Email MFA is not available in the LITE feature plan of this user pool."
        )
    message = config.get("Message")
    if message is not None and "{####}" not in message:
        raise e.InvalidParameter("EmailMfaConfiguration.Message must contain {####}.")


def with_email_mfa_config(
    backend: LocalCognitoBackend,
    pool_id: str,
    result: Any,
    config: dict[str, str] | None = None,
) -> Any:
    """Keep ``config`` (when given) and add the pool's EmailMfaConfiguration to ``result``."""
    pool = _pool(backend, pool_id)
    if config is not None:
        pool.extended_config["EmailMfaConfiguration"] = dict(config)
    if isinstance(result, dict) and pool.extended_config.get("EmailMfaConfiguration"):
        result["EmailMfaConfiguration"] = pool.extended_config["EmailMfaConfiguration"]
    return result


def _email_mfa_available(pool: CognitoIdpUserPool) -> bool:
    return pool_tier(pool) != "LITE" and bool(pool.extended_config.get("EmailMfaConfiguration"))


def set_email_mfa_preference(
    backend: LocalCognitoBackend, access_token: str, settings: dict[str, bool] | None
) -> None:
    """SetUserMFAPreference's ``EmailMfaSettings {Enabled, PreferredMfa}``."""
    if not settings:
        return
    pool, user = backend.user_from_access_token(access_token)
    state = backend.state(user)
    wanted = bool(settings.get("Enabled") or settings.get("PreferredMfa"))
    if wanted:
        if pool_tier(pool) == "LITE":
            raise e.FeatureUnavailableInTier(
                "Email MFA is not available in the LITE feature plan of this user pool."
            )
        if not _email_mfa_available(pool):
            raise e.InvalidParameter("Email MFA is not configured for this user pool.")
        if not user.attribute_lookup.get("email"):
            raise e.InvalidParameter("User does not have delivery config set to turn on EMAIL_OTP")
    state.email_mfa_enabled = bool(settings.get("Enabled"))
    if settings.get("PreferredMfa"):
        user.preferred_mfa_setting = EMAIL_OTP
    elif user.preferred_mfa_setting == EMAIL_OTP:
        user.preferred_mfa_setting = None


def with_email_mfa(
    backend: LocalCognitoBackend, user: CognitoIdpUser, result: ActionResult
) -> ActionResult:
    """GetUser / AdminGetUser: EMAIL_OTP in UserMFASettingList when the user has it on."""
    body = result.result
    if isinstance(body, dict) and backend.state(user).email_mfa_enabled:
        body["UserMFASettingList"] = [*(body.get("UserMFASettingList") or []), EMAIL_OTP]
    return result


def user_auth_factors(backend: LocalCognitoBackend, access_token: str) -> dict[str, Any]:
    """GetUserAuthFactors: the MFA settings and ``ConfiguredUserAuthFactors`` (AuthFactorType
    values: PASSWORD and the passwordless factors the user can start with, WEB_AUTHN with a
    registered passkey, SOFTWARE_TOKEN, EMAIL_OTP and SMS_OTP as MFA)."""
    pool, user = backend.user_from_access_token(access_token)
    state = backend.state(user)
    mfa: list[str] = []
    if user.software_token_mfa_enabled and state.totp_secret:
        mfa.append("SOFTWARE_TOKEN_MFA")
    if user.sms_mfa_enabled:
        mfa.append("SMS_MFA")
    if state.email_mfa_enabled:
        mfa.append(EMAIL_OTP)
    configured: list[str] = []
    first = user_factors(backend, pool, user)
    if PASSWORD in first:
        configured.append(PASSWORD)
    if EMAIL_OTP in first or state.email_mfa_enabled:
        configured.append(EMAIL_OTP)
    if user.sms_mfa_enabled:
        configured.append("SMS_OTP")
    if WEB_AUTHN in webauthn.with_passkeys(backend, pool, user, []):
        configured.append(WEB_AUTHN)
    if "SOFTWARE_TOKEN_MFA" in mfa:
        configured.append("SOFTWARE_TOKEN")
    response: dict[str, Any] = {
        "Username": user.username,
        "UserMFASettingList": mfa,
        "ConfiguredUserAuthFactors": configured,
    }
    if user.preferred_mfa_setting:
        response["PreferredMfaSetting"] = user.preferred_mfa_setting
    return response


def email_mfa_challenge(
    backend: LocalCognitoBackend,
    pool: CognitoIdpUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    device_key: str | None,
    admin: bool,
) -> dict[str, Any] | None:
    """After the password: EMAIL_OTP when email is the MFA Cognito asks for now (preferred,
    or the user's only factor: mfa_factors.asked_factor); None when another factor is, or
    the user chooses (the managed login page serves the emailed code this way)."""
    from . import mfa_factors  # imports this module: here, not at the top

    if mfa_factors.asked_factor(backend, pool, user) != EMAIL_OTP:
        return None
    return email_otp_challenge(
        backend, pool, client, user, user.username, admin, device_key, mfa=True
    )
