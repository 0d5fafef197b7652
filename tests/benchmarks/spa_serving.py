"""Serving a built SPA: the BFF itself (``BFF_SPA_DIR``, bff/spa.py) next to nginx.

docs/hosting.md offers both: one process (the BFF serves the folder) or nginx in front.
This prints requests per second for the same folder, the same three requests (``/``, a
page of the SPA's router answered by the history fallback, a 150 KB hashed asset), one new
connection per request, from one client thread:

* the BFF app in-process (Flask's test client: the view's own cost, no HTTP);
* the BFF over HTTP, on werkzeug's threaded server (as ``bff serve`` runs it);
* nginx over HTTP (when it is installed), serving the folder with docs/hosting.md's
  ``try_files`` rules;

and the ratio nginx / BFF from the same run. One Python client thread opening a connection
per request is slow itself: the HTTP figures are a floor for both servers, and a ratio near
1 means the client, not the server, set the pace. Figures, not assertions.

    .venv/bin/python tests/benchmarks/spa_serving.py [N]
"""

from __future__ import annotations

import http.client
import logging
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server

from bff.app import create_app

PATHS = ("/", "/account/devices", "/assets/index-4f3a9c1b.js")


def built_spa(folder: Path) -> Path:
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(
        '<!doctype html><title>SPA</title><script type="module" '
        'src="/assets/index-4f3a9c1b.js"></script><div id="root"></div>' + " " * 800
    )
    (folder / "assets" / "index-4f3a9c1b.js").write_text("x" * 150_000)
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rate(label: str, n: int, fetch: Callable[[str], int]) -> float:
    for path in PATHS:  # warm up, and check every answer is a 200
        status = fetch(path)
        assert status == 200, (label, path, status)
    start = time.perf_counter()
    for i in range(n):
        fetch(PATHS[i % len(PATHS)])
    per_second = n / (time.perf_counter() - start)
    print(f"  {label:<40} {per_second:>9,.0f} req/s  ({1e6 / per_second:,.0f} us/req)")
    return per_second


def over_http(port: int) -> Callable[[str], int]:
    def fetch(path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    return fetch


def nginx_rate(folder: Path, work: Path, n: int) -> float | None:
    program = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if program is None:
        print("  nginx                                    not installed: skipped")
        return None
    port = free_port()
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(
        f"{user}\npid {work}/nginx.pid;\nerror_log {work}/error.log;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; access_log off;\n"
        f"  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
        f"  server {{ listen 127.0.0.1:{port}; root {folder};\n"
        "    location /assets/ { try_files $uri =404; }\n"
        "    location / { try_files $uri /index.html; } } }\n"
    )
    base = [program, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")]
    subprocess.run(base, check=True, timeout=30)  # daemon mode: returns once it listens
    try:
        return rate("nginx over HTTP", n, over_http(port))
    finally:
        subprocess.run([*base, "-s", "stop"], check=False, timeout=30)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory(prefix="bff-spa-bench-") as tmp:
        work = Path(tmp)
        folder = built_spa(work / "dist")
        app = create_app(
            {
                # No Cognito call is made for static files; the pool only has to be named.
                "COGNITO_USER_POOL_ID": "eu-west-1_Bench",
                "COGNITO_CLIENT_ID": "bench",
                "COGNITO_ENDPOINT_URL": "http://127.0.0.1:9",
                "BFF_MODE": "local",
                "BFF_SPA_DIR": str(folder),
                "BFF_RATELIMIT_ENABLED": "false",
                "BFF_LOG_LEVEL": "ERROR",
                "BFF_SECRET_KEY": secrets.token_urlsafe(48),
                "instance_path": str(work / "instance"),
            }
        )
        print(f"SPA serving, {n} requests each over {', '.join(PATHS)}")
        client = app.test_client()

        def in_process(path: str) -> int:
            with client.get(path) as response:
                response.get_data()
                return response.status_code

        rate("BFF in-process (test client)", n, in_process)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            bff = rate("BFF over HTTP (werkzeug, threaded)", n, over_http(server.server_port))
        finally:
            server.shutdown()
            server.server_close()
        nginx = nginx_rate(folder, work, n)
        if nginx is not None:
            print(f"  nginx / BFF over HTTP: {nginx / bff:.1f}x")
        app.extensions["bff"]["store"].close()


if __name__ == "__main__":
    main()
