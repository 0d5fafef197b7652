"""docs/operations.md's nginx configuration, run for real in front of the shipped gunicorn
configuration: nginx (Debian's package) terminates TLS with a throwaway certificate and
proxies to gunicorn (one worker, SQLite, a local Cognito in its own process).

The configuration is taken from the doc itself, with only its host-specific values replaced
(port, certificate, gunicorn's address, the log file), so the doc cannot drift from what
works. Checks: a request goes through and the BFF's request id comes back, nginx's id went
up (the BFF logs it as ``upstream_id``) and nginx's log joins both; a body over the BFF's
limit is refused by nginx already; a client trickling its headers is cut off by nginx.
Slow: nginx, gunicorn and a local Cognito are subprocesses (marked ``slow``).
"""

from __future__ import annotations

import http.client
import os
import pwd
import re
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.nginx import nginx_program, self_signed
from tests.support.production import bff_environment, free_port, gunicorn, local_cognito_process

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PATIENCE = 30.0


def _configuration_from_the_doc() -> str:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1, "docs/operations.md has one nginx configuration"
    return str(blocks[0])


@dataclass
class Front:
    port: int
    cafile: Path
    access_log: Path
    bff_log: Path

    def request(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        context = ssl.create_default_context(cafile=str(self.cafile))
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=context, timeout=PATIENCE
        )
        try:
            connection.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
            response = connection.getresponse()
            return response.status, dict(response.headers.items()), response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    program = nginx_program()
    workdir = tmp_path_factory.mktemp("nginx-front")
    with local_cognito_process(workdir) as cognito:
        env = bff_environment(
            cognito,
            workdir,
            BFF_STORE_URL=f"sqlite:///{workdir}/bff.db",
            WEB_CONCURRENCY="1",
            BFF_TRUSTED_PROXIES="1",
        )
        with gunicorn(env, workdir, "bff") as instance:
            cert, key = self_signed(workdir)
            port = free_port()
            prefix = workdir / "nginx-prefix"
            prefix.mkdir()
            access_log = prefix / "bff.log"
            configuration = _configuration_from_the_doc()
            for doc_value, ours in [
                ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
                ("/etc/ssl/bff.example.com/fullchain.pem", str(cert)),
                ("/etc/ssl/bff.example.com/privkey.pem", str(key)),
                ("server 127.0.0.1:8000;", f"server {instance.base_url.removeprefix('http://')};"),
                ("/var/log/nginx/bff.log", str(access_log)),
            ]:
                assert doc_value in configuration, doc_value
                configuration = configuration.replace(doc_value, ours)
            # As root, nginx's workers would switch to "nobody", who cannot read tmp_path.
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
            conf = prefix / "nginx.conf"
            conf.write_text(
                f"{user}\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
                "events {}\n"
                f"http {{\n  client_body_temp_path {prefix}/body;\n"
                f"  proxy_temp_path {prefix}/proxy;\n{configuration}}}\n"
            )
            # Daemon mode: `nginx` returns once its sockets listen, a condition, not a wait.
            started = subprocess.run(
                [program, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                capture_output=True,
                text=True,
                timeout=PATIENCE,
                check=False,
            )
            assert started.returncode == 0, started.stderr
            try:
                yield Front(port, cert, access_log, instance.log)
            finally:
                subprocess.run(
                    [program, "-p", str(prefix), "-c", str(conf), "-s", "stop"],
                    capture_output=True,
                    timeout=PATIENCE,
                    check=False,
                )


def test_request_ids_join_the_proxy_log_and_the_bffs(front: Front) -> None:
    """nginx sends its ``$request_id`` up; the BFF answers with its own id and logs nginx's
    beside it; nginx's log line carries both."""
    status, headers, _ = front.request("GET", "/api/flow", **{"X-Request-Id": "from-a-client"})
    assert status == 200
    ours = headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", ours)
    (line,) = [line for line in front.access_log.read_text().splitlines() if ours in line]
    nginx_id = re.search(r" id=([0-9a-f]{32}) bff_id=", line)
    assert nginx_id, line
    assert f"upstream_id={nginx_id.group(1)}" in front.bff_log.read_text()
    assert "from-a-client" not in front.bff_log.read_text()  # nginx overwrote it


def test_a_body_over_the_limit_is_refused_by_nginx(front: Front) -> None:
    status, _, _ = front.request(
        "POST",
        "/api/sign-in",
        b"{" + b" " * (300 * 1024) + b"}",
        **{"Content-Type": "application/json", "X-CSRF": "1"},
    )
    assert status == 413
    assert "/api/sign-in 413" not in front.bff_log.read_text()  # it never reached the BFF


def test_a_client_trickling_its_headers_never_reaches_the_bff(front: Front) -> None:
    """nginx buffers the request: what reaches gunicorn is whole or nothing. A client that
    sends part of its head and stops is nginx's to time out, not a BFF connection."""
    context = ssl.create_default_context(cafile=str(front.cafile))
    with (
        socket.create_connection(("127.0.0.1", front.port), timeout=PATIENCE) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(b"GET /api/flow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaa")
        before = front.bff_log.read_text()
        status, _, _ = front.request("GET", "/healthz")  # served meanwhile
        assert status == 200
    assert front.bff_log.read_text().count("/api/flow") == before.count("/api/flow")
