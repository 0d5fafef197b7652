"""Test support for the relay: a recording upstream API and the BFF served over HTTP.

``Recorder`` is a small WSGI app on a free loopback port that keeps what each request
brought (method, raw target, headers, body size) and answers by path:

- ``/notes...``: a JSON echo of what it received;
- ``/status/<n>``: status ``n`` with a ``Set-Cookie`` and hop-by-hop headers (to be dropped);
- ``/silent``: waits on an event that is only set when the test ends (an upstream that
  never answers);
- ``/download/<n>``: ``n`` bytes, streamed in 64 KiB chunks;
- ``/upload``: reads the body in chunks, answers how many bytes came.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CHUNK = 64 * 1024


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body_bytes: int


@dataclass
class Recorder:
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        path = environ.get("PATH_INFO", "")
        stream = environ["wsgi.input"]
        size = 0
        if path != "/silent":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "")
            while length > size or chunked:
                chunk = stream.read(min(CHUNK, length - size) if not chunked else CHUNK)
                if not chunk:
                    break
                size += len(chunk)
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        target = environ.get("REQUEST_URI") or path
        self.received.append(Received(environ["REQUEST_METHOD"], target, headers, size))
        if path == "/silent":
            self.release.wait(30)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return iter([b"late"])
        if path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
            start_response(
                f"{status} Whatever",
                [
                    ("Content-Type", "application/json"),
                    ("Set-Cookie", "upstream=1; Path=/"),
                    ("X-Upstream", "kept"),
                ],
            )
            return iter([json.dumps({"upstream_status": status}).encode()])
        if path.startswith("/download/"):
            total = int(path.rsplit("/", 1)[1])
            start_response(
                "200 OK",
                [("Content-Type", "application/octet-stream"), ("Content-Length", str(total))],
            )
            return _blocks(total)
        body = json.dumps({"method": environ["REQUEST_METHOD"], "target": target, "size": size})
        start_response("200 OK", [("Content-Type", "application/json")])
        return iter([body.encode()])

    @property
    def last(self) -> Received:
        return self.received[-1]


def _blocks(total: int) -> Iterator[bytes]:
    block = b"x" * CHUNK
    sent = 0
    while sent < total:
        piece = block[: min(CHUNK, total - sent)]
        sent += len(piece)
        yield piece


class _Quiet(WSGIRequestHandler):
    """No access-log line per request (the tests send thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Served:
    """A WSGI app on a free loopback port, threaded, until ``close``."""

    def __init__(self, app: Any) -> None:
        self.server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_Quiet
        )
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def remote_apis(upstream: str, /, **overrides: Any) -> str:
    """``BFF_REMOTE_APIS`` with one API, ``notes``, in front of ``upstream``."""
    entry = {
        "name": "notes",
        "prefix": "/api/remote/notes/",
        "upstream": upstream,
        "methods": ["GET", "POST", "PUT", "DELETE"],
        "paths": ["/notes", "/status", "/silent", "/download", "/upload"],
        "read_timeout": 2,
        **overrides,
    }
    return json.dumps([entry])


def call(
    served: Served,
    method: str,
    target: str,
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request over HTTP (the target sent exactly as given); status, headers, body."""
    conn = served.connection()
    try:
        all_headers = {"X-CSRF": "1", **(headers or {})}
        if cookie:
            all_headers["Cookie"] = f"bff_session={cookie}"
        conn.request(method, target, body=body, headers=all_headers)
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()
