"""The three Redis modes and TLS: how a BFF_STORE_URL is read, what the rate limiter gets, the
TLS settings' refusals, and real servers on loopback: a node and a cluster that speak only
TLS, with a throw-away CA and client certificates; a Redis outage of any mode is a 503."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import redis
from cryptography.fernet import Fernet
from flask import Flask
from limits.storage import Storage, storage_from_string
from redis.exceptions import ClusterDownError, ReadOnlyError, TryAgainError

from bff.api import context
from bff.api.errors import init_error_handlers
from bff.config import ConfigError, load_settings
from bff.store import StoreError, open_store
from bff.store.elasticache_iam import ElastiCacheIamAuth
from bff.store.redis_connect import RedisTarget, limiter_storage, parse_redis_url
from bff.store_config import StoreIam, StoreTls
from statemachine.flow import Flow
from tests.support.redis_topologies import (
    Server,
    TlsFiles,
    free_port,
    make_tls_files,
    redis_cluster,
    redis_sentinels,
    start_server,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://cache:6379/2", RedisTarget("node", False)),
        ("rediss://:tok@cache:6379/0", RedisTarget("node", True)),
        (
            "redis+cluster://a:7000,b:7001",
            RedisTarget("cluster", False, (("a", 7000), ("b", 7001))),
        ),
        (
            "rediss+cluster://bff:p%40ss@cfg.example.com",
            RedisTarget("cluster", True, (("cfg.example.com", 6379),), "bff", "p@ss"),
        ),
        (
            "redis+sentinel://s1:26379,s2:26380/bff",
            RedisTarget("sentinel", False, (("s1", 26379), ("s2", 26380)), service="bff"),
        ),
        (
            "rediss+sentinel://:pw@s1:26379/bff/3",
            RedisTarget("sentinel", True, (("s1", 26379),), None, "pw", "bff", 3),
        ),
    ],
)
def test_store_urls_name_their_mode(url: str, expected: RedisTarget) -> None:
    assert parse_redis_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+cluster://", "names no host"),
        ("redis+cluster://a:7000/1", "database 0 only"),
        ("redis+sentinel://s1:26379", "needs the service"),
        ("redis+sentinel://s1:26379/bff/x", "/<service>/<db>"),
        ("redis+cluster://:secret@a:notaport", "malformed host"),
    ],
)
def test_malformed_store_urls_are_refused_without_their_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        open_store(url, key=Fernet.generate_key())
    assert "secret" not in str(refused.value)


def test_a_cluster_that_no_node_answers_for_stops_the_start(tmp_path: Path) -> None:
    closed = [free_port(), free_port()]
    url = f"redis+cluster://bff:hunter2@127.0.0.1:{closed[0]},127.0.0.1:{closed[1]}"
    with pytest.raises(StoreError, match="no node of BFF_STORE_URL") as refused:
        open_store(url, key=Fernet.generate_key(), timeout=1)
    assert "hunter2" not in str(refused.value) and "bff:***@" in str(refused.value)


def test_the_limiter_gets_the_stores_mode_tls_and_timeout() -> None:
    tls = StoreTls(ca_file="/ca.pem", cert_file="/c.pem", key_file="/c.key")
    uri, options = limiter_storage("rediss+cluster://u:p@a:7000,b:7001", timeout=1.5, tls=tls)
    assert uri == "redis+cluster://a:7000,b:7001"
    assert options["ssl"] is True and options["ssl_ca_certs"] == "/ca.pem"
    assert options["ssl_certfile"] == "/c.pem" and options["ssl_keyfile"] == "/c.key"
    assert (options["username"], options["password"]) == ("u", "p")
    assert options["socket_timeout"] == 1.5 and options["retry"].get_retries() == 0

    uri, options = limiter_storage("redis+sentinel://s1:26379/bff/2", timeout=2, tls=None)
    assert uri == "redis+sentinel://s1:26379/bff"
    assert options["db"] == 2 and options["use_replicas"] is False and options["ssl"] is False
    assert options["sentinel_kwargs"]["socket_timeout"] == 2

    assert limiter_storage("memory://", timeout=2) == ("memory://", {})
    uri, options = limiter_storage("redis://cache:6379/1", timeout=2)
    assert uri == "redis://cache:6379/1" and "ssl" not in options


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"BFF_INSTANCE_PATH": str(tmp_path), **extra}


def test_tls_files_need_a_tls_url_and_must_exist(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    with pytest.raises(ConfigError, match="does not use TLS"):
        load_settings(
            environ=_env(
                tmp_path, BFF_STORE_URL="redis+cluster://a:7000", BFF_STORE_TLS_CA_FILE=str(ca)
            )
        )
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(
            environ=_env(
                tmp_path,
                BFF_STORE_URL="rediss+cluster://a:7000",
                BFF_STORE_TLS_CA_FILE=str(tmp_path / "missing.pem"),
            )
        )
    with pytest.raises(ConfigError, match="needs BFF_STORE_TLS_CERT_FILE"):
        load_settings(
            environ=_env(tmp_path, BFF_STORE_URL="rediss://a:1/0", BFF_STORE_TLS_KEY_FILE=str(ca))
        )
    settings = load_settings(
        environ=_env(
            tmp_path, BFF_STORE_URL="rediss+cluster://a:7000", BFF_STORE_TLS_CA_FILE=str(ca)
        )
    )
    assert settings.store_is_redis and settings.store_tls == StoreTls(ca_file=str(ca))
    assert settings.ratelimit_storage_url == "rediss+cluster://a:7000"


@pytest.mark.parametrize(
    "outage",
    [
        ClusterDownError("CLUSTERDOWN The cluster is down"),
        TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"),
        ReadOnlyError("READONLY You can't write against a read only replica."),
        redis.ConnectionError("Connection refused"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_redis_outage_of_any_mode_is_a_503_with_retry_after(
    outage: Exception, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = Flask("outage")
    init_error_handlers(app)
    url = "rediss+cluster://bff:hunter2@a:7000,b:7001"
    settings = load_settings(environ=_env(tmp_path, BFF_STORE_URL=url))
    app.extensions[context.EXTENSION] = {"settings": settings}  # what the handler reads

    @app.get("/boom")
    def boom() -> Any:
        raise outage

    response = app.test_client().get("/boom")
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert response.get_json()["error"]["code"] == "store_unavailable"
    assert "bff:***@a:7000,b:7001" in caplog.text and "hunter2" not in caplog.text


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_node(tls_files: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A redis-server on a TLS port only, asking every client for a certificate."""
    server = start_server(
        tmp_path_factory.mktemp("tls-node"), ["--tls-auth-clients", "yes"], tls_files
    )
    yield server
    server.stop()


def _round_trip(url: str, tls: StoreTls) -> None:
    store = open_store(url, key=Fernet.generate_key(), tls=tls)
    try:
        flow = Flow(username="tls@example.com")
        store.flows.create(flow, 180)
        store.flows.save(flow, 180)
        assert store.flows.load(flow.id).version == 1  # type: ignore[union-attr]
        sid = store.sessions.rotate(store.sessions.create({"username": "tls"}, 900, 3600))
        assert sid is not None and store.sessions.get(sid) is not None
        assert store.ping()
    finally:
        store.close()


def _count_once(uri: str, options: dict[str, Any]) -> None:
    """The rate limiter's storage, made as flask-limiter makes it, counts one hit."""
    counters = storage_from_string(uri, **options)
    try:
        assert isinstance(counters, Storage) and counters.incr("tls-hit", 60) == 1
    finally:
        counters.storage.close()  # type: ignore[attr-defined]


def test_a_tls_node_with_client_certificates(tls_node: Server, tls_files: TlsFiles) -> None:
    url = f"rediss://127.0.0.1:{tls_node.port}/0"
    tls = StoreTls(str(tls_files.ca), str(tls_files.cert), str(tls_files.key))
    _round_trip(url, tls)
    _count_once(*limiter_storage(url, timeout=2, tls=tls))


def test_a_tls_node_refuses_a_client_without_certificate_or_trust(
    tls_node: Server, tls_files: TlsFiles, tmp_path: Path
) -> None:
    url = f"rediss://127.0.0.1:{tls_node.port}/0"
    for tls in (
        StoreTls(ca_file=str(tls_files.ca)),  # no client certificate
        StoreTls(),  # the system's CAs do not know the throw-away CA
        StoreTls(
            str(make_tls_files(tmp_path / "other").ca), str(tls_files.cert), str(tls_files.key)
        ),
    ):
        store = open_store(url, key=Fernet.generate_key(), tls=tls, timeout=2)
        try:
            assert not store.ping()
            with pytest.raises(redis.ConnectionError):
                store.flows.create(Flow(), 180)
        finally:
            store.close()
    # Plain text to a TLS port gets nowhere either.
    with pytest.raises((redis.ConnectionError, StoreError)):
        plain = open_store(f"redis://127.0.0.1:{tls_node.port}/0", timeout=1)
        try:
            plain.flows.create(Flow(), 180)
        finally:
            plain.close()


@pytest.mark.slow
def test_a_tls_sentinel_set_with_client_certificates(tls_files: TlsFiles, tmp_path: Path) -> None:
    """A primary, a replica and three sentinels speaking TLS only, to clients and among
    themselves: the store asks the sentinels for the primary over TLS, then talks to it."""
    with redis_sentinels(tmp_path / "sentinels", tls=tls_files) as found:
        assert found.url.startswith("rediss+sentinel://")
        tls = StoreTls(str(tls_files.ca), str(tls_files.cert), str(tls_files.key))
        _round_trip(found.url, tls)
        _count_once(*limiter_storage(found.url, timeout=2, tls=tls))


@pytest.mark.slow
def test_a_tls_cluster_with_client_certificates(tls_files: TlsFiles, tmp_path: Path) -> None:
    """Six nodes speaking TLS only, to clients and on the cluster bus and replication."""
    with redis_cluster(tmp_path / "cluster", tls=tls_files) as cluster:
        assert cluster.url.startswith("rediss+cluster://")
        tls = StoreTls(str(tls_files.ca), str(tls_files.cert), str(tls_files.key))
        _round_trip(cluster.url, tls)
        _count_once(*limiter_storage(cluster.url, timeout=2, tls=tls))


def test_the_iam_token_is_a_presigned_connect_request() -> None:
    """The shape AWS documents: the cache as host, Action=connect, the user, a SigV4 query
    signature for the elasticache service valid 900 s, without the scheme."""
    auth = ElastiCacheIamAuth("bff-app", "bff-cache", "eu-west-1", serverless=True)
    user, token = auth.get_credentials()
    assert user == "bff-app" and not token.startswith(("https://", "http://"))
    parsed = urlsplit("https://" + token)
    query = dict(parse_qsl(parsed.query))
    assert parsed.hostname == "bff-cache" and parsed.path == "/"
    assert query["Action"] == "connect" and query["User"] == "bff-app"
    assert query["ResourceType"] == "ServerlessCache"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and query["X-Amz-Expires"] == "900"
    assert query["X-Amz-Credential"].endswith("/eu-west-1/elasticache/aws4_request")
    assert re.fullmatch(r"[0-9a-f]{64}", query["X-Amz-Signature"])
    assert auth.get_credentials() == (user, token), "reused, not signed per connection"
    node_based = ElastiCacheIamAuth("bff-app", "bff-group", "eu-west-1", serverless=False)
    assert "ResourceType" not in node_based.token()


@pytest.mark.parametrize(
    ("url", "extra", "message"),
    [
        ("redis+cluster://bff@a:7000", {}, "needs a TLS"),
        ("rediss+cluster://a:7000", {}, "needs the ElastiCache user"),
        ("rediss+cluster://bff:pw@a:7000", {}, "needs the ElastiCache user"),
        ("rediss+sentinel://bff@s:26379/bff", {}, "no Sentinel"),
        ("rediss+cluster://bff@a:7000", {"AWS_REGION": ""}, "needs AWS_REGION"),
        ("rediss+cluster://bff@a:7000", {"BFF_STORE_IAM_SERVERLESS": "maybe"}, "true or false"),
    ],
)
def test_iam_settings_are_refused_when_they_cannot_work(
    tmp_path: Path, url: str, extra: dict[str, str], message: str
) -> None:
    env = _env(tmp_path, BFF_STORE_URL=url, BFF_STORE_IAM_CACHE="bff-cache", AWS_REGION="eu-west-1")
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={**env, **extra})


def test_the_store_signs_in_as_the_iam_user(tls_files: TlsFiles, tmp_path: Path) -> None:
    """A TLS node whose only user is the IAM user (any password: the server cannot check a
    SigV4 token): the store and the limiter connect as that user."""
    server = start_server(
        tmp_path / "iam",
        ["--tls-auth-clients", "no", "--user", "bff-app", "on", "nopass", "~*", "&*", "+@all"]
        + ["--user", "default", "off"],
        tls_files,
        auth={"username": "bff-app", "password": "any"},
    )
    try:
        url = f"rediss://bff-app@127.0.0.1:{server.port}/0"
        settings = load_settings(
            environ=_env(
                tmp_path,
                BFF_STORE_URL=url,
                BFF_STORE_TLS_CA_FILE=str(tls_files.ca),
                BFF_STORE_IAM_CACHE="bff-cache",
                AWS_REGION="eu-west-1",
            )
        )
        assert settings.store_iam == StoreIam("bff-cache", False, "eu-west-1")
        store = open_store(
            url, key=Fernet.generate_key(), tls=settings.store_tls, iam=settings.store_iam
        )
        try:
            assert store.redis.acl_whoami() == "bff-app"
            flow = Flow()
            store.flows.create(flow, 180)
            assert store.flows.load(flow.id) is not None
        finally:
            store.close()
        _count_once(
            *limiter_storage(url, timeout=2, tls=settings.store_tls, iam=settings.store_iam)
        )
    finally:
        server.stop()
