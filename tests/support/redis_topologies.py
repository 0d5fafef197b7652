"""Real Redis topologies on loopback for the tests and benchmarks: a six-node Redis Cluster
(three primaries, one replica each, made by ``redis-cli --cluster create``), a primary and
replica watched by three sentinels, and TLS with a throw-away CA.

Every server takes free ports and keeps its files in a folder the caller gives (a pytest
temporary folder: one per xdist worker), and every process started here is stopped here.
The pytest plugin part: ``redis_cluster_url``, one cluster for the whole test session.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from redis.cluster import RedisCluster

from tests.support.production import free_port, wait_until
from tests.support.programs import require_program

#: The cluster's node timeout in the tests: a killed primary is failed over in about two of
#: them (detection, then the replica's election), so failover tests stay short.
NODE_TIMEOUT_MS = 1000


def redis_keys(client: redis.Redis | RedisCluster, pattern: str = "*") -> list[bytes]:
    """Every key matching ``pattern``: on one node, or on each primary of a cluster."""
    if isinstance(client, RedisCluster):
        found: list[bytes] = []
        for node in client.get_primaries():
            found.extend(client.get_redis_connection(node).scan_iter(pattern))
        return found
    return list(client.scan_iter(pattern))


@dataclass(frozen=True)
class TlsFiles:
    """A throw-away CA and a certificate it signed for 127.0.0.1 and localhost, usable by a
    server and as a client certificate (both extended key usages)."""

    ca: Path
    cert: Path
    key: Path

    def server_args(self) -> list[str]:
        return [
            "--tls-cert-file",
            str(self.cert),
            "--tls-key-file",
            str(self.key),
            "--tls-ca-cert-file",
            str(self.ca),
        ]

    def client_kwargs(self) -> dict[str, str]:
        return {
            "ssl_ca_certs": str(self.ca),
            "ssl_certfile": str(self.cert),
            "ssl_keyfile": str(self.key),
        }


def make_tls_files(folder: Path) -> TlsFiles:
    """Generate the CA and the certificate with ``cryptography`` (valid for one day)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bff test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(folder / "ca.pem", folder / "redis.pem", folder / "redis.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key.chmod(0o600)
    return files


def redis_server_program() -> str:
    return require_program(
        "redis-server", shutil.which("redis-server"), "apt-get install redis-server (.ci/run does)"
    )


@dataclass
class Server:
    """One redis-server (or sentinel) process on ``port``."""

    port: int
    process: subprocess.Popen[bytes]
    tls: TlsFiles | None = None
    auth: dict[str, str] = field(default_factory=dict)  # username, password of the tests

    def client(self, **kwargs: object) -> redis.Redis:
        kwargs = {**self.auth, **kwargs}
        if self.tls is not None:
            kwargs = {"ssl": True, **self.tls.client_kwargs(), **kwargs}
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, **kwargs)  # type: ignore[arg-type]

    def info(self, section: str) -> dict[str, object]:
        client = self.client()
        try:
            return dict(client.info(section))
        except redis.RedisError:
            return {}
        finally:
            client.close()

    def cluster_info(self) -> dict[str, object]:
        client = self.client()
        try:
            return dict(client.execute_command("CLUSTER INFO"))
        except redis.RedisError:
            return {}
        finally:
            client.close()

    def kill(self) -> None:
        """``kill -9``: no shutdown, no last write to a replica."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    folder: Path, args: list[str], tls: TlsFiles | None = None, auth: dict[str, str] | None = None
) -> Server:
    """A redis-server on a free port with no persistence, its log in ``folder``; waits until
    it answers PING (as ``auth``'s user when the default user is off)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    ports = ["--port", "0", "--tls-port", str(port), *tls.server_args()] if tls else []
    command = [
        redis_server_program(),
        *args,
        *(ports or ["--port", str(port)]),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(folder),
        "--logfile",
        str(folder / "redis.log"),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(port, process, tls, auth or {})

    def answers() -> bool:
        if process.poll() is not None:
            log = folder / "redis.log"
            raise RuntimeError(f"redis-server exited: {log.read_text() if log.exists() else ''}")
        client = server.client(socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    try:
        wait_until(answers, 10, f"redis-server on port {port}")
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class LocalCluster:
    """Six cluster-mode redis-servers: three primaries with a replica each."""

    nodes: list[Server]
    tls: TlsFiles | None = None
    killed: list[Server] = field(default_factory=list)

    @property
    def url(self) -> str:
        scheme = "rediss+cluster" if self.tls else "redis+cluster"
        return f"{scheme}://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes[:3])

    def live(self) -> list[Server]:
        return [node for node in self.nodes if node not in self.killed]

    def primaries(self) -> list[Server]:
        return [node for node in self.live() if node.info("replication").get("role") == "master"]

    def healthy(self) -> bool:
        """Every live node sees all slots served, and every primary has a synced replica."""
        for node in self.live():
            info = node.cluster_info()
            if info.get("cluster_state") != "ok" or str(info.get("cluster_slots_ok")) != "16384":
                return False
        replicas = [n for n in self.live() if n.info("replication").get("role") == "slave"]
        return all(r.info("replication").get("master_link_status") == "up" for r in replicas)

    def kill(self, node: Server) -> None:
        node.kill()
        self.killed.append(node)


@contextmanager
def redis_cluster(folder: Path, *, tls: TlsFiles | None = None) -> Iterator[LocalCluster]:
    """Start six nodes, join them with ``redis-cli --cluster create ... --cluster-replicas
    1``, wait until every slot is served and every replica in sync; stop them all after."""
    cli = require_program("redis-cli", shutil.which("redis-cli"), "apt-get install redis-tools")
    with ExitStack() as stack:
        nodes = []
        for number in range(6):
            bus_port = free_port()  # the cluster bus: port + 10000 is not ours to assume
            node = start_server(
                folder / f"node-{number}",
                [
                    "--cluster-enabled",
                    "yes",
                    "--cluster-port",
                    str(bus_port),
                    "--cluster-node-timeout",
                    str(NODE_TIMEOUT_MS),
                    # A replica may always take over, however long since it heard its primary.
                    "--cluster-replica-validity-factor",
                    "0",
                    *(["--tls-cluster", "yes", "--tls-replication", "yes"] if tls else []),
                ],
                tls,
            )
            stack.callback(node.stop)
            nodes.append(node)
        tls_args = (
            ["--tls", "--cacert", str(tls.ca), "--cert", str(tls.cert), "--key", str(tls.key)]
            if tls
            else []
        )
        result = subprocess.run(
            [
                cli,
                *tls_args,
                "--cluster",
                "create",
                *(f"127.0.0.1:{node.port}" for node in nodes),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {result.stdout}{result.stderr}")
        cluster = LocalCluster(nodes, tls)
        wait_until(cluster.healthy, 30, "the cluster to serve every slot")
        yield cluster


@dataclass
class SentinelSet:
    """A primary, its replica and three sentinels watching them as ``service``."""

    primary: Server
    replica: Server
    sentinels: list[Server]
    service: str = "bff"
    tls: TlsFiles | None = None

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        scheme = "rediss+sentinel" if self.tls else "redis+sentinel"
        return f"{scheme}://{hosts}/{self.service}/0"

    def current_primary_port(self) -> int:
        client = self.sentinels[0].client()
        try:
            host, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
            return int(port)
        finally:
            client.close()


@contextmanager
def redis_sentinels(
    folder: Path, *, down_after_ms: int = NODE_TIMEOUT_MS, tls: TlsFiles | None = None
) -> Iterator[SentinelSet]:
    """A primary, a replica and three sentinels; with ``tls``, every link speaks TLS only
    (clients, replication, the sentinels' own connections)."""
    replication = ["--tls-replication", "yes"] if tls else []
    with ExitStack() as stack:
        primary = start_server(folder / "primary", replication, tls)
        stack.callback(primary.stop)
        replica = start_server(
            folder / "replica",
            ["--replicaof", "127.0.0.1", str(primary.port), *replication],
            tls,
        )
        stack.callback(replica.stop)
        wait_until(
            lambda: replica.info("replication").get("master_link_status") == "up",
            30,
            "the replica to sync",
        )
        sentinels = []
        for number in range(3):
            conf = folder / f"sentinel-{number}" / "sentinel.conf"
            conf.parent.mkdir(parents=True, exist_ok=True)
            conf.write_text(
                f"sentinel monitor bff 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds bff {down_after_ms}\n"
                "sentinel failover-timeout bff 10000\n"
                "sentinel parallel-syncs bff 1\n"
            )
            sentinel = start_server(conf.parent, [str(conf), "--sentinel", *replication], tls)
            stack.callback(sentinel.stop)
            sentinels.append(sentinel)
        found = SentinelSet(primary, replica, sentinels, tls=tls)

        def all_see_both() -> bool:
            for sentinel in sentinels:
                info = sentinel.info("sentinel")
                master = info.get("master0")
                if not isinstance(master, dict) or master.get("slaves") != 1:
                    return False
                if master.get("sentinels") != 3:
                    return False
            return True

        wait_until(all_see_both, 30, "the sentinels to find the replica and each other")
        yield found


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Redis Cluster for the test session (per xdist worker: its own ports and folder)."""
    redis_server_program()
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster.url
