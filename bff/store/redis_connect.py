"""How the store and the rate limiter reach Redis: one node, a Redis Cluster, or a primary
that Sentinel watches, each with or without TLS.

``BFF_STORE_URL`` names the mode by its scheme (the ``+cluster`` / ``+sentinel`` forms are
the ones the ``limits`` library reads, so the limiter's counters follow the store's URL):

* ``redis://[user:password@]host:port[/db]`` one node; ``rediss://`` with TLS; ``unix://``;
* ``redis+cluster://[user:password@]host:port[,host:port...]`` a Redis Cluster (ElastiCache
  Serverless, a cluster-mode replication group); ``rediss+cluster://`` with TLS. Any node
  will do: the client reads the slot map from it and follows ``MOVED``/``ASK``;
* ``redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]`` the primary the
  sentinels name for ``service``; ``rediss+sentinel://`` with TLS to the sentinels and the
  data nodes. The credentials are sent to both, as ``limits`` does.

TLS verifies the server's certificate and host name against ``BFF_STORE_TLS_CA_FILE`` (the
system's CAs when unset: enough for ElastiCache, whose certificates Amazon's public CAs sign)
and presents ``BFF_STORE_TLS_CERT_FILE``/``..._KEY_FILE`` when the server asks for a client
certificate. ``BFF_STORE_IAM_CACHE`` replaces the URL's password with ElastiCache IAM tokens
(bff.store.elasticache_iam).

Every client fails a command at once instead of retrying it: a Redis that is down or failing
over answers 503 ``store_unavailable`` with ``Retry-After`` (bff/api/errors.py) within the
store timeout, and the browser retries, not the server. ``OUTAGES`` lists what counts as
such an outage in every mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    ClusterError,
    ReadOnlyError,
    RedisClusterException,
    RedisClusterUnreachableError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.retry import Retry
from redis.sentinel import Sentinel

from bff.config import ConfigError
from bff.store_config import StoreIam, StoreTls

from .base import StoreError, redact_url

NODE_SCHEMES = ("redis://", "rediss://", "unix://")
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
SENTINEL_SCHEMES = ("redis+sentinel://", "rediss+sentinel://")

#: What a store or limiter command raises while Redis is unreachable, failing over or not
#: serving a slot: each answers 503 store_unavailable. ``RedisClusterUnreachableError``: no
#: node answered for the slot map; ``ReadOnlyError``: a primary that Sentinel just demoted,
#: before the client learns the new one. A cross-slot command is not here: it is a bug (500).
OUTAGES: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ClusterDownError,
    ClusterError,
    TryAgainError,
    SlotNotCoveredError,
    RedisClusterUnreachableError,
    ReadOnlyError,
)

RedisClient = redis.Redis | RedisCluster


@dataclass(frozen=True)
class RedisTarget:
    """A parsed ``BFF_STORE_URL`` of one of the three modes."""

    mode: str  # "node", "cluster" or "sentinel"
    tls: bool
    nodes: tuple[tuple[str, int], ...] = ()
    username: str | None = None
    password: str | None = None
    service: str = ""
    db: int = 0


def parse_redis_url(url: str) -> RedisTarget:
    """The mode, addresses and credentials of ``url``; ConfigError when it is malformed
    (the message never repeats the password)."""
    if url.startswith(NODE_SCHEMES):
        return RedisTarget("node", url.startswith("rediss://"))
    if url.startswith(CLUSTER_SCHEMES):
        mode = "cluster"
    elif url.startswith(SENTINEL_SCHEMES):
        mode = "sentinel"
    else:
        raise ConfigError("BFF_STORE_URL is not a Redis URL")
    scheme, _, rest = url.partition("://")
    netloc, _, path = rest.partition("/")
    creds, _, hosts = netloc.rpartition("@")
    username, _, password = creds.partition(":")
    nodes = tuple(_host_port(part, scheme) for part in hosts.split(",") if part.strip())
    if not nodes:
        raise ConfigError(f"BFF_STORE_URL ({scheme}://) names no host:port")
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    service, db = "", 0
    if mode == "sentinel":
        if not segments:
            raise ConfigError(f"BFF_STORE_URL ({scheme}://) needs the service: .../<service>")
        service, segments = segments[0], segments[1:]
    if segments:
        if mode == "cluster" or len(segments) > 1 or not segments[0].isdigit():
            raise ConfigError(
                f"BFF_STORE_URL ({scheme}://) has an unexpected path: "
                + ("a cluster has database 0 only" if mode == "cluster" else "/<service>/<db>")
            )
        db = int(segments[0])
    return RedisTarget(
        mode,
        scheme.startswith("rediss"),
        nodes,
        unquote(username) or None,
        unquote(password) or None,
        service,
        db,
    )


def _host_port(part: str, scheme: str) -> tuple[str, int]:
    try:
        parsed = urlsplit(f"//{part.strip()}")
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host:
        raise ConfigError(f"BFF_STORE_URL ({scheme}://) has a malformed host: {part!r}")
    return host, port or 6379


def _tls_kwargs(target: RedisTarget, tls: StoreTls) -> dict[str, Any]:
    if not target.tls:
        return {}
    kwargs: dict[str, Any] = {"ssl_cert_reqs": "required", "ssl_check_hostname": True}
    if tls.ca_file:
        kwargs["ssl_ca_certs"] = tls.ca_file
    if tls.cert_file:
        kwargs["ssl_certfile"] = tls.cert_file
        kwargs["ssl_keyfile"] = tls.key_file or None
    return kwargs


def _auth(url: str, target: RedisTarget, iam: StoreIam | None) -> dict[str, Any]:
    """The credentials: the URL's, or with IAM (ElastiCache) a provider that signs a token
    for the URL's user at each new connection."""
    if iam is None or not iam.cache:
        return {"username": target.username, "password": target.password}
    from .elasticache_iam import ElastiCacheIamAuth  # botocore: only when asked for

    user = target.username or unquote(urlsplit(url.split(",", 1)[0]).username or "")
    return {
        "credential_provider": ElastiCacheIamAuth(
            user, iam.cache, iam.region, serverless=iam.serverless
        )
    }


def _without_credentials(url: str) -> str:
    scheme, _, rest = url.partition("://")
    netloc, sep, path = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{sep}{path}"


def _timeouts(timeout: float) -> dict[str, Any]:
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def _no_retry() -> Retry:
    # redis-py retries a failed command (3 times with backoff by default): a stopped Redis
    # then cost ~5 s per request. One try within the timeout; the client retries later.
    return Retry(NoBackoff(), 0)


def redis_client(
    url: str, *, timeout: float, tls: StoreTls | None = None, iam: StoreIam | None = None
) -> RedisClient:
    """The redis-py client for ``url`` in its mode. A cluster's slot map is read here, so a
    cluster that no node of the URL can answer for fails now (StoreError)."""
    target = parse_redis_url(url)
    tls = tls or StoreTls()
    common = {**_timeouts(timeout), **_tls_kwargs(target, tls), "retry": _no_retry()}
    auth = _auth(url, target, iam)
    if target.mode == "node":
        try:
            if "credential_provider" in auth:
                return redis.Redis.from_url(_without_credentials(url), **auth, **common)
            return redis.Redis.from_url(url, **common)
        except ValueError as exc:
            raise ConfigError(f"BFF_STORE_URL is not a usable Redis URL: {exc}") from exc
    if target.mode == "cluster":
        try:
            return RedisCluster(
                startup_nodes=[
                    ClusterNode(host, port)  # type: ignore[no-untyped-call]
                    for host, port in target.nodes
                ],
                ssl=target.tls,
                **auth,
                **common,
            )
        except RedisClusterException as exc:
            raise StoreError(
                f"no node of BFF_STORE_URL {redact_url(url)!r} answered for the cluster: {exc}"
            ) from exc
    sentinel = Sentinel(
        list(target.nodes),
        sentinel_kwargs={
            **auth,
            **_timeouts(timeout),
            **_tls_kwargs(target, tls),
            "ssl": target.tls,
        },
        ssl=target.tls,
        **auth,
        **_timeouts(timeout),
        **_tls_kwargs(target, tls),
    )
    primary: redis.Redis = sentinel.master_for(target.service, db=target.db, retry=_no_retry())
    return primary


def limiter_storage(
    url: str, *, timeout: float, tls: StoreTls | None = None, iam: StoreIam | None = None
) -> tuple[str, dict[str, Any]]:
    """The ``limits`` storage URI and options for the rate limiter's counters at ``url``:
    the same Redis, mode, TLS, timeout and no-retry rule as the store. Any other URL
    (``memory://``...) is returned as it is, without options."""
    if not url.startswith((*NODE_SCHEMES, *CLUSTER_SCHEMES, *SENTINEL_SCHEMES)):
        return url, {}
    target = parse_redis_url(url)
    tls = tls or StoreTls()
    options: dict[str, Any] = {
        **_timeouts(timeout),
        **_tls_kwargs(target, tls),
        "retry": _no_retry(),
    }
    auth = _auth(url, target, iam)
    if target.mode == "node":
        if "credential_provider" in auth:
            return _without_credentials(url), {**options, **auth}
        return url, options
    # limits reads redis+cluster:// and redis+sentinel:// only: TLS goes in the options.
    scheme = "redis+" + target.mode
    netloc = ",".join(f"{host}:{port}" for host, port in target.nodes)
    options.update(auth)
    options = {key: value for key, value in options.items() if value is not None}
    if target.mode == "cluster":
        options["ssl"] = target.tls
        return f"{scheme}://{netloc}", options
    # Counters are read from the primary: a replica's may lag behind the last increment.
    options.update(db=target.db, ssl=target.tls, use_replicas=False)
    sentinel_kwargs = {**_timeouts(timeout), **_tls_kwargs(target, tls), "ssl": target.tls}
    options["sentinel_kwargs"] = sentinel_kwargs
    return f"{scheme}://{netloc}/{target.service}", options
