"""The store's connection settings that ``bff.config`` reads from the environment: which
``BFF_STORE_URL`` schemes are Redis, and the TLS files for a ``rediss...`` URL (used by
bff.store.redis_connect)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

#: BFF_STORE_URL schemes of a Redis store: one node, a Redis Cluster, a Sentinel-managed
#: primary (bff.store.redis_connect).
REDIS_SCHEMES = (
    "redis://",
    "rediss://",
    "unix://",
    "redis+cluster://",
    "rediss+cluster://",
    "redis+sentinel://",
    "rediss+sentinel://",
)


@dataclass(frozen=True)
class StoreTls:
    """Files for a TLS Redis (``rediss...://``): the CA that signed the server's certificate
    (the system's CAs when empty) and a client certificate and key, when the server asks."""

    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""


@dataclass(frozen=True)
class StoreIam:
    """ElastiCache IAM authentication (bff.store.elasticache_iam): on when ``cache`` (the
    replication group id, or the serverless cache's name) is set; the user is the URL's."""

    cache: str = ""
    serverless: bool = False
    region: str = ""


def store_iam(env: Mapping[str, str], url: str) -> StoreIam:
    """The IAM settings in ``env`` for the store ``url``. ValueError when IAM is asked for
    and the URL has no TLS, no user, or a password (the token is the password), or no AWS
    region is set."""
    cache = (env.get("BFF_STORE_IAM_CACHE") or "").strip()
    serverless_raw = (env.get("BFF_STORE_IAM_SERVERLESS") or "").strip().lower()
    if serverless_raw not in ("", "1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError(f"BFF_STORE_IAM_SERVERLESS must be true or false, not {serverless_raw!r}")
    if not cache:
        if serverless_raw:
            raise ValueError("BFF_STORE_IAM_SERVERLESS needs BFF_STORE_IAM_CACHE")
        return StoreIam()
    region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
    if "+sentinel://" in url:
        raise ValueError("BFF_STORE_IAM_CACHE is for ElastiCache, which has no Sentinel")
    scheme, _, rest = url.partition("://")
    creds = rest.partition("/")[0].rpartition("@")[0]
    user, _, password = creds.partition(":")
    if not scheme.startswith("rediss"):
        raise ValueError("BFF_STORE_IAM_CACHE needs a TLS BFF_STORE_URL (rediss...://)")
    if not user or password:
        raise ValueError(
            "BFF_STORE_IAM_CACHE needs the ElastiCache user in BFF_STORE_URL and no password: "
            "rediss+cluster://<user id>@<endpoint>:6379"
        )
    if not region:
        raise ValueError("BFF_STORE_IAM_CACHE needs AWS_REGION (the cache's region)")
    return StoreIam(cache, serverless_raw in ("1", "true", "yes", "on"), region)


def store_tls(env: Mapping[str, str], *urls: str) -> StoreTls:
    """The TLS files named in ``env``. ValueError (a ConfigError in bff.config) when one is
    missing, or when none of ``urls`` (the store's, the rate limiter's) uses TLS: the files
    would be ignored."""
    tls = StoreTls(
        ca_file=(env.get("BFF_STORE_TLS_CA_FILE") or "").strip(),
        cert_file=(env.get("BFF_STORE_TLS_CERT_FILE") or "").strip(),
        key_file=(env.get("BFF_STORE_TLS_KEY_FILE") or "").strip(),
    )
    named = {
        "BFF_STORE_TLS_CA_FILE": tls.ca_file,
        "BFF_STORE_TLS_CERT_FILE": tls.cert_file,
        "BFF_STORE_TLS_KEY_FILE": tls.key_file,
    }
    given = [name for name, path in named.items() if path]
    if given and not any(url.startswith("rediss") for url in urls):
        # Without TLS the files would be ignored: say so rather than connect in the clear.
        raise ValueError(
            f"{', '.join(given)} set, but BFF_STORE_URL does not use TLS "
            "(rediss://, rediss+cluster:// or rediss+sentinel://)"
        )
    if tls.key_file and not tls.cert_file:
        raise ValueError("BFF_STORE_TLS_KEY_FILE needs BFF_STORE_TLS_CERT_FILE")
    for name in given:
        if not os.path.isfile(named[name]):
            raise ValueError(f"{name}: no such file: {named[name]!r}")
    return tls
