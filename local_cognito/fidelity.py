"""The fidelity layer: where the local Cognito departs from plain moto, and why.

``LocalCognitoBackend`` subclasses moto's ``CognitoIdpBackend``. It is instantiated privately
by ``LocalCognito`` (never registered in moto's global ``cognitoidp_backends``), so plain moto
(``mock_aws``, other tests, the canaries in tests/emulator) never sees these overrides.
Every override states the Cognito behaviour it reproduces; everything else is moto's.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import pyotp
from moto.cognitoidp.models import (
    AuthFlow,
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
)

from statemachine import challenges
from statemachine.challenges import (
    DEVICE_PASSWORD_VERIFIER,
    DEVICE_SRP_AUTH,
    MFA_SETUP,
    NEW_PASSWORD_REQUIRED,
    PASSWORD_VERIFIER,
    SELECT_MFA_TYPE,
    SMS_MFA,
    SMS_OTP,
    SOFTWARE_TOKEN_MFA,
)

from . import choice, keys, mfa_factors, rotation, tokens, webauthn
from . import errors as e
from .choice import OneTimeCode
from .clock import Clock
from .messages import render_email
from .outbox import Outbox, OutboxMessage
from .srp_server import (
    ServerHandshake,
    SrpError,
    compute_verifier,
    new_salt,
    parse_srp_a,
    salt_hex,
)
from .tokens import RefreshGrant

CONFIRMATION_CODE_TTL = 24 * 3600  # Cognito: sign-up codes are valid for 24 hours.
RESET_CODE_TTL = 3600  # Cognito: a ForgotPassword code is valid for 1 hour.
# Cognito does not document its recovery rate limits; users report LimitExceededException
# after a handful of ForgotPassword requests (or wrong codes) within an hour. These are the
# local Cognito's thresholds, per user, over a rolling hour of the local clock.
RESET_REQUESTS_PER_HOUR = 5
RESET_CODE_ATTEMPTS = 5
TOTP_STEP = 30
TOTP_WINDOW = 1  # Cognito accepts the previous and next 30-second step as well.
DEFAULT_AUTH_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
_FLOW_PERMISSION = {
    AuthFlow.USER_PASSWORD_AUTH: ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
    AuthFlow.USER_SRP_AUTH: ("ALLOW_USER_SRP_AUTH",),
    AuthFlow.ADMIN_USER_PASSWORD_AUTH: ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
    AuthFlow.ADMIN_NO_SRP_AUTH: ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
    AuthFlow.REFRESH_TOKEN_AUTH: ("ALLOW_REFRESH_TOKEN_AUTH",),
    AuthFlow.REFRESH_TOKEN: ("ALLOW_REFRESH_TOKEN_AUTH",),
    AuthFlow.CUSTOM_AUTH: ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
}
# The AuthFlow values each API takes (moto's lists; InitiateAuth, AdminInitiateAuth), by admin.
_INITIATE_FLOWS = {
    False: [
        AuthFlow.USER_SRP_AUTH,
        AuthFlow.REFRESH_TOKEN_AUTH,
        AuthFlow.REFRESH_TOKEN,
        AuthFlow.CUSTOM_AUTH,
        AuthFlow.USER_PASSWORD_AUTH,
    ],
    True: [
        AuthFlow.ADMIN_NO_SRP_AUTH,
        AuthFlow.ADMIN_USER_PASSWORD_AUTH,
        AuthFlow.USER_SRP_AUTH,
        AuthFlow.REFRESH_TOKEN_AUTH,
        AuthFlow.REFRESH_TOKEN,
        AuthFlow.CUSTOM_AUTH,
    ],
}
_POOL_ID_ALPHABET = string.ascii_letters + string.digits
_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"


@dataclass
class Device:
    """A device Cognito tracks for one user (NewDeviceMetadata, then ConfirmDevice)."""

    key: str
    group_key: str
    created_at: float
    name: str | None = None
    salt: bytes | None = None
    verifier: int | None = None
    remembered: bool = False
    last_modified_at: float = 0.0
    last_authenticated_at: float = 0.0

    @property
    def confirmed(self) -> bool:
        return self.verifier is not None

    def to_json(self) -> dict[str, Any]:
        attributes = [
            {"Name": "device_status", "Value": "valid"},
            {
                "Name": "dev:device_remembered_status",
                "Value": "remembered" if self.remembered else "not_remembered",
            },
            {"Name": "last_ip_used", "Value": "127.0.0.1"},
        ]
        if self.name:
            attributes.append({"Name": "device_name", "Value": self.name})
        return {
            "DeviceKey": self.key,
            "DeviceAttributes": attributes,
            "DeviceCreateDate": datetime.fromtimestamp(self.created_at, tz=UTC),
            "DeviceLastModifiedDate": datetime.fromtimestamp(
                self.last_modified_at or self.created_at, tz=UTC
            ),
            "DeviceLastAuthenticatedDate": datetime.fromtimestamp(
                self.last_authenticated_at or self.created_at, tz=UTC
            ),
        }


@dataclass
class UserState:
    """What Cognito keeps about a user that moto's user model does not."""

    srp_salt: bytes = field(default_factory=new_salt)
    confirmation_code: str | None = None
    confirmation_expires_at: float = 0.0
    temporary_password_expires_at: float | None = None
    totp_secret: str | None = None
    pending_totp_secret: str | None = None
    used_totp_steps: set[int] = field(default_factory=set)
    # The steps used with the pending secret: another secret's codes are other codes.
    pending_totp_steps: set[int] = field(default_factory=set)
    devices: dict[str, Device] = field(default_factory=dict)
    reset_code: str | None = None
    reset_code_expires_at: float = 0.0
    reset_code_failures: int = 0
    reset_requests: list[float] = field(default_factory=list)
    email_mfa_enabled: bool = False  # SetUserMFAPreference EmailMfaSettings (choice.py)


@dataclass
class Challenge:
    """One challenge Session: who it is for, what it expects next, when it dies."""

    session: str
    pool_id: str
    client_id: str
    username: str | None  # None: a simulated challenge for a user that does not exist
    name: str
    expires_at: float
    admin: bool
    handshake: ServerHandshake | None = None
    big_a: int | None = None
    srp_identity: str = ""
    device_key: str | None = None
    totp_verified: bool = False
    # Choice-based sign-in (choice.py): the AvailableChallenges offered, the emailed code.
    available: list[str] = field(default_factory=list)
    one_time_code: OneTimeCode | None = None
    # A passkey sign-in (webauthn.py): the challenge the browser must sign.
    assertion: webauthn.Assertion | None = None

    def reply(self, parameters: dict[str, str]) -> dict[str, Any]:
        """What InitiateAuth / RespondToAuthChallenge answer to ask this challenge."""
        return {
            "ChallengeName": self.name,
            "Session": self.session,
            "ChallengeParameters": parameters,
        }


@dataclass
class Answer:
    """One RespondToAuthChallenge: the pool and client, the challenge it answers, that
    challenge's user (None: a simulated challenge) and the ChallengeResponses."""

    pool: CognitoIdpUserPool
    client: CognitoIdpUserPoolClient
    challenge: Challenge
    user: CognitoIdpUser | None
    responses: dict[str, str]


Answerer = Callable[["LocalCognitoBackend", "Answer"], dict[str, Any]]
#: The local Cognito's answer to each challenge of the challenge registry
#: (statemachine.challenges), filled by ``@answers``; every registry entry must have one.
_ANSWERERS: dict[str, Answerer] = {}
A = TypeVar("A", bound=Answerer)


def answers(name: str) -> Callable[[A], A]:
    """Register the decorated method as the local Cognito's answer to challenge ``name``."""
    entry = challenges.challenge(name)  # KeyError: not a challenge of the registry

    def register(method: A) -> A:
        _ANSWERERS[entry.name] = method
        return method

    return register


class LocalUserPool(CognitoIdpUserPool):
    """moto's user pool, bound to the private backend, with Cognito's username matching."""

    def __init__(
        self,
        backend: LocalCognitoBackend,
        account_id: str,
        region: str,
        name: str,
        extended_config: dict[str, Any],
    ) -> None:
        self._local_backend = backend
        # What CreateUserPool was given (moto pops the Schema): the state file rebuilds from it.
        self.creation_config: dict[str, Any] = copy.deepcopy(extended_config or {})
        super().__init__(account_id, region, name, extended_config)
        # Cognito's pool ids are "<region>_" plus 9 alphanumerics (moto: 32 hex digits).
        self.id = f"{region}_" + "".join(secrets.choice(_POOL_ID_ALPHABET) for _ in range(9))
        self.arn = self.arn.rsplit("/", 1)[0] + "/" + self.id
        # The pool's own signing key, not moto's published one (keys.py says why).
        self.json_web_key = keys.new_signing_key()

    def create_jwt(
        self,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int = 60 * 60,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        # moto's token paths name kid "dummy" in the header; tokens.mint replaces them all,
        # and any moto path still reaching here signs under the pool's own kid too.
        token, lifetime = super().create_jwt(client_id, username, token_use, expires_in, extra_data)
        return keys.sign(self.json_web_key, self._local_backend._jwt_claims(token)), lifetime

    @property
    def backend(self) -> CognitoIdpBackend:
        # moto looks the backend up in its global registry; ours is not registered there.
        return self._local_backend

    @property
    def case_sensitive(self) -> bool:
        config = self.extended_config.get("UsernameConfiguration") or {}
        return bool(config.get("CaseSensitive", True))

    def _get_user(self, username: str) -> CognitoIdpUser:
        # Cognito: with UsernameConfiguration.CaseSensitive=false, "Alice" and "alice" are
        # the same user (moto matches exactly).
        user = super()._get_user(username)
        if user is None and username and not self.case_sensitive:
            wanted = username.lower()
            for candidate in self.users.values():
                if candidate.username.lower() == wanted:
                    return candidate
        return user

    def get_user_extra_data_by_client_id(self, client_id: str, username: str) -> dict[str, Any]:
        # Cognito: a client with no ReadAttributes reads every attribute (CreateUserPoolClient,
        # "ReadAttributes"), so the ID token carries email and email_verified; moto then
        # puts none in.
        client = self.clients.get(client_id)
        if client is None or client.get_readable_fields():
            return super().get_user_extra_data_by_client_id(client_id, username)
        user = self._get_user(username)
        return {
            attr["Name"]: attr["Value"]
            for attr in user.attributes
            if attr["Name"] != "sub" and not attr["Name"].startswith("custom:")
        }


class LocalCognitoBackend(CognitoIdpBackend):
    """moto's Cognito backend with Cognito's behaviour where moto departs from it."""

    #: Backend attributes, beyond the pools, ``user_states`` and the revoked tokens, that the
    #: state file (state.py) keeps across restarts: dicts, lists and sets of JSON values
    #: (str, numbers, bytes), restored as they were. Challenges are deliberately not kept.
    PERSISTED_ATTRIBUTES: tuple[str, ...] = ("webauthn_credentials", "webauthn_settings")

    def __init__(
        self,
        region_name: str,
        account_id: str,
        clock: Clock | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        super().__init__(region_name, account_id)
        self.clock = clock or Clock()
        self.outbox = outbox or Outbox()
        self.lock = threading.RLock()
        self.user_states: dict[str, UserState] = {}
        self.challenges: dict[str, Challenge] = {}
        self.challenges_by_secret_block: dict[bytes, str] = {}
        # Sessions already answered, until they would have expired: reuse says so.
        self.spent_sessions: dict[str, float] = {}
        self.revoked_access_tokens: set[str] = set()
        self.refresh_grants: dict[str, RefreshGrant] = {}
        # Passkeys (webauthn.py): by user id, the pool's settings by pool id, and the
        # registrations started (not kept across restarts, like challenges).
        self.webauthn_credentials: dict[str, list[webauthn.StoredPasskey]] = {}
        self.webauthn_settings: dict[str, webauthn.PoolSettings] = {}
        self.webauthn_registrations: dict[str, webauthn.PendingRegistration] = {}
        # The scheme://host:port of tokens' iss; LocalCognito sets its endpoint when serving.
        self.issuer_base = f"https://cognito-idp.{region_name}.amazonaws.com"

    def state(self, user: CognitoIdpUser) -> UserState:
        return self.user_states.setdefault(user.id, UserState())

    def create_user_pool(self, name: str, extended_config: dict[str, Any]) -> CognitoIdpUserPool:
        pool = LocalUserPool(self, self.account_id, self.region_name, name, extended_config)
        self.user_pools[pool.id] = pool
        return pool

    def create_user_pool_client(
        self, user_pool_id: str, generate_secret: bool, extended_config: dict[str, Any]
    ) -> CognitoIdpUserPoolClient:
        # RefreshTokenRotation checked, and DISABLED when not given (rotation.py).
        config = rotation.client_config(extended_config)
        return super().create_user_pool_client(user_pool_id, generate_secret, config)

    def update_user_pool_client(
        self, user_pool_id: str, client_id: str, extended_config: dict[str, Any]
    ) -> CognitoIdpUserPoolClient:
        config = rotation.client_config(extended_config)
        return super().update_user_pool_client(user_pool_id, client_id, config)

    def pool_and_client(
        self, client_id: str
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
        for pool in self.user_pools.values():
            if client_id in pool.clients:
                return pool, pool.clients[client_id]
        raise e.ResourceNotFound(f"User pool client {client_id} does not exist.")

    def _client_of_pool(self, pool: CognitoIdpUserPool, client_id: str) -> CognitoIdpUserPoolClient:
        client = pool.clients.get(client_id)
        if client is None:
            raise e.ResourceNotFound(f"User pool client {client_id} does not exist.")
        return client

    @staticmethod
    def _prevents_existence_errors(client: CognitoIdpUserPoolClient) -> bool:
        return client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"

    def _check_secret_hash(
        self, client: CognitoIdpUserPoolClient, secret_hash: str | None, *usernames: str | None
    ) -> None:
        # Cognito: a client with a secret must send SECRET_HASH = b64(HMAC(secret, user+id)).
        if not client.generate_secret:
            return
        if not secret_hash:
            raise e.NotAuthorized(
                f"Client {client.id} is configured with secret but SECRET_HASH was not received"
            )
        for username in usernames:
            if not username:
                continue
            digest = hmac.new(
                client.secret.encode(), (username + client.id).encode(), hashlib.sha256
            ).digest()
            if hmac.compare_digest(base64.b64encode(digest).decode(), secret_hash):
                return
        raise e.NotAuthorized(f"Unable to verify secret hash for client {client.id}")

    def _code_delivery(self, pool: CognitoIdpUserPool, email: str | None) -> dict[str, str]:
        # Cognito masks the destination: "a***@e***".
        if email and "@" in email:
            local, domain = email.split("@", 1)
            destination = f"{local[:1]}***@{domain[:1]}***"
        else:
            destination = f"{secrets.choice(string.ascii_lowercase)}***@e***"
        return {"Destination": destination, "DeliveryMedium": "EMAIL", "AttributeName": "email"}

    def _send(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, kind: str, **secret: str
    ) -> None:
        email = user.attribute_lookup.get("email")
        if not email:
            return  # Cognito cannot deliver without an address; SMS is not reproduced.
        sender, subject, body = render_email(pool.extended_config, kind, user.username, secret)
        self.outbox.record(
            OutboxMessage(
                to=email,
                kind=kind,
                username=user.username,
                user_pool_id=pool.id,
                sent_at=self.clock.utcnow(),
                sender=sender,
                subject=subject,
                body=body,
                **secret,
            )
        )

    def _new_confirmation_code(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> None:
        # Cognito: a 6-digit code, valid 24 hours; a new code replaces the previous one.
        state = self.state(user)
        state.confirmation_code = f"{secrets.randbelow(1_000_000):06d}"
        state.confirmation_expires_at = self.clock.now() + CONFIRMATION_CODE_TTL
        self._send(pool, user, "confirmation_code", code=state.confirmation_code)

    @staticmethod
    def _password_policy(pool: CognitoIdpUserPool) -> dict[str, Any]:
        return (pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {}

    def check_password_policy(self, pool: CognitoIdpUserPool, password: str | None) -> None:
        """Cognito's policy check, with Cognito's messages (moto has one generic message)."""
        policy = self._password_policy(pool)
        prefix = "Password did not conform with policy: "
        password = password or ""
        if len(password) < int(policy.get("MinimumLength", 8)):
            raise e.InvalidPassword(prefix + "Password not long enough")
        if len(password) > 256:
            raise e.InvalidPassword(prefix + "Password is too long")
        if policy.get("RequireLowercase", True) and not re.search(r"[a-z]", password):
            raise e.InvalidPassword(prefix + "Password must have lowercase characters")
        if policy.get("RequireUppercase", True) and not re.search(r"[A-Z]", password):
            raise e.InvalidPassword(prefix + "Password must have uppercase characters")
        if policy.get("RequireNumbers", True) and not re.search(r"\d", password):
            raise e.InvalidPassword(prefix + "Password must have numeric characters")
        if policy.get("RequireSymbols", True) and not any(c in _SYMBOLS for c in password):
            raise e.InvalidPassword(prefix + "Password must have symbol characters")

    def _generate_temporary_password(self, pool: CognitoIdpUserPool) -> str:
        # Cognito generates a temporary password that satisfies the pool's policy.
        policy = self._password_policy(pool)
        length = max(int(policy.get("MinimumLength", 8)), 12)
        classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*-_=+?"]
        chars = [secrets.choice(c) for c in classes]
        alphabet = "".join(classes)
        chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        self.check_password_policy(pool, password)
        return password

    def _temporary_password_validity(self, pool: CognitoIdpUserPool) -> float:
        days = self._password_policy(pool).get("TemporaryPasswordValidityDays", 7)
        return float(days) * 86400

    def _user_or_none(
        self, pool: CognitoIdpUserPool, username: str | None
    ) -> CognitoIdpUser | None:
        if not username:
            return None
        return pool._get_user(username)

    def sign_up(
        self,
        client_id: str,
        username: str,
        password: str,
        attributes: list[dict[str, str]],
        secret_hash: str | None = None,
    ) -> tuple[CognitoIdpUser, Any]:
        """Cognito: checks SECRET_HASH, case-insensitive duplicates, sends a 6-digit code."""
        pool, client = self.pool_and_client(client_id)
        self._check_secret_hash(client, secret_hash, username)
        if pool._get_user(username):
            raise e.UsernameExists("User already exists")
        self.check_password_policy(pool, password)
        self._check_required_attributes(pool, attributes)
        user, _ = super().sign_up(client_id, username, password, attributes)
        self.state(user)
        auto_verified = pool.extended_config.get("AutoVerifiedAttributes") or []
        if "email" in auto_verified and user.attribute_lookup.get("email"):
            self._new_confirmation_code(pool, user)
            return user, self._code_delivery(pool, user.attribute_lookup["email"])
        return user, None

    def _check_required_attributes(
        self, pool: CognitoIdpUserPool, attributes: list[dict[str, str]] | None
    ) -> None:
        given = {a["Name"] for a in attributes or [] if a.get("Value")}
        for name, attribute in pool.schema_attributes.items():
            if attribute.required and name != "sub" and name not in given:
                raise e.InvalidParameter(
                    f"Attributes did not conform to the schema: {name}: The attribute is required"
                )

    def _sign_up_user(
        self, client_id: str, username: str, secret_hash: str | None
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUser | None]:
        """The pool and user a sign-up code call names; the user is None only when the client
        prevents user existence errors (the caller then answers as for a user who exists)."""
        pool, client = self.pool_and_client(client_id)
        self._check_secret_hash(client, secret_hash, username)
        user = self._user_or_none(pool, username)
        if user is None and not self._prevents_existence_errors(client):
            raise e.UserNotFound("Username/client id combination not found.")
        return pool, user

    def confirm_sign_up_with_code(
        self, client_id: str, username: str, code: str | None, secret_hash: str | None = None
    ) -> None:
        """Cognito: the code must match and be younger than 24 hours."""
        pool, user = self._sign_up_user(client_id, username, secret_hash)
        if user is None:
            raise e.CodeMismatch(e.CODE_MISMATCH_SIGN_UP)
        if user.status != UserStatus.UNCONFIRMED:
            raise e.NotAuthorized(
                f"User cannot be confirmed. Current status is {UserStatus(user.status).value}"
            )
        state = self.state(user)
        if not state.confirmation_code or not code:
            raise e.CodeMismatch(e.CODE_MISMATCH_SIGN_UP)
        if not hmac.compare_digest(state.confirmation_code, code):
            raise e.CodeMismatch(e.CODE_MISMATCH_SIGN_UP)
        if self.clock.now() > state.confirmation_expires_at:
            raise e.ExpiredCode(e.CODE_EXPIRED)
        state.confirmation_code = None
        super().admin_confirm_sign_up(pool.id, user.username)
        if "email" in (pool.extended_config.get("AutoVerifiedAttributes") or []):
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])

    def resend_confirmation_code(
        self, client_id: str, username: str, secret_hash: str | None = None
    ) -> dict[str, str]:
        """Cognito's ResendConfirmationCode (moto does not implement it)."""
        pool, user = self._sign_up_user(client_id, username, secret_hash)
        if user is None:
            return self._code_delivery(pool, None)  # a simulated delivery
        if user.status != UserStatus.UNCONFIRMED:
            raise e.InvalidParameter("User is already confirmed.")
        self._new_confirmation_code(pool, user)
        return self._code_delivery(pool, user.attribute_lookup.get("email"))

    def admin_create_user(
        self,
        user_pool_id: str,
        username: str,
        message_action: str | None,
        temporary_password: str | None,
        attributes: list[dict[str, str]],
    ) -> CognitoIdpUser:
        """Cognito: temporary password generated or policy-checked; RESEND keeps the user."""
        pool = self.describe_user_pool(user_pool_id)
        if message_action not in (None, "", "RESEND", "SUPPRESS"):
            raise e.InvalidParameter(
                f"1 validation error detected: Value '{message_action}' at 'messageAction' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[RESEND, SUPPRESS]"
            )
        if temporary_password is not None:
            self.check_password_policy(pool, temporary_password)
        password = temporary_password or self._generate_temporary_password(pool)
        if message_action == "RESEND":
            user = self._user_or_none(pool, username)
            if user is None:
                raise e.UserNotFound("User does not exist.")
            if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
                raise e.UnsupportedUserState(
                    f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD."
                )
            user.password = password
            user.last_modified_date = self.clock.utcnow()
        else:
            if pool._get_user(username):
                raise e.UsernameExists("User account already exists")
            user = super().admin_create_user(user_pool_id, username, "", password, attributes)
        state = self.state(user)
        state.temporary_password_expires_at = self.clock.now() + self._temporary_password_validity(
            pool
        )
        if message_action != "SUPPRESS":
            self._send(pool, user, "temporary_password", temporary_password=password)
        return user

    def admin_set_user_password(
        self, user_pool_id: str, username: str, password: str, permanent: bool
    ) -> None:
        pool = self.describe_user_pool(user_pool_id)
        self.check_password_policy(pool, password)
        super().admin_set_user_password(user_pool_id, username, password, permanent)
        user = self.admin_get_user(user_pool_id, username)
        self.state(user).temporary_password_expires_at = (
            None if permanent else self.clock.now() + self._temporary_password_validity(pool)
        )

    # ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword, ChangePassword and
    # SetUserMFAPreference. moto puts the reset code in a response header and accepts any
    # code not shaped like its own; Cognito emails a 6-digit code valid for one hour.

    def _recovery_user(
        self, client_id: str, username: str, secret_hash: str | None
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient, CognitoIdpUser | None]:
        """The pool, client and user a recovery call names; the user is None only when the
        client prevents user existence errors (the caller then answers as if it existed)."""
        pool, client = self.pool_and_client(client_id)
        self._check_secret_hash(client, secret_hash, username)
        user = self._user_or_none(pool, username)
        if user is None and not self._prevents_existence_errors(client):
            raise e.UserNotFound("Username/client id combination not found.")
        return pool, client, user

    def _check_recovery_allowed(self, pool: CognitoIdpUserPool) -> None:
        settings = pool.extended_config.get("AccountRecoverySetting") or {}
        mechanisms = settings.get("RecoveryMechanisms") or []
        if mechanisms and min(mechanisms, key=lambda m: m.get("Priority", 1))["Name"] == (
            "admin_only"
        ):
            raise e.NotAuthorized("Contact administrator to reset password.")

    def _send_reset_code(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> None:
        # Cognito: a 6-digit code, valid 1 hour; a new code replaces the previous one.
        state = self.state(user)
        state.reset_code = f"{secrets.randbelow(1_000_000):06d}"
        state.reset_code_expires_at = self.clock.now() + RESET_CODE_TTL
        state.reset_code_failures = 0
        self._send(pool, user, "password_reset_code", code=state.reset_code)

    def forgot_password(  # type: ignore[override]
        self, client_id: str, username: str, secret_hash: str | None = None
    ) -> dict[str, Any]:
        """Cognito's ForgotPassword: a code to the verified email, through the outbox."""
        pool, _, user = self._recovery_user(client_id, username, secret_hash)
        self._check_recovery_allowed(pool)
        if user is None:
            # PreventUserExistenceErrors: a simulated delivery, indistinguishable from a real one.
            return {"CodeDeliveryDetails": self._code_delivery(pool, None)}
        if not user.enabled:
            raise e.NotAuthorized("User is disabled.")
        if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            raise e.NotAuthorized("User password cannot be reset in the current state.")
        email = user.attribute_lookup.get("email")
        if not email or user.attribute_lookup.get("email_verified") != "true":
            raise e.InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email "
                "or phone_number"
            )
        state = self.state(user)
        now = self.clock.now()
        state.reset_requests = [t for t in state.reset_requests if t > now - 3600]
        if len(state.reset_requests) >= RESET_REQUESTS_PER_HOUR:
            raise e.LimitExceeded(e.ATTEMPT_LIMIT_EXCEEDED)
        state.reset_requests.append(now)
        self._send_reset_code(pool, user)
        return {"CodeDeliveryDetails": self._code_delivery(pool, email)}

    def confirm_forgot_password(
        self,
        client_id: str,
        username: str,
        password: str,
        confirmation_code: str,
        secret_hash: str | None = None,
    ) -> None:
        """Cognito's ConfirmForgotPassword: the code must match and be under an hour old."""
        pool, _, user = self._recovery_user(client_id, username, secret_hash)
        self.check_password_policy(pool, password)
        if user is None:
            raise e.CodeMismatch(e.CODE_MISMATCH_SIGN_UP)
        state = self.state(user)
        if state.reset_code_failures >= RESET_CODE_ATTEMPTS:
            raise e.LimitExceeded(e.ATTEMPT_LIMIT_EXCEEDED)
        if not state.reset_code:
            raise e.ExpiredCode(e.CODE_EXPIRED)
        if not confirmation_code or not hmac.compare_digest(
            state.reset_code.encode(), str(confirmation_code).encode()
        ):
            state.reset_code_failures += 1
            raise e.CodeMismatch(e.CODE_MISMATCH_SIGN_UP)
        if self.clock.now() > state.reset_code_expires_at:
            state.reset_code = None
            raise e.ExpiredCode(e.CODE_EXPIRED)
        state.reset_code = None
        state.reset_code_failures = 0
        state.temporary_password_expires_at = None
        user.password = password
        user.status = UserStatus.CONFIRMED
        user.last_modified_date = self.clock.utcnow()

    def admin_reset_user_password(self, user_pool_id: str, username: str) -> None:
        """Cognito: RESET_REQUIRED, and a reset code to the user's verified email."""
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        if not user.enabled:
            raise e.NotAuthorized("User is disabled.")
        if user.status not in (UserStatus.CONFIRMED, UserStatus.RESET_REQUIRED):
            raise e.NotAuthorized("User password cannot be reset in the current state.")
        if user.attribute_lookup.get("email_verified") != "true":
            raise e.InvalidParameter(
                "Cannot reset password for the user as there is no registered/verified email "
                "or phone_number"
            )
        user.status = UserStatus.RESET_REQUIRED
        user.last_modified_date = self.clock.utcnow()
        self._send_reset_code(pool, user)

    def change_password(
        self, access_token: str, previous_password: str, proposed_password: str
    ) -> None:
        """Cognito's ChangePassword: the old password must match; the new one meet the policy."""
        pool, user = self.user_from_access_token(access_token)
        if not previous_password or not hmac.compare_digest(
            (user.password or "").encode(), previous_password.encode()
        ):
            raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
        self.check_password_policy(pool, proposed_password)
        user.password = proposed_password
        user.last_modified_date = self.clock.utcnow()

    def set_user_mfa_preference(
        self,
        access_token: str,
        software_token_mfa_settings: dict[str, bool],
        sms_mfa_settings: dict[str, bool],
    ) -> None:
        pool, user = self.user_from_access_token(access_token)
        self.admin_set_user_mfa_preference(
            pool.id, user.username, software_token_mfa_settings, sms_mfa_settings
        )

    def admin_set_user_mfa_preference(
        self,
        user_pool_id: str,
        username: str,
        software_token_mfa_settings: dict[str, bool],
        sms_mfa_settings: dict[str, bool],
    ) -> None:
        """Cognito: TOTP only once verified (with the user's secret), SMS only with a phone
        (local_cognito.mfa_factors)."""
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        mfa_factors.check_sms_settings(pool, user, sms_mfa_settings)
        totp = software_token_mfa_settings or {}
        if (totp.get("Enabled") or totp.get("PreferredMfa")) and not self.state(user).totp_secret:
            raise e.InvalidParameter("User has not verified software token mfa")
        super().admin_set_user_mfa_preference(
            user_pool_id, user.username, totp, sms_mfa_settings or {}
        )

    def _require_flow(self, client: CognitoIdpUserPoolClient, flow: AuthFlow) -> None:
        # Cognito enforces the client's ExplicitAuthFlows (moto ignores them).
        allowed = client.extended_config.get("ExplicitAuthFlows") or list(DEFAULT_AUTH_FLOWS)
        if not any(p in allowed for p in _FLOW_PERMISSION[flow]):
            name = "ADMIN_NO_SRP_AUTH" if flow is AuthFlow.ADMIN_USER_PASSWORD_AUTH else flow.value
            raise e.InvalidParameter(f"{name} flow not enabled for this client")

    def _new_challenge(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        username: str | None,
        name: str,
        admin: bool,
        **extra: Any,
    ) -> Challenge:
        # Cognito: a session lives AuthSessionValidity minutes (3 by default, 3-15).
        minutes = int(client.extended_config.get("AuthSessionValidity") or 3)
        challenge = Challenge(
            session=secrets.token_urlsafe(96),
            pool_id=pool.id,
            client_id=client.id,
            username=username,
            name=name,
            expires_at=self.clock.now() + minutes * 60,
            admin=admin,
            **extra,
        )
        self.challenges[challenge.session] = challenge
        if challenge.handshake is not None:
            self.challenges_by_secret_block[challenge.handshake.secret_block] = challenge.session
        return challenge

    def _end_challenge(self, challenge: Challenge, *, spent: bool = True) -> None:
        # Cognito: each Session answers once; the next step gets a new one.
        self.challenges.pop(challenge.session, None)
        if challenge.handshake is not None:
            self.challenges_by_secret_block.pop(challenge.handshake.secret_block, None)
        if spent:
            self.spent_sessions[challenge.session] = challenge.expires_at

    def _expire_challenges(self) -> None:
        now = self.clock.now()
        for challenge in [c for c in self.challenges.values() if c.expires_at < now]:
            self._end_challenge(challenge, spent=False)
        for session in [s for s, until in self.spent_sessions.items() if until < now]:
            del self.spent_sessions[session]

    def _unknown_session_error(self, session: str | None) -> e.CognitoError:
        """What Cognito answers for a Session that is not live: one already answered says
        so ("session can only be used once", reported wording); any other is invalid."""
        if session and session in self.spent_sessions:
            return e.NotAuthorized(e.SESSION_USED)
        return e.NotAuthorized(e.INVALID_SESSION)

    def initiate_auth(
        self, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        pool, client = self.pool_and_client(client_id)
        return self._initiate(pool, client, auth_flow, auth_parameters, admin=False)

    def admin_initiate_auth(
        self, user_pool_id: str, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> dict[str, Any]:
        pool = self.describe_user_pool(user_pool_id)
        client = self._client_of_pool(pool, client_id)
        return self._initiate(pool, client, auth_flow, auth_parameters, admin=True)

    def _initiate(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        auth_flow: str,
        auth_parameters: dict[str, str] | None,
        admin: bool,
    ) -> dict[str, Any]:
        if auth_flow == choice.USER_AUTH:  # moto knows no USER_AUTH (choice.py)
            self._expire_challenges()
            return choice.initiate(self, pool, client, auth_parameters or {}, admin)
        flow = self._validate_auth_flow(auth_flow=auth_flow, valid_flows=_INITIATE_FLOWS[admin])
        params = auth_parameters or {}
        self._require_flow(client, flow)
        self._expire_challenges()
        if flow in (AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN):
            return self._refresh(pool, client, params)
        if flow is AuthFlow.CUSTOM_AUTH:
            raise e.InvalidParameter(
                "Custom auth lambda trigger is not configured for the user pool."
            )
        username = params.get("USERNAME")
        if not username:
            raise e.InvalidParameter("Missing required parameter USERNAME")
        user = self._user_or_none(pool, username)
        self._check_secret_hash(
            client, params.get("SECRET_HASH"), username, user.username if user else None
        )
        if flow is AuthFlow.USER_SRP_AUTH:
            return self._start_user_srp(pool, client, user, username, params, admin)
        password = params.get("PASSWORD")
        if not password:
            raise e.InvalidParameter("Missing required parameter PASSWORD")
        user = self.verify_password(client, user, password)
        self._require_known_device(pool, user, params.get("DEVICE_KEY"))
        return self._after_password(pool, client, user, params.get("DEVICE_KEY"), admin)

    def verify_password(
        self, client: CognitoIdpUserPoolClient, user: CognitoIdpUser | None, password: str
    ) -> CognitoIdpUser:
        """The user, when ``password`` is theirs: the one check of a password sign-in, for
        InitiateAuth and the managed login page (oauth_login.py) alike."""
        if user is None:
            raise self._unknown_user_error(client)
        if not hmac.compare_digest((user.password or "").encode(), password.encode()):
            raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
        return user

    def _unknown_user_error(self, client: CognitoIdpUserPoolClient) -> e.CognitoError:
        # Cognito with PreventUserExistenceErrors=ENABLED answers as for a wrong password.
        if self._prevents_existence_errors(client):
            return e.NotAuthorized(e.INCORRECT_CREDENTIALS)
        return e.UserNotFound("User does not exist.")

    def _start_user_srp(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser | None,
        username: str,
        params: dict[str, str],
        admin: bool,
    ) -> dict[str, Any]:
        """Cognito's USER_SRP_AUTH: real SALT, SRP_B and SECRET_BLOCK from the password."""
        try:
            big_a = parse_srp_a(params.get("SRP_A"))
        except SrpError as exc:
            raise e.InvalidParameter(str(exc)) from exc
        if user is None:
            if not self._prevents_existence_errors(client):
                raise e.UserNotFound("User does not exist.")
            # Simulate a challenge for a user that does not exist, so the answer fails the
            # same way a wrong password does.
            identity, salt = username, new_salt()
            verifier = compute_verifier(
                salt, pool.id.split("_", 1)[1], identity, secrets.token_hex()
            )
        else:
            identity, salt = user.username, self.state(user).srp_salt
            verifier = compute_verifier(
                salt, pool.id.split("_", 1)[1], identity, user.password or secrets.token_hex()
            )
        handshake = ServerHandshake.start(verifier)
        challenge = self._new_challenge(
            pool,
            client,
            user.username if user else None,
            PASSWORD_VERIFIER,
            admin,
            handshake=handshake,
            big_a=big_a,
            srp_identity=identity,
            device_key=params.get("DEVICE_KEY"),
        )
        return challenge.reply(
            {
                "SALT": salt_hex(salt),
                "SRP_B": handshake.srp_b_hex,
                "SECRET_BLOCK": handshake.secret_block_b64,
                "USER_ID_FOR_SRP": identity,
                "USERNAME": identity,
            }
        )

    def _after_password(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None,
        admin: bool,
    ) -> dict[str, Any]:
        """What Cognito does once the password is proven: state checks, then challenges."""
        if not user.enabled:
            raise e.NotAuthorized("User is disabled.")
        if user.status == UserStatus.UNCONFIRMED:
            # Cognito refuses unconfirmed users on every flow (moto: admin flow gives tokens).
            raise e.UserNotConfirmed("User is not confirmed.")
        if user.status == UserStatus.RESET_REQUIRED:
            raise e.PasswordResetRequired(e.PASSWORD_RESET_REQUIRED)
        state = self.state(user)
        if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            expires = state.temporary_password_expires_at
            if expires is not None and self.clock.now() > expires:
                raise e.NotAuthorized(e.TEMPORARY_PASSWORD_EXPIRED)
            attributes = {a["Name"]: a["Value"] for a in user.attributes if a["Name"] != "sub"}
            required = [
                f"userAttributes.{name}"
                for name, attr in pool.schema_attributes.items()
                if attr.required and name != "sub" and not attributes.get(name)
            ]
            challenge = self._new_challenge(
                pool, client, user.username, NEW_PASSWORD_REQUIRED, admin, device_key=device_key
            )
            return challenge.reply(
                {
                    "USER_ID_FOR_SRP": user.username,
                    "requiredAttributes": json.dumps(required),
                    "userAttributes": json.dumps(attributes),
                }
            )
        return self._second_factor(pool, client, user, device_key, admin)

    def _remembered_device(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, device_key: str | None
    ) -> Device | None:
        if not device_key:
            return None
        device = self.state(user).devices.get(device_key)
        if device is None or not device.confirmed:
            return None
        config = pool.extended_config.get("DeviceConfiguration") or {}
        if config.get("DeviceOnlyRememberedOnUserPrompt") and not device.remembered:
            return None
        return device

    def _second_factor(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None,
        admin: bool,
    ) -> dict[str, Any]:
        device = self._remembered_device(pool, user, device_key)
        if device is not None:
            # Cognito: a remembered device proves itself with DEVICE_SRP_AUTH instead of MFA.
            challenge = self._new_challenge(
                pool, client, user.username, DEVICE_SRP_AUTH, admin, device_key=device.key
            )
            return challenge.reply({"USERNAME": user.username})
        asked = mfa_factors.mfa_challenge(self, pool, client, user, device_key, admin)
        if asked is not None:
            return asked
        totp_allowed = (pool.token_mfa_config or {}).get("Enabled", False)
        if pool.mfa_config == "ON" and totp_allowed:
            # Cognito: MFA required and none set up -> MFA_SETUP, with a JSON-string list.
            challenge = self._new_challenge(
                pool, client, user.username, MFA_SETUP, admin, device_key=device_key
            )
            return challenge.reply({"MFAS_CAN_SETUP": json.dumps([SOFTWARE_TOKEN_MFA])})
        return self._issue_tokens(pool, client, user, device_key)

    def _issue_tokens(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None,
    ) -> dict[str, Any]:
        """Tokens at the end of a sign-in; with device tracking, a new device unless the
        sign-in named one of the user's devices, and the refresh token bound to it."""
        state = self.state(user)
        new_device: Device | None = None
        if pool.extended_config.get("DeviceConfiguration"):
            if not device_key or device_key not in state.devices:
                # Cognito: a sign-in without a known device gets a new one.
                new_device = self._new_device(state)
                device_key = new_device.key
            else:
                state.devices[device_key].last_authenticated_at = self.clock.now()
        else:
            device_key = None  # no device tracking: tokens bound to no device
        refresh_token, origin_jti = pool.create_refresh_token(client.id, user.username)
        grant = RefreshGrant(
            # The refresh token's life runs on the local clock (tests move it: "30 days
            # later"); the JWTs' times are real time (tokens.py).
            expires_at=self.clock.now()
            + tokens.token_lifetime(client.extended_config, "RefreshToken"),
            auth_time=int(time.time()),
            device_key=device_key,
        )
        self.refresh_grants[refresh_token] = grant
        access_token, id_token, expires_in = self._mint(pool, client, user, origin_jti, grant)
        result: dict[str, Any] = {
            "IdToken": id_token,
            "AccessToken": access_token,
            "RefreshToken": refresh_token,
            "ExpiresIn": expires_in,
            "TokenType": "Bearer",
        }
        if new_device is not None:
            result["NewDeviceMetadata"] = {
                "DeviceKey": new_device.key,
                "DeviceGroupKey": new_device.group_key,
            }
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    def _new_device(self, state: UserState) -> Device:
        now = self.clock.now()
        device = Device(
            key=f"{self.region_name}_{uuid.uuid4()}",
            group_key="-"
            + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(9)),
            created_at=now,
            last_modified_at=now,
        )
        state.devices[device.key] = device
        return device

    def _mint(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        origin_jti: str,
        grant: RefreshGrant,
        id_claims: dict[str, Any] | None = None,
        at_hash: bool = False,
    ) -> tuple[str, str, int]:
        """An access + ID token pair with Cognito's claims and the client's lifetimes
        (and the OAuth scopes of a managed-login sign-in, which a refresh keeps)."""
        issue = tokens.Issue(
            client=client,
            username=user.username,
            origin_jti=origin_jti,
            auth_time=grant.auth_time,
            now=time.time(),
            issuer=self.issuer(pool.id),
            device_key=grant.device_key,
            scope=grant.scope or tokens.SCOPE,
            id_claims=id_claims,
            at_hash=at_hash,
        )
        return tokens.mint(pool, issue)

    def issuer(self, pool_id: str) -> str:
        """The ``iss`` of this pool's tokens and the issuer of its openid-configuration."""
        return f"{self.issuer_base}/{pool_id}"

    def _refresh(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, params: dict[str, str]
    ) -> dict[str, Any]:
        refresh_token = params.get("REFRESH_TOKEN")
        if not refresh_token:
            raise e.InvalidParameter("Missing required parameter REFRESH_TOKEN")
        if rotation.Rotation.of(client).enabled:
            # Cognito: no REFRESH_TOKEN_AUTH in a client that rotates (rotation.py).
            raise e.InvalidParameter(rotation.USE_GET_TOKENS)

        def check_secret_hash(username: str, user: CognitoIdpUser | None) -> None:
            self._check_secret_hash(
                client,
                params.get("SECRET_HASH"),
                params.get("USERNAME"),
                username,
                user.id if user else None,
            )

        user, origin_jti, grant = self.redeem_refresh_token(
            pool, client, refresh_token, params.get("DEVICE_KEY"), check_secret_hash
        )
        access_token, id_token, expires_in = self._mint(pool, client, user, origin_jti, grant)
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "IdToken": id_token,
                "AccessToken": access_token,
                "ExpiresIn": expires_in,
                "TokenType": "Bearer",
            },
        }

    def redeem_refresh_token(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        refresh_token: str,
        device_key: str | None,
        check_secret: Callable[[str, CognitoIdpUser | None], None] | None = None,
    ) -> tuple[CognitoIdpUser, str, RefreshGrant]:
        """The user, ``origin_jti`` and grant of a refresh token that may be used now, for
        REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken alike; ``check_secret`` (given the
        token's username and user) checks the client's secret the way the caller's action
        sends it. Refusals say what Cognito says."""
        if refresh_token not in pool.refresh_tokens:
            raise e.NotAuthorized(e.INVALID_REFRESH_TOKEN)
        record = pool.refresh_tokens[refresh_token]
        if record is None:
            raise e.NotAuthorized(e.REFRESH_TOKEN_REVOKED)
        token_client_id, username, origin_jti = record
        if token_client_id != client.id:
            raise e.NotAuthorized(e.INVALID_REFRESH_TOKEN)
        user = self._user_or_none(pool, username)
        if check_secret is not None:
            check_secret(username, user)
        if user is None or not user.enabled:
            raise e.NotAuthorized(e.INVALID_REFRESH_TOKEN)
        grant = self.refresh_grants.get(refresh_token)
        if grant is None:
            # A refresh token known to the pool without a grant (none is issued so today;
            # a state file from before grants existed could hold one): no expiry, no device.
            grant = RefreshGrant(expires_at=float("inf"), auth_time=int(time.time()))
        now = self.clock.now()
        if grant.rotated_until is not None and now >= grant.rotated_until:
            raise e.RefreshTokenReuse(rotation.TOKEN_ROTATED)
        if now > grant.expires_at:
            raise e.NotAuthorized(e.REFRESH_TOKEN_EXPIRED)
        self._check_refresh_device(user, grant, device_key)
        return user, origin_jti, grant

    def _check_refresh_device(
        self, user: CognitoIdpUser, grant: RefreshGrant, device_key: str | None
    ) -> None:
        """Cognito, in a pool with device tracking: tokens issued to a device refresh only
        with that device's DEVICE_KEY, once ConfirmDevice has confirmed it, and not after
        ForgetDevice. Otherwise "Invalid Refresh Token" (docs/local-cognito.md says which
        of these rules are documented and which only reported)."""
        if grant.device_key is None:
            return
        device = self.state(user).devices.get(grant.device_key)
        if device_key != grant.device_key or device is None or not device.confirmed:
            raise e.NotAuthorized(e.INVALID_REFRESH_TOKEN)

    def respond_to_auth_challenge(
        self,
        session: str | None,
        client_id: str,
        challenge_name: str,
        challenge_responses: dict[str, str],
        user_pool_id: str | None = None,
        admin: bool = False,
    ) -> dict[str, Any]:
        pool, client = self.pool_and_client(client_id)
        if user_pool_id is not None and pool.id != user_pool_id:
            raise e.ResourceNotFound(f"User pool client {client_id} does not exist.")
        responses = challenge_responses or {}
        challenge = self._find_challenge(session, challenge_name, responses, client)
        if challenge.name != challenge_name:
            raise e.InvalidParameter(
                f"Invalid challenge name: expected {challenge.name}, got {challenge_name}"
            )
        if challenge.client_id != client.id:
            raise e.NotAuthorized(e.INVALID_SESSION)
        user = self._user_or_none(pool, challenge.username)
        answered_as = responses.get("USERNAME")
        if not answered_as:
            raise e.InvalidParameter("Missing required parameter USERNAME")
        self._check_secret_hash(
            client,
            responses.get("SECRET_HASH"),
            answered_as,
            user.username if user else challenge.srp_identity,
        )
        if user is not None and pool._get_user(answered_as) is not user:
            # Cognito issues tokens for the session's user only (moto: for USERNAME).
            raise e.NotAuthorized(e.INVALID_SESSION)
        answerer = _ANSWERERS.get(challenge_name)
        if answerer is None:
            raise e.InvalidParameter(f"Challenge {challenge_name} is not supported")
        return answerer(self, Answer(pool, client, challenge, user, responses))

    def admin_respond_to_auth_challenge(
        self,
        session: str | None,
        client_id: str,
        challenge_name: str,
        challenge_responses: dict[str, str],
        user_pool_id: str | None = None,
    ) -> dict[str, Any]:
        return self.respond_to_auth_challenge(
            session, client_id, challenge_name, challenge_responses, user_pool_id, admin=True
        )

    def _find_challenge(
        self,
        session: str | None,
        challenge_name: str,
        responses: dict[str, str],
        client: CognitoIdpUserPoolClient,
    ) -> Challenge:
        now = self.clock.now()
        challenge: Challenge | None = None
        if session:
            challenge = self.challenges.get(session)
        elif challenge_name in (PASSWORD_VERIFIER, DEVICE_PASSWORD_VERIFIER):
            # Cognito's SECRET_BLOCK carries the state: clients (pycognito) omit Session here.
            try:
                block = base64.standard_b64decode(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""))
            except ValueError:
                block = b""
            found = self.challenges_by_secret_block.get(block)
            challenge = self.challenges.get(found) if found else None
        elif challenge_name == DEVICE_SRP_AUTH:
            # pycognito answers DEVICE_SRP_AUTH without the Session: match user + device.
            candidates = [
                c
                for c in self.challenges.values()
                if c.name == DEVICE_SRP_AUTH
                and c.client_id == client.id
                and c.device_key == responses.get("DEVICE_KEY")
            ]
            challenge = candidates[-1] if candidates else None
        if challenge is None:
            if not session and challenge_name not in (PASSWORD_VERIFIER,):
                raise e.InvalidParameter("Missing required parameter Session")
            raise self._unknown_session_error(session)
        if challenge.expires_at < now:
            self._end_challenge(challenge, spent=False)
            raise e.NotAuthorized(e.SESSION_EXPIRED)
        return challenge

    @answers(PASSWORD_VERIFIER)
    def _answer_password_verifier(self, answer: Answer) -> dict[str, Any]:
        challenge = answer.challenge
        assert challenge.handshake is not None and challenge.big_a is not None
        block = answer.responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
        ok = block == challenge.handshake.secret_block_b64 and challenge.handshake.verify_claim(
            challenge.big_a,
            answer.pool.id.split("_", 1)[1],
            challenge.srp_identity,
            answer.responses.get("TIMESTAMP", ""),
            answer.responses.get("PASSWORD_CLAIM_SIGNATURE", ""),
        )
        if answer.user is None or not ok:
            self._end_challenge(challenge)
            raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
        device_key = self._srp_device_key(answer)
        self._end_challenge(challenge)
        return self._after_password(
            answer.pool, answer.client, answer.user, device_key, challenge.admin
        )

    def _srp_device_key(self, answer: Answer) -> str | None:
        """The device a PASSWORD_VERIFIER answer signs in with: its DEVICE_KEY (present but
        null: none), else InitiateAuth's. An unknown one is ResourceNotFoundException "Device
        does not exist." and the Session stays usable: amazon-cognito-identity-js answers
        that error by sending the same answer again without the device on the same Session.
        The retry may also simply leave DEVICE_KEY out, so the Session forgets the device."""
        assert answer.user is not None
        challenge = answer.challenge
        if "DEVICE_KEY" in answer.responses:
            device_key = answer.responses.get("DEVICE_KEY") or None
        else:
            device_key = challenge.device_key
        try:
            self._require_known_device(answer.pool, answer.user, device_key)
        except e.ResourceNotFound:
            challenge.device_key = None
            raise
        return device_key

    def _require_known_device(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, device_key: str | None
    ) -> None:
        """Cognito, in a pool with device tracking: signing in with the DEVICE_KEY of a device
        the user does not have (forgotten, or never issued) is ResourceNotFoundException
        "Device does not exist." (reported; clients retry without the device)."""
        if not device_key or not pool.extended_config.get("DeviceConfiguration"):
            return
        if device_key not in self.state(user).devices:
            raise e.ResourceNotFound(e.DEVICE_NOT_FOUND)

    @answers(NEW_PASSWORD_REQUIRED)
    def _answer_new_password(self, answer: Answer) -> dict[str, Any]:
        user = answer.user
        assert user is not None
        new_password = answer.responses.get("NEW_PASSWORD")
        if not new_password:
            raise e.InvalidParameter("Missing required parameter NEW_PASSWORD")
        self.check_password_policy(answer.pool, new_password)
        updates = [
            {"Name": key[len("userAttributes.") :], "Value": value}
            for key, value in answer.responses.items()
            if key.startswith("userAttributes.")
        ]
        present = {a["Name"] for a in user.attributes if a["Value"]} | {u["Name"] for u in updates}
        missing = [
            name
            for name, attr in answer.pool.schema_attributes.items()
            if attr.required and name != "sub" and name not in present
        ]
        if missing:
            raise e.InvalidParameter(f"Invalid attributes given, {missing[0]} is missing")
        self._end_challenge(answer.challenge)
        if updates:
            user.update_attributes(updates)
        user.password = new_password
        user.status = UserStatus.CONFIRMED
        self.state(user).temporary_password_expires_at = None
        return self._second_factor(
            answer.pool,
            answer.client,
            user,
            answer.challenge.device_key,
            answer.challenge.admin,
        )

    @answers(MFA_SETUP)
    def _answer_mfa_setup(self, answer: Answer) -> dict[str, Any]:
        assert answer.user is not None
        if not answer.challenge.totp_verified:
            # Cognito: MFA_SETUP is answered only with the Session VerifySoftwareToken returned.
            raise e.InvalidParameter(
                "Software token MFA has not been verified: call AssociateSoftwareToken and "
                "VerifySoftwareToken with this session first"
            )
        self._end_challenge(answer.challenge)
        return self._issue_tokens(
            answer.pool, answer.client, answer.user, answer.challenge.device_key
        )

    @answers(SOFTWARE_TOKEN_MFA)
    def _answer_software_token_mfa(self, answer: Answer) -> dict[str, Any]:
        assert answer.user is not None
        state = self.state(answer.user)
        self._check_totp(
            state.used_totp_steps,
            state.totp_secret,
            answer.responses.get("SOFTWARE_TOKEN_MFA_CODE"),
        )
        self._end_challenge(answer.challenge)
        return self._issue_tokens(
            answer.pool, answer.client, answer.user, answer.challenge.device_key
        )

    @answers(SMS_MFA)
    def _answer_sms_mfa(self, answer: Answer) -> dict[str, Any]:
        return mfa_factors.answer_sms_mfa(self, answer)

    @answers(SMS_OTP)
    def _answer_sms_otp(self, answer: Answer) -> dict[str, Any]:
        return mfa_factors.answer_sms_otp(self, answer)

    @answers(SELECT_MFA_TYPE)
    def _answer_select_mfa_type(self, answer: Answer) -> dict[str, Any]:
        return mfa_factors.answer_select_mfa_type(self, answer)

    def _check_totp(self, used: set[int], secret: str | None, code: str | None) -> None:
        """Cognito: ±1 step of 30 s; a code that worked once is refused afterwards (``used``:
        the steps already used with this ``secret``). The steps are counted on the local
        clock, so a test moves to a fresh step with ``POST /_local/clock`` instead of
        waiting; while the clock is not moved, it is real time, as an authenticator app's."""
        if not secret or not code or not re.fullmatch(r"\d{6}", code):
            raise e.CodeMismatch(e.TOTP_MISMATCH)
        totp = pyotp.TOTP(secret, interval=TOTP_STEP)
        now = self.clock.now()
        current = int(now // TOTP_STEP)
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
            if hmac.compare_digest(totp.at(step * TOTP_STEP), code):
                if step in used:
                    raise e.ExpiredCode(e.TOTP_REUSED)
                used.difference_update({s for s in used if s < current - 2})
                used.add(step)
                return
        raise e.CodeMismatch(e.TOTP_MISMATCH)

    @answers(DEVICE_SRP_AUTH)
    def _answer_device_srp(self, answer: Answer) -> dict[str, Any]:
        user = answer.user
        assert user is not None
        device_key = answer.responses.get("DEVICE_KEY")
        device = self.state(user).devices.get(device_key or "")
        if device is None or device.key != answer.challenge.device_key or device.verifier is None:
            raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
        try:
            big_a = parse_srp_a(answer.responses.get("SRP_A"))
        except SrpError as exc:
            raise e.InvalidParameter(str(exc)) from exc
        self._end_challenge(answer.challenge)
        assert device.salt is not None
        handshake = ServerHandshake.start(device.verifier)
        nxt = self._new_challenge(
            answer.pool,
            answer.client,
            user.username,
            DEVICE_PASSWORD_VERIFIER,
            answer.challenge.admin,
            handshake=handshake,
            big_a=big_a,
            srp_identity=device.key,
            device_key=device.key,
        )
        return nxt.reply(
            {
                "USERNAME": user.username,
                "DEVICE_KEY": device.key,
                "SALT": salt_hex(device.salt),
                "SRP_B": handshake.srp_b_hex,
                "SECRET_BLOCK": handshake.secret_block_b64,
            }
        )

    @answers(DEVICE_PASSWORD_VERIFIER)
    def _answer_device_password_verifier(self, answer: Answer) -> dict[str, Any]:
        challenge = answer.challenge
        assert answer.user is not None and challenge.handshake is not None
        assert challenge.big_a is not None
        self._end_challenge(challenge)
        device = self.state(answer.user).devices.get(challenge.device_key or "")
        ok = (
            device is not None
            and answer.responses.get("DEVICE_KEY") == device.key
            and answer.responses.get("PASSWORD_CLAIM_SECRET_BLOCK")
            == challenge.handshake.secret_block_b64
            and challenge.handshake.verify_claim(
                challenge.big_a,
                device.group_key,
                device.key,
                answer.responses.get("TIMESTAMP", ""),
                answer.responses.get("PASSWORD_CLAIM_SIGNATURE", ""),
            )
        )
        if not ok:
            raise e.NotAuthorized(e.INCORRECT_CREDENTIALS)
        return self._issue_tokens(answer.pool, answer.client, answer.user, challenge.device_key)

    def _mfa_setup_challenge(
        self, session: str
    ) -> tuple[Challenge, CognitoIdpUserPool, CognitoIdpUser]:
        """The live MFA_SETUP challenge a Session names, with its pool and user."""
        self._expire_challenges()
        challenge = self.challenges.get(session)
        if challenge is None:
            # _expire_challenges dropped it, or it never existed / was used.
            raise self._unknown_session_error(session)
        if challenge.name != MFA_SETUP:
            raise e.NotAuthorized(e.INVALID_SESSION)
        pool = self.describe_user_pool(challenge.pool_id)
        user = self.admin_get_user(pool.id, challenge.username or "")
        return challenge, pool, user

    def _next_mfa_setup_session(
        self,
        pool: CognitoIdpUserPool,
        challenge: Challenge,
        user: CognitoIdpUser,
        totp_verified: bool = False,
    ) -> str:
        # Cognito: each TOTP setup step uses up its Session and returns a new MFA_SETUP one.
        self._end_challenge(challenge)
        nxt = self._new_challenge(
            pool,
            pool.clients[challenge.client_id],
            user.username,
            MFA_SETUP,
            challenge.admin,
            device_key=challenge.device_key,
            totp_verified=totp_verified,
        )
        return nxt.session

    def associate_software_token(self, access_token: str, session: str) -> dict[str, str]:
        """Cognito: a fresh per-user secret (32 base32 chars); with a Session, a new Session."""
        secret = pyotp.random_base32(32)
        if session:
            challenge, pool, user = self._mfa_setup_challenge(session)
            self._set_pending_totp(user, secret)
            return {
                "SecretCode": secret,
                "Session": self._next_mfa_setup_session(pool, challenge, user),
            }
        pool, user = self.user_from_access_token(access_token)
        self._set_pending_totp(user, secret)
        return {"SecretCode": secret}

    def _set_pending_totp(self, user: CognitoIdpUser, secret: str) -> None:
        # A new secret waits for VerifySoftwareToken; codes used with the previous secret
        # (e.g. the sign-in that produced this access token) say nothing about this one.
        state = self.state(user)
        state.pending_totp_secret, state.pending_totp_steps = secret, set()

    def verify_software_token(
        self, access_token: str, session: str, user_code: str, friendly_device_name: str
    ) -> dict[str, str]:
        """Cognito: checks the code against the user's pending secret, then enables TOTP."""
        challenge: Challenge | None = None
        if session:
            challenge, pool, user = self._mfa_setup_challenge(session)
        else:
            pool, user = self.user_from_access_token(access_token)
        state = self.state(user)
        if not state.pending_totp_secret:
            raise e.EnableSoftwareTokenMfa("Software token has not been associated.")
        try:
            self._check_totp(state.pending_totp_steps, state.pending_totp_secret, user_code)
        except e.CodeMismatch as exc:
            # Cognito answers a wrong code here with EnableSoftwareTokenMFAException.
            raise e.EnableSoftwareTokenMfa(
                "Code mismatch and fail enable Software Token MFA"
            ) from exc
        state.totp_secret = state.pending_totp_secret
        state.used_totp_steps = state.pending_totp_steps
        state.pending_totp_secret, state.pending_totp_steps = None, set()
        user.token_verified = True
        if challenge is not None or pool.mfa_config == "ON":
            # Completing MFA setup makes TOTP the user's (preferred) MFA, as in Cognito.
            user.software_token_mfa_enabled = True
            user.preferred_mfa_setting = SOFTWARE_TOKEN_MFA
        if challenge is None:
            return {"Status": "SUCCESS"}
        session = self._next_mfa_setup_session(pool, challenge, user, totp_verified=True)
        return {"Status": "SUCCESS", "Session": session}

    @staticmethod
    def _jwt_claims(token: str) -> dict[str, Any]:
        try:
            payload = token.split(".")[1]
            payload += "=" * (-len(payload) % 4)
            claims = json.loads(base64.urlsafe_b64decode(payload))
        except (IndexError, ValueError):
            return {}
        return claims if isinstance(claims, dict) else {}

    def check_access_token(self, access_token: str) -> None:
        """Cognito refuses revoked, expired and unknown access tokens, saying which."""
        if access_token in self.revoked_access_tokens:
            raise e.NotAuthorized(e.ACCESS_TOKEN_REVOKED)
        if not any(access_token in p.access_tokens for p in self.user_pools.values()):
            raise e.NotAuthorized(e.INVALID_ACCESS_TOKEN)
        claims = self._jwt_claims(access_token)
        # JWTs carry real time (tokens.py), so their expiry is checked on real time too.
        if claims.get("exp", 0) < time.time():
            raise e.NotAuthorized(e.ACCESS_TOKEN_EXPIRED)

    def user_from_access_token(
        self, access_token: str
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUser]:
        self.check_access_token(access_token)
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                _, username = pool.access_tokens[access_token]
                user = self._user_or_none(pool, username)
                if user is None:
                    raise e.NotAuthorized("User does not exist.")
                return pool, user
        raise e.NotAuthorized(e.INVALID_ACCESS_TOKEN)

    def _revoke_user_access_tokens(
        self, pool: CognitoIdpUserPool, username: str, origin_jti: str | None = None
    ) -> None:
        for token, (_, owner) in list(pool.access_tokens.items()):
            if owner != username:
                continue
            if origin_jti is not None and self._jwt_claims(token).get("origin_jti") != origin_jti:
                continue
            self.revoked_access_tokens.add(token)

    def global_sign_out(self, access_token: str) -> None:
        """Cognito: signs the user out everywhere, in any region; old tokens say revoked."""
        pool, user = self.user_from_access_token(access_token)
        self._revoke_user_access_tokens(pool, user.username)
        pool.sign_out(user.username)

    def admin_user_global_sign_out(self, user_pool_id: str, username: str) -> None:
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        self._revoke_user_access_tokens(pool, user.username)
        pool.sign_out(user.username)

    def admin_disable_user(self, user_pool_id: str, username: str) -> None:
        """Cognito (AdminDisableUser API reference): "Deactivates a user and revokes all
        access tokens for the user." moto only clears the enabled flag."""
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        user.enabled = False
        self._revoke_user_access_tokens(pool, user.username)

    def revoke_token(self, token: str, client_id: str, client_secret: str | None) -> None:
        """Cognito's RevokeToken: a refresh token and the access tokens issued from it."""
        pool, client = self.pool_and_client(client_id)
        if client.generate_secret and not hmac.compare_digest(
            client.secret.encode(), (client_secret or "").encode()
        ):
            raise e.NotAuthorized(f"Unable to verify secret hash for client {client.id}")
        if not client.extended_config.get("EnableTokenRevocation", True):
            raise e.CognitoError("Token revocation is not enabled for this client")
        record = pool.refresh_tokens.get(token)
        if record is None:
            # Cognito answers success for a token that is already revoked or unknown.
            return
        token_client, username, origin_jti = record
        if token_client != client.id:
            raise e.CognitoError("Token does not belong to this client")
        # Rotation's replacements share the sign-in's origin_jti: the whole chain goes.
        for other, other_record in pool.refresh_tokens.items():
            if other_record == record:
                pool.refresh_tokens[other] = None
        self._revoke_user_access_tokens(pool, username, origin_jti)

    def get_user(self, access_token: str) -> CognitoIdpUser:
        _, user = self.user_from_access_token(access_token)
        return user

    def _device_of(self, user: CognitoIdpUser, device_key: str) -> Device:
        device = self.state(user).devices.get(device_key)
        if device is None:
            raise e.ResourceNotFound("Device does not exist.")
        return device

    def confirm_device(
        self,
        access_token: str,
        device_key: str,
        verifier_config: dict[str, str] | None,
        device_name: str | None,
    ) -> bool:
        """Cognito's ConfirmDevice: stores the device's SRP salt and verifier."""
        pool, user = self.user_from_access_token(access_token)
        device = self._device_of(user, device_key)
        if (
            not verifier_config
            or not verifier_config.get("PasswordVerifier")
            or not (verifier_config.get("Salt"))
        ):
            raise e.InvalidParameter("DeviceSecretVerifierConfig is required")
        try:
            verifier = int.from_bytes(
                base64.standard_b64decode(verifier_config["PasswordVerifier"]), "big"
            )
            salt = base64.standard_b64decode(verifier_config["Salt"])
        except ValueError as exc:
            raise e.InvalidParameter("DeviceSecretVerifierConfig is not valid base64") from exc
        if verifier == 0 or not salt:
            raise e.InvalidParameter("DeviceSecretVerifierConfig is invalid")
        device.verifier, device.salt, device.name = verifier, salt, device_name
        device.last_modified_at = self.clock.now()
        prompt = bool(
            (pool.extended_config.get("DeviceConfiguration") or {}).get(
                "DeviceOnlyRememberedOnUserPrompt"
            )
        )
        # Without a user prompt, Cognito remembers every confirmed device.
        device.remembered = not prompt
        return prompt

    def update_device_status(
        self, user: CognitoIdpUser, device_key: str, status: str | None
    ) -> None:
        if status not in ("remembered", "not_remembered"):
            raise e.InvalidParameter(
                "1 validation error detected: Value at 'deviceRememberedStatus' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                "[remembered, not_remembered]"
            )
        device = self._device_of(user, device_key)
        if not device.confirmed:
            raise e.InvalidParameter("Device has not been confirmed.")
        device.remembered = status == "remembered"
        device.last_modified_at = self.clock.now()

    def list_devices(
        self, user: CognitoIdpUser, limit: int | None, token: str | None
    ) -> tuple[list[Device], str | None]:
        devices = [d for d in self.state(user).devices.values() if d.confirmed]
        start = int(token) if token and token.isdigit() else 0
        size = int(limit or 60)
        page = devices[start : start + size]
        more = start + size < len(devices)
        return page, (str(start + size) if more else None)

    def forget_device(self, user: CognitoIdpUser, device_key: str) -> None:
        self._device_of(user, device_key)
        del self.state(user).devices[device_key]


for _name, _answerer in (choice.ANSWERERS | webauthn.ANSWERERS).items():
    answers(_name)(_answerer)

_unanswered = set(challenges.SUPPORTED) - set(_ANSWERERS)
if _unanswered:
    raise RuntimeError(f"the local Cognito answers no {sorted(_unanswered)}")
