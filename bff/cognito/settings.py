"""Where Cognito is and how to talk to it: settings from the environment and the boto3 client.

The same settings serve real AWS (no ``COGNITO_ENDPOINT_URL``) and the local Cognito
(``COGNITO_ENDPOINT_URL=http://127.0.0.1:PORT``): only the endpoint differs, so the code
paths the tests run are the code paths production runs. ``.env.example`` lists every key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_ATTEMPTS = 3
# boto3 refuses to build a client without credentials even for an endpoint that ignores
# them; the local Cognito accepts any, so these stand in when none are configured.
LOCAL_DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class SettingsError(ValueError):
    """An environment variable has a value the gateway cannot use."""


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {raw!r}")
    return value


def env_int(
    environ: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int = 1,
    error: type[ValueError] = SettingsError,
) -> int:
    """A whole-number setting; ``error`` (this module's or the BFF config's) when it is not."""
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise error(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise error(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _region_from_pool_id(user_pool_id: str) -> str | None:
    region, sep, _ = user_pool_id.partition("_")
    return region if sep and region else None


@dataclass(frozen=True)
class CognitoSettings:
    """The user pool, its app client, and the client's network behaviour."""

    user_pool_id: str = ""
    client_id: str = ""
    client_secret: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = None  # None: real AWS
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: The app client rotates refresh tokens (RefreshTokenRotation ENABLED): refresh with
    #: GetTokensFromRefreshToken, which answers a new refresh token, not REFRESH_TOKEN_AUTH.
    refresh_rotation: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> CognitoSettings:
        """Read COGNITO_* and AWS_REGION; the region defaults to the pool id's prefix."""
        user_pool_id = environ.get("COGNITO_USER_POOL_ID", "").strip()
        region = (
            environ.get("AWS_REGION", "").strip()
            or environ.get("AWS_DEFAULT_REGION", "").strip()
            or _region_from_pool_id(user_pool_id)
            or "us-east-1"
        )
        return cls(
            user_pool_id=user_pool_id,
            client_id=environ.get("COGNITO_CLIENT_ID", "").strip(),
            client_secret=environ.get("COGNITO_CLIENT_SECRET", "").strip() or None,
            region=region,
            endpoint_url=environ.get("COGNITO_ENDPOINT_URL", "").strip() or None,
            connect_timeout=_float(environ, "COGNITO_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
            read_timeout=_float(environ, "COGNITO_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
            max_attempts=env_int(environ, "COGNITO_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS),
            refresh_rotation=_flag(environ, "COGNITO_REFRESH_ROTATION"),
        )

    @property
    def is_configured(self) -> bool:
        """Both the pool and the app client are known."""
        return bool(self.user_pool_id and self.client_id)

    def __repr__(self) -> str:  # the client secret must not reach a log line
        secret = "<set>" if self.client_secret else None
        return (
            f"CognitoSettings(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r}, "
            f"client_secret={secret}, region={self.region!r}, endpoint_url={self.endpoint_url!r})"
        )


def botocore_config(settings: CognitoSettings) -> Config:
    """Timeouts for a request path (a user is waiting on every call), and no botocore retries.

    botocore's "standard" retry mode (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html)
    retries read timeouts and 5xx answers on every action, including ones that are not
    idempotent (a sign-in, a sign-up, AdminCreateUser), and each retry may wait another read
    timeout. The gateway's ``ResilientClient`` (bff/cognito/resilience.py) retries instead,
    only when it is safe and within the request's deadline; botocore makes one attempt
    (``total_max_attempts=1``). ``max_attempts`` is ResilientClient's budget.
    """
    return Config(
        region_name=settings.region,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
    )


# At DEBUG these botocore loggers print whole request and response bodies: passwords,
# codes, sessions and tokens (SECURITY.md #20). They are capped at INFO whatever the root
# logger's level; raise them on purpose in a throwaway shell if you must see the wire.
WIRE_LOGGERS = ("botocore.endpoint", "botocore.parsers")


def quiet_wire_loggers() -> None:
    """Keep botocore from logging request/response bodies, even under a DEBUG root logger."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def make_cognito_client(settings: CognitoSettings) -> Any:
    """A boto3 ``cognito-idp`` client for these settings (real AWS or the local Cognito)."""
    quiet_wire_loggers()
    session = boto3.session.Session(region_name=settings.region)
    kwargs: dict[str, Any] = {"config": botocore_config(settings)}
    if settings.endpoint_url:
        kwargs["endpoint_url"] = settings.endpoint_url
        # Only the environment is checked: a full credential-chain lookup would probe the EC2
        # metadata service, a one-second stall per client on a laptop.
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            kwargs.update(LOCAL_DUMMY_CREDENTIALS)
    return session.client("cognito-idp", **kwargs)
