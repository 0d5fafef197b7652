"""Where flows, sessions, remembered devices and webhook events live.

``open_store(url)`` picks the backend from the URL: ``sqlite:///path`` (the default, one
machine, several worker processes) or Redis (any number of instances): one node
``redis://...``, a Redis Cluster ``redis+cluster://...`` or a Sentinel-managed primary
``redis+sentinel://...``, each with TLS as ``rediss...`` (bff.store.redis_connect). All give
the same four stores with the same behaviour; the tests run against each.
"""

from __future__ import annotations

from bff.config import BffSettings, ConfigError
from bff.store_config import REDIS_SCHEMES, StoreIam, StoreTls

from .base import (
    DEFAULT_TIMEOUT_SECONDS,
    Clock,
    DeviceVault,
    EventLedger,
    FlowStore,
    SessionStore,
    Store,
    StoreError,
    redact_url,
)

__all__ = [
    "Clock",
    "DeviceVault",
    "EventLedger",
    "FlowStore",
    "SessionStore",
    "Store",
    "StoreError",
    "open_store",
    "store_from_settings",
]


def open_store(
    url: str,
    *,
    key: str | bytes | None = None,
    clock: Clock | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    tls: StoreTls | None = None,
    iam: StoreIam | None = None,
) -> Store:
    """Open the store at ``url``. ``key`` is the Fernet key for secrets at rest (sessions,
    remembered devices): pass ``settings.device_key``; without it secrets are sealed with a
    per-process key and do not survive a restart. ``clock`` (epoch seconds) is for tests.
    ``timeout``: how long one operation may wait for the backend (SQLite's busy timeout,
    Redis' socket timeouts) before it fails with ``StoreUnavailable``. ``tls``: the CA and
    client certificate for a ``rediss...`` URL; ``iam``: ElastiCache IAM authentication.
    """
    if url.startswith("sqlite:///"):
        from .sqlite_store import SqliteStore

        return SqliteStore(url, key=key, clock=clock, timeout=timeout)
    if url.startswith(REDIS_SCHEMES):
        from .redis_store import RedisStore

        return RedisStore(url, key=key, clock=clock, timeout=timeout, tls=tls, iam=iam)
    raise ConfigError(
        f"BFF_STORE_URL {redact_url(url)!r} is not supported: use sqlite:///<path>, "
        "redis://..., redis+cluster://... or redis+sentinel://..."
    )


def store_from_settings(settings: BffSettings, *, clock: Clock | None = None) -> Store:
    """The store the settings describe, keyed with the settings' device key."""
    return open_store(
        settings.store_url,
        key=settings.device_key or None,
        clock=clock,
        timeout=settings.store_timeout_seconds,
        tls=settings.store_tls,
        iam=settings.store_iam,
    )
