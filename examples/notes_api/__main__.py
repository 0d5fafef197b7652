"""``python -m examples.notes_api --port N --issuer URL --client-id ID``.

The first line on stdout is the URL it listens on (with ``--port 0``, the free port it
took); a parent process reads it, then waits for ``GET /healthz``.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from .server import bind


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.notes_api",
        description="Per-user notes behind Cognito access tokens.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0: a free one)")
    parser.add_argument(
        "--issuer",
        required=True,
        help="the pool's issuer, its tokens' iss: http://127.0.0.1:9229/<pool id> locally, "
        "https://cognito-idp.<region>.amazonaws.com/<pool id> on AWS",
    )
    parser.add_argument("--client-id", required=True, help="the app client whose tokens to accept")
    arguments = parser.parse_args(argv)
    issuer = urlsplit(arguments.issuer)
    if issuer.scheme not in ("http", "https") or not issuer.netloc or not issuer.path.strip("/"):
        parser.error("--issuer must be an http(s) URL ending in the pool id")
    if not 0 <= arguments.port <= 65535:
        parser.error("--port must be 0-65535")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    try:
        server = bind(arguments.issuer, arguments.client_id, arguments.host, arguments.port)
    except OSError as exc:
        print(f"cannot listen on {arguments.host}:{arguments.port}: {exc}", file=sys.stderr)
        return 1
    print(server.url, flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
