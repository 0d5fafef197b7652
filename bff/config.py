"""The BFF's settings: read once from the environment (and ``.env``), frozen, validated.

``load_settings()`` never guesses in production: local mode (no ``COGNITO_USER_POOL_ID``)
gets safe laptop defaults (a per-instance secret key kept in the instance folder, plain-http
cookies), production gets nothing it was not told, and ``validate()`` refuses to start with
an unsafe combination (no or short secret key, cookies without ``Secure``, no device key...).
Every key is listed with a comment in ``.env.example``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from dotenv import dotenv_values
from flask.sansio.scaffold import find_package
from limits import parse_many

from bff.cognito.settings import CognitoSettings, SettingsError, env_int
from bff.oauth.settings import OAuthSettings, OAuthSettingsError
from bff.remote_apis import RemoteApi, RemoteApiError, remote_apis_from_env
from bff.store_config import REDIS_SCHEMES, StoreIam, StoreTls, store_iam, store_tls

log = logging.getLogger(__name__)

MODES = ("local", "production")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_SECRET_KEY_LENGTH = 32
LOCAL_SECRET_FILE = "local-secret-key"
#: ``bff serve``'s admin key in local mode when BFF_ADMIN_API_KEY is unset.
LOCAL_ADMIN_KEY_FILE = "local-admin-key"
# Cognito's sign-in challenge Session lives 3 minutes by default (the app client's
# AuthSessionValidity, 3-15 minutes): a flow in a challenge state is useless after that.
DEFAULT_FLOW_TTL_SECONDS = 180


class ConfigError(ValueError):
    """The configuration is missing something or is unsafe; the message says what to set."""


def default_instance_path(import_name: str = "bff") -> str:
    """The folder Flask would choose as ``app.instance_path`` for the ``bff`` package."""
    prefix, package_path = find_package(import_name)
    if prefix is None:  # running from a checkout
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", f"{import_name}-instance")


@dataclass(frozen=True)
class BffSettings:
    """Everything the BFF reads from its environment. Secrets stay out of ``repr``."""

    secret_key: str = field(repr=False)
    mode: str = "local"
    store_url: str = ""
    instance_path: str = ""
    cookie_secure: bool = False
    session_idle_seconds: int = 900
    session_absolute_seconds: int = 28800
    flow_ttl_seconds: int = DEFAULT_FLOW_TTL_SECONDS
    device_cookie_days: int = 365
    admin_api_key: str | None = field(default=None, repr=False)
    pandadoc_webhook_key: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    device_key: str = field(default="", repr=False)
    totp_issuer: str = "Cognito BFF"
    trusted_proxies: int = 0
    #: How long one store operation may wait (SQLite busy timeout, Redis socket timeouts)
    #: before the request answers 503 store_unavailable.
    store_timeout_seconds: float = 2.0
    store_tls: StoreTls = field(default_factory=StoreTls)
    store_iam: StoreIam = field(default_factory=StoreIam)
    #: A signed-in session's tokens are checked with Cognito (GetUser, or a refresh once
    #: the access token expired) at most this often; 0 = on every request.
    session_revalidate_seconds: int = 60
    #: Reads that may call Cognito, per session (bff.security.read_limits).
    ratelimit_read: str = "5 per second;60 per minute"
    ratelimit_enabled: bool = True
    ratelimit_storage_url: str = "memory://"
    ratelimit_sign_in: str = "10 per minute;50 per hour"
    ratelimit_mfa: str = "10 per minute;50 per hour"
    ratelimit_sign_up: str = "5 per minute;30 per hour"
    ratelimit_resend: str = "3 per minute;20 per hour"
    #: Failure budgets (bff.security.budgets): wrong confirmation codes and wrong reset codes
    #: per username, wrong answers per sign-in (MFA codes and every other challenge); each
    #: window starts at its first failure.
    failures_confirm: str = "10 per minute;50 per hour"
    failures_reset: str = "10 per minute;50 per hour"
    failures_mfa: str = "5 per 5 minutes"
    #: Codes and temporary passwords mailed per username and kind; past it the step answers
    #: as usual and sends nothing (the code mailed last is still valid).
    mails_per_username: str = "3 per 15 minutes"
    #: Wrong passwords for one username before sign-in for it is delayed (bff.security).
    sign_in_free_failures: int = 5
    #: The longest delay (seconds) between sign-ins for a username after failures.
    sign_in_delay_cap_seconds: int = 60
    #: "json" (one JSON object a line) or "text"; json by default in production
    log_format: str = "text"
    log_level: str = "INFO"
    #: GET /metrics: open (on), behind ``Authorization: Bearer <metrics_key>``, or 404 (off)
    metrics_enabled: bool = True
    metrics_key: str | None = field(default=None, repr=False)
    #: The demo page at ``/`` and the API page at ``/docs``: on locally, off in production.
    demo_enabled: bool = True
    api_docs_enabled: bool = True
    #: A built SPA folder served at ``/`` with a history-API fallback (bff.spa); "" = none.
    spa_dir: str = ""
    cognito: CognitoSettings = field(default_factory=CognitoSettings)
    #: The APIs the SPA reaches through the BFF (BFF_REMOTE_APIS, BFF_REMOTE_APIS_FILE)
    remote_apis: tuple[RemoteApi, ...] = ()
    #: Managed login and federation through the pool's OAuth 2.0 endpoints (BFF_OAUTH_*)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)

    @property
    def is_local(self) -> bool:
        return self.mode == "local"

    @property
    def store_is_redis(self) -> bool:
        return self.store_url.startswith(REDIS_SCHEMES)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    return env_int(env, name, default, minimum=minimum, error=ConfigError)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 60:
        raise ConfigError(f"{name} must be more than 0 and at most 60 seconds, not {raw!r}")
    return value


def _limit(env: Mapping[str, str], name: str, default: str) -> str:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(
            f"{name} must be a rate limit such as '5 per minute;50 per hour', not {raw!r}"
        ) from None
    return raw


def derive_device_key(secret_key: str) -> str:
    """A Fernet key derived from the secret key (local mode only; production sets its own)."""
    digest = hashlib.sha256(b"bff-device-vault\x00" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def local_secret(instance_path: str, name: str = LOCAL_SECRET_FILE) -> str:
    """Read, or create once (mode 0600), a random secret for local mode in the instance folder.

    Kept on disk so a restart (or a second worker process) reads the same key: the device
    vault and the session records are encrypted with a key derived from the secret key, and
    ``bff serve``'s local admin key is read by ``bff qa run`` from the same folder.
    """
    path = os.path.join(instance_path, name)
    try:
        os.makedirs(instance_path, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as fh:
            key = fh.read().strip()
        if len(key) >= MIN_SECRET_KEY_LENGTH:
            return key
        raise ConfigError(f"{path} is shorter than {MIN_SECRET_KEY_LENGTH} characters") from None
    except OSError as exc:
        log.warning(
            "cannot keep a local secret in %s (%s); using a per-process one",
            instance_path,
            exc.strerror,
        )
        return secrets.token_urlsafe(48)
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _environment(environ: Mapping[str, str], env_file: str | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    if env_file and os.path.isfile(env_file):
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)  # the real environment wins over .env
    return merged


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
    *,
    env_file: str | None = ".env",
) -> BffSettings:
    """Read the settings. ``overrides`` take field names (``{"store_url": ...}``) or
    environment names (``{"BFF_STORE_URL": ...}``); they win over the environment.

    ``.env`` in the current directory is read only when ``environ`` is the real process
    environment, so a test passing its own mapping sees exactly what it passed.
    Raises ConfigError for values that cannot be parsed; call ``validate`` for safety rules.
    """
    overrides = dict(overrides or {})
    field_names = {f.name for f in fields(BffSettings)}
    env_overrides = {k: str(v) for k, v in overrides.items() if k not in field_names}
    field_overrides = {k: v for k, v in overrides.items() if k in field_names}
    env = _environment(environ, env_file if environ is os.environ else None)
    env.update(env_overrides)

    try:
        cognito = CognitoSettings.from_env(env)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from exc

    mode = (env.get("BFF_MODE") or "").strip().lower() or (
        "production" if cognito.user_pool_id else "local"
    )
    if mode not in MODES:
        raise ConfigError(f"BFF_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    local = mode == "local"

    instance_path = str(
        field_overrides.get("instance_path")
        or (env.get("BFF_INSTANCE_PATH") or "").strip()
        or default_instance_path()
    )
    secret_key = (env.get("BFF_SECRET_KEY") or "").strip()
    if "secret_key" in field_overrides:
        secret_key = str(field_overrides["secret_key"])
    if not secret_key and local:
        secret_key = local_secret(instance_path)

    device_key = (env.get("BFF_DEVICE_ENCRYPTION_KEY") or "").strip()
    if "device_key" in field_overrides:
        device_key = str(field_overrides["device_key"])
    if not device_key and local and secret_key:
        device_key = derive_device_key(secret_key)

    store_url = (env.get("BFF_STORE_URL") or "").strip() or (
        "sqlite:///" + os.path.join(instance_path, "bff.sqlite3")
    )
    if "store_url" in field_overrides:
        store_url = str(field_overrides["store_url"])
    store_is_redis = store_url.startswith(REDIS_SCHEMES)
    ratelimit_storage = (env.get("BFF_RATELIMIT_STORAGE_URL") or "").strip() or (
        store_url if store_is_redis else "memory://"
    )

    try:
        tls = store_tls(env, store_url, ratelimit_storage)
        iam = store_iam(env, store_url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    log_format = (env.get("BFF_LOG_FORMAT") or "").strip().lower() or ("text" if local else "json")
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"BFF_LOG_FORMAT must be json or text, not {log_format!r}")
    log_level = (env.get("BFF_LOG_LEVEL") or "").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        raise ConfigError(
            f"BFF_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}"
        )
    metrics_key = (env.get("BFF_METRICS_KEY") or "").strip() or None
    # /metrics is open on a laptop; in production only when asked for, or behind a key.
    metrics_enabled = _bool(env, "BFF_METRICS_ENABLED", default=local or metrics_key is not None)

    spa_dir = (env.get("BFF_SPA_DIR") or "").strip()
    # The demo page and a team's SPA would both answer at /: a SPA folder turns the demo off
    # unless asked for, and validate() refuses both asked for at once.
    demo_enabled = _bool(env, "BFF_DEMO_ENABLED", default=local and not spa_dir)

    try:
        remote_apis = remote_apis_from_env(env)
    except RemoteApiError as exc:
        raise ConfigError(str(exc)) from None
    try:
        oauth = OAuthSettings.from_env(env, local=local)
    except OAuthSettingsError as exc:
        raise ConfigError(str(exc)) from None

    origins = tuple(
        o.strip().rstrip("/") for o in (env.get("BFF_CORS_ORIGINS") or "").split(",") if o.strip()
    )

    settings = BffSettings(
        secret_key=secret_key,
        mode=mode,
        store_url=store_url,
        instance_path=instance_path,
        cookie_secure=_bool(env, "BFF_COOKIE_SECURE", default=not local),
        session_idle_seconds=_int(env, "BFF_SESSION_IDLE_SECONDS", 900),
        session_absolute_seconds=_int(env, "BFF_SESSION_ABSOLUTE_SECONDS", 28800),
        flow_ttl_seconds=_int(env, "BFF_FLOW_TTL_SECONDS", DEFAULT_FLOW_TTL_SECONDS),
        device_cookie_days=_int(env, "BFF_DEVICE_COOKIE_DAYS", 365),
        admin_api_key=(env.get("BFF_ADMIN_API_KEY") or "").strip() or None,
        pandadoc_webhook_key=(env.get("PANDADOC_WEBHOOK_KEY") or "").strip() or None,
        cors_origins=origins,
        device_key=device_key,
        totp_issuer=(env.get("BFF_TOTP_ISSUER") or "").strip() or "Cognito BFF",
        trusted_proxies=_int(env, "BFF_TRUSTED_PROXIES", 0, minimum=0),
        store_timeout_seconds=_seconds(env, "BFF_STORE_TIMEOUT_SECONDS", 2.0),
        store_tls=tls,
        store_iam=iam,
        session_revalidate_seconds=_int(env, "BFF_SESSION_REVALIDATE_SECONDS", 60, minimum=0),
        ratelimit_read=_limit(env, "BFF_RATELIMIT_READ", BffSettings.ratelimit_read),
        ratelimit_enabled=_bool(env, "BFF_RATELIMIT_ENABLED", True),
        ratelimit_storage_url=ratelimit_storage,
        ratelimit_sign_in=_limit(env, "BFF_RATELIMIT_SIGN_IN", BffSettings.ratelimit_sign_in),
        ratelimit_mfa=_limit(env, "BFF_RATELIMIT_MFA", BffSettings.ratelimit_mfa),
        ratelimit_sign_up=_limit(env, "BFF_RATELIMIT_SIGN_UP", BffSettings.ratelimit_sign_up),
        ratelimit_resend=_limit(env, "BFF_RATELIMIT_RESEND", BffSettings.ratelimit_resend),
        failures_confirm=_limit(env, "BFF_FAILURES_CONFIRM", BffSettings.failures_confirm),
        failures_reset=_limit(env, "BFF_FAILURES_RESET", BffSettings.failures_reset),
        failures_mfa=_limit(env, "BFF_FAILURES_MFA", BffSettings.failures_mfa),
        mails_per_username=_limit(env, "BFF_MAILS_PER_USERNAME", BffSettings.mails_per_username),
        sign_in_free_failures=_int(env, "BFF_SIGN_IN_FREE_FAILURES", 5, minimum=1),
        sign_in_delay_cap_seconds=_int(env, "BFF_SIGN_IN_DELAY_CAP_SECONDS", 60),
        log_format=log_format,
        log_level=log_level,
        metrics_enabled=metrics_enabled,
        metrics_key=metrics_key,
        demo_enabled=demo_enabled,
        api_docs_enabled=_bool(env, "BFF_API_DOCS_ENABLED", default=local),
        spa_dir=os.path.abspath(spa_dir) if spa_dir else "",
        cognito=cognito,
        remote_apis=remote_apis,
        oauth=oauth,
    )
    rest = {
        k: v
        for k, v in field_overrides.items()
        if k not in ("secret_key", "device_key", "store_url", "instance_path")
    }
    if "cors_origins" in rest and isinstance(rest["cors_origins"], str):
        rest["cors_origins"] = tuple(o.strip() for o in rest["cors_origins"].split(",") if o)
    elif "cors_origins" in rest:
        rest["cors_origins"] = tuple(rest["cors_origins"])
    if rest:
        settings = replace(settings, **rest)
    if settings.session_idle_seconds > settings.session_absolute_seconds:
        raise ConfigError(
            "BFF_SESSION_IDLE_SECONDS must not exceed BFF_SESSION_ABSOLUTE_SECONDS "
            f"({settings.session_idle_seconds} > {settings.session_absolute_seconds})"
        )
    return settings


def session_cookie_name(settings: BffSettings) -> str:
    """``__Host-`` needs Secure (browsers drop the cookie otherwise): plain name on local http."""
    return "__Host-bff_session" if settings.cookie_secure else "bff_session"


def device_cookie_name(settings: BffSettings) -> str:
    return "__Host-bff_device" if settings.cookie_secure else "bff_device"
