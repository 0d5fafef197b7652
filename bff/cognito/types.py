"""The gateway's own result types: what the rest of the project sees instead of boto3 dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
    token_type: str = "Bearer"

    def __repr__(self) -> str:  # never print a token by accident
        return f"Tokens(access_token=<{len(self.access_token)} chars>, expires={self.expires_in})"


@dataclass(frozen=True)
class NewDeviceMetadata:
    device_key: str
    device_group_key: str


@dataclass(frozen=True)
class AuthStep:
    """One answer of InitiateAuth / AdminInitiateAuth / (Admin)RespondToAuthChallenge.

    Either a challenge (``challenge_name`` + ``challenge_parameters`` + ``session``) or
    ``tokens`` (with ``new_device`` when device tracking offers one).
    """

    challenge_name: str | None = None
    challenge_parameters: dict[str, str] = field(default_factory=dict)
    session: str | None = None
    tokens: Tokens | None = None
    new_device: NewDeviceMetadata | None = None
    #: Choice-based sign-in's ``AvailableChallenges`` (top-level, next to SELECT_CHALLENGE).
    available_challenges: tuple[str, ...] = ()

    def challenge_username(self, default: str) -> str:
        """The name to answer this challenge with: Cognito's USERNAME, else USER_ID_FOR_SRP
        (its internal name, which SECRET_HASH must use), else ``default``."""
        parameters = self.challenge_parameters
        return parameters.get("USERNAME") or parameters.get("USER_ID_FOR_SRP") or default

    def as_response(self) -> dict[str, Any]:
        """The Cognito-shaped view the state machine's outcome function reads (no secrets)."""
        response: dict[str, Any] = {}
        if self.challenge_name:
            response["ChallengeName"] = self.challenge_name
            response["ChallengeParameters"] = dict(self.challenge_parameters)
        if self.tokens is not None:
            response["AuthenticationResult"] = {"NewDeviceMetadata": bool(self.new_device)}
        return response


@dataclass(frozen=True)
class CodeDelivery:
    destination: str | None
    delivery_medium: str | None
    attribute_name: str | None


@dataclass(frozen=True)
class SignUpResult:
    user_sub: str
    user_confirmed: bool
    code_delivery: CodeDelivery | None


@dataclass(frozen=True)
class CognitoUser:
    username: str
    status: str
    enabled: bool
    attributes: dict[str, str]
    created: datetime | None = None
    modified: datetime | None = None
    mfa_preferred: str | None = None
    mfa_enabled: tuple[str, ...] = ()

    @property
    def sub(self) -> str | None:
        return self.attributes.get("sub")

    @property
    def email(self) -> str | None:
        return self.attributes.get("email")


@dataclass(frozen=True)
class UserAuthFactors:
    """GetUserAuthFactors: the signed-in user's MFA settings and the first factors of
    choice-based sign-in they can use (``ConfiguredUserAuthFactors``)."""

    username: str
    configured_factors: tuple[str, ...] = ()
    mfa_enabled: tuple[str, ...] = ()
    mfa_preferred: str | None = None


@dataclass(frozen=True)
class UserPage:
    users: list[CognitoUser]
    pagination_token: str | None


@dataclass(frozen=True)
class SoftwareTokenAssociation:
    secret_code: str
    session: str | None

    def __repr__(self) -> str:
        return "SoftwareTokenAssociation(secret_code=<hidden>)"


@dataclass(frozen=True)
class RememberedDevice:
    """The client-side secrets of a device confirmed with ConfirmDevice. Keep on the server.

    ``remembered``: whether the user chose to remember it (skips MFA). A declined device is
    kept too, so the next sign-in names it (DEVICE_KEY) instead of getting a new one."""

    device_key: str
    device_group_key: str
    device_password: str
    remembered: bool = True

    def __repr__(self) -> str:
        return f"RememberedDevice(device_key={self.device_key!r}, device_password=<hidden>)"


@dataclass(frozen=True)
class Device:
    device_key: str
    name: str | None
    status: str | None
    created: datetime | None
    last_authenticated: datetime | None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def remembered(self) -> bool:
        """Whether the user chose to remember it (``dev:device_remembered_status``)."""
        return self.attributes.get("dev:device_remembered_status") == "remembered"


@dataclass(frozen=True)
class SoftwareTokenVerification:
    """VerifySoftwareToken's answer: its Status, and the Session to answer MFA_SETUP with
    (None when verified with an access token)."""

    status: str
    session: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"


@dataclass(frozen=True)
class DeviceSrpChallenge:
    """Cognito's DEVICE_PASSWORD_VERIFIER step plus the client's SRP secret needed to answer it.

    Built by ``bff.flows.challenges.device_srp.start_device_srp``; kept only for the
    second round.
    """

    username: str
    device: RememberedDevice
    step: AuthStep
    srp_small_a: int
    srp_large_a: int

    def __repr__(self) -> str:
        return f"DeviceSrpChallenge(username={self.username!r}, device={self.device!r})"
