"""gunicorn's threaded worker, answering its own errors in the one error shape.

gunicorn answers a request it cannot parse or that is over its limits itself, before the
app runs (``Worker.handle_error``): 400 for a malformed request line, method, HTTP version
or header, 414 for a request line over ``limit_request_line``, 431 for headers over
``limit_request_fields`` or ``limit_request_field_size``, 403, 417, 501 and 500 for the
rarer cases. Its answer is an HTML page quoting parts of the request. ``BffThreadWorker``
keeps gunicorn's choice of status and its log line, and writes the body of
bff.server_errors instead: ``{"error": {code, message, details}}`` with a fixed message,
``Content-Type: application/json``, ``Connection: close``.

bff.gunicorn_conf names it (``worker_class``); it is the ``gthread`` worker otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from bff.server_errors import server_error_body, status_phrase

_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


class _ErrorPage:
    """Stands in for the client's socket while gunicorn writes its error page: it keeps
    the bytes (of which only the status is read), so none reaches the client. It has only
    what gunicorn's writing uses (``util.write_nonblock``): any other use fails here."""

    def __init__(self) -> None:
        self.written = bytearray()

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking": gunicorn writes at once, without switching modes

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> int:
        """The status gunicorn chose; 500 if it wrote nothing this worker can read."""
        match = _STATUS_LINE.match(self.written)
        return int(match.group(1)) if match else 500


def error_response(status: int) -> bytes:
    """The whole HTTP answer for ``status``, in the error shape."""
    body = server_error_body(status)
    head = (
        f"HTTP/1.1 {status} {status_phrase(status)}\r\n"
        "Content-Type: application/json\r\n"
        "Connection: close\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class BffThreadWorker(ThreadWorker):
    """``gthread`` with the error answers of bff.server_errors."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        # gunicorn decides the status and logs the error; its page goes to a stand-in.
        page = _ErrorPage()
        super().handle_error(req, page, addr, exc)
        try:
            util.write_nonblock(client, error_response(page.status()))
        except Exception:
            self.log.debug("Failed to send error message.")
