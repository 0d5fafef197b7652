"""docs/hosting.md's nginx example, run for real: nginx (Debian's package) terminates TLS
with a throwaway certificate, serves a small built SPA folder and proxies /api to a real
`bff serve`; a browser-like client signs up and signs in with MFA through it.

The server block is taken from the doc itself, with only its host-specific values replaced
(port, certificate, build folder, the BFF's address), so the doc cannot drift from what
works. Checks: the `__Host-` session cookie (Secure, HttpOnly, SameSite=Strict, Path=/, no
Domain) set and sent back through the proxy, a new session id at sign-in, the history-API
fallback, the cache headers, and /api's own 404 never replaced by the page.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import secrets
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest

from bff.local_outbox import latest_message
from bff_tools.local_clock import LocalClock
from tests.support.nginx import nginx_program, self_signed
from tests.support.passwords import PASSWORD
from tests.support.production import free_port
from tests.support.serve import bff_serve, serve_environment
from tests.support.totp import totp_code

pytestmark = pytest.mark.slow  # nginx and `bff serve` subprocesses

ROOT = Path(__file__).resolve().parents[2]
HASHED_JS = "assets/index-4f3a9c1b.js"
SESSION_COOKIE = "__Host-bff_session"


def server_block_from_the_doc() -> str:
    text = (ROOT / "docs" / "hosting.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1, "docs/hosting.md has one nginx example"
    return str(blocks[0])


def built_spa(folder: Path) -> Path:
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(
        f'<!doctype html><title>team SPA</title><script type="module" src="/{HASHED_JS}">'
        '</script><div id="root"></div>'
    )
    (folder / HASHED_JS).write_text("console.log('team SPA');")
    return folder


@dataclass
class Nginx:
    port: int
    cafile: Path
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookie_headers: list[str] = field(default_factory=list)

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request over TLS, as a same-origin SPA sends it: cookies back, the CSRF
        header and a JSON body on every POST."""
        context = ssl.create_default_context(cafile=str(self.cafile))
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context)
        headers = {"Host": "127.0.0.1", "Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if method == "POST":
            headers.update({"X-CSRF": "1", "Content-Type": "application/json"})
            data = json.dumps(body or {}).encode()
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                self.set_cookie_headers.append(header)
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers.items()), payload
        finally:
            connection.close()

    def json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, _, payload = self.request(method, path, body)
        assert status == 200, (method, path, status, payload)
        return json.loads(payload)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Nginx, str]]:
    """`bff serve` (https cookies, one trusted proxy) behind nginx with the doc's block."""
    program = nginx_program()
    workdir = tmp_path_factory.mktemp("nginx")
    env = serve_environment(
        workdir, BFF_COOKIE_SECURE="true", BFF_TRUSTED_PROXIES="1", BFF_DEMO_ENABLED="false"
    )
    with bff_serve(workdir, env) as urls:
        bff_origin = urls["BFF"].removesuffix("/api")
        cert, key = self_signed(workdir)
        port = free_port()
        block = server_block_from_the_doc()
        for doc_value, ours in [
            ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
            ("/etc/ssl/app.example.com/fullchain.pem", str(cert)),
            ("/etc/ssl/app.example.com/privkey.pem", str(key)),
            ("/srv/app/dist", str(built_spa(workdir / "dist"))),
            ("http://127.0.0.1:8000", bff_origin),
        ]:
            assert doc_value in block, doc_value
            block = block.replace(doc_value, ours)
        # As root, nginx's workers would switch to "nobody", who cannot read tmp_path.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        prefix = workdir / "nginx-prefix"
        prefix.mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(
            f"{user}\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
            "events {}\n"
            f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
            f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
            f"{block}}}\n"
        )
        # Daemon mode: `nginx` returns once its sockets listen, a condition, not a wait.
        started = subprocess.run(
            [program, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert started.returncode == 0, started.stderr
        try:
            yield Nginx(port, cert), urls["local Cognito"]
        finally:
            subprocess.run(
                [program, "-p", str(prefix), "-c", str(conf), "-s", "stop"],
                capture_output=True,
                timeout=30,
                check=False,
            )


def test_the_spa_through_nginx_history_fallback_and_cache_headers(
    stack: tuple[Nginx, str],
) -> None:
    nginx, _ = stack
    status, headers, body = nginx.request("GET", "/")
    assert status == 200 and b"team SPA" in body
    assert headers["Cache-Control"] == "no-cache"

    status, headers, body = nginx.request("GET", "/account/devices")  # the SPA router's
    assert status == 200 and b"team SPA" in body

    status, headers, _ = nginx.request("GET", "/" + HASHED_JS)
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert nginx.request("GET", "/assets/index-00000000.js")[0] == 404

    # The BFF's own answers, never the page: an unknown API path is its JSON 404.
    status, headers, body = nginx.request("GET", "/api/no-such-route")
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    assert headers["Cache-Control"] == "no-store"


def test_sign_up_and_sign_in_with_mfa_through_nginx(stack: tuple[Nginx, str]) -> None:
    nginx, cognito = stack
    email = f"nginx-{secrets.token_hex(6)}@example.com"
    assert nginx.json("GET", "/api/flow") == {"flow": None}

    flow = nginx.json("POST", "/api/sign-up", {"email": email, "password": PASSWORD})["flow"]
    assert flow["state"] == "SIGNED_UP"
    first_session = nginx.cookies[SESSION_COOKIE]
    code = latest_message(cognito, email, "confirmation_code")["code"]
    flow = nginx.json("POST", "/api/sign-up/confirm", {"code": code})["flow"]
    assert flow["state"] == "CONFIRMED"

    flow = nginx.json("POST", "/api/sign-in", {"username": email, "password": PASSWORD})["flow"]
    assert flow["state"] == "MFA_SETUP"
    flow = nginx.json(
        "POST",
        "/api/sign-in/mfa-setup",
        {
            "code": totp_code(flow["data"]["secret"], clock=LocalClock(cognito)),
            "device_name": "nginx test",
        },
    )["flow"]
    assert flow["state"] == "AUTHENTICATED"

    me = nginx.json("GET", "/api/me")
    assert me["user"]["cognito:username"] == email
    assert nginx.cookies[SESSION_COOKIE] != first_session  # a new session id at sign-in

    # Every cookie through the proxy keeps the __Host- rules: Secure, Path=/, no Domain.
    sessions = [h for h in nginx.set_cookie_headers if h.startswith(SESSION_COOKIE + "=")]
    assert sessions
    for header in sessions:
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly", "path", "samesite"} <= attributes, header
        assert "domain" not in attributes, header
        assert "Path=/" in header and "SameSite=Strict" in header, header

    # Signed out through the proxy too: the old cookie is then refused.
    nginx.json("POST", "/api/sign-out")
    assert nginx.request("GET", "/api/me")[0] == 401
