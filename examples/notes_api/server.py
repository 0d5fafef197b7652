"""Running the notes API: a threaded werkzeug server, in a thread or as the process's main
loop (``python -m examples.notes_api``)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged): the API runs beside the
    BFF, whose own log says what it forwarded."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class NotesServer:
    """A started notes API; ``url`` is where it listens, ``stop()`` ends it."""

    server: BaseWSGIServer
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def bind(issuer: str, client_id: str, host: str = "127.0.0.1", port: int = 0) -> NotesServer:
    """Bind the notes API (``port`` 0 picks a free port) without serving yet."""
    app = create_app(issuer, client_id)
    # Bound here, then handed over: werkzeug exits the process when it cannot bind, where a
    # caller (a test, ``bff serve``) needs an OSError it can report.
    listener = socket.create_server((host, port))
    try:
        bound_port = listener.getsockname()[1]
        return NotesServer(
            make_server(
                host,
                bound_port,
                app,
                threaded=True,
                request_handler=_QuietHandler,
                fd=listener.fileno(),
            )
        )
    finally:
        listener.close()  # werkzeug serves on its own duplicate of the descriptor


def serve(issuer: str, client_id: str, host: str = "127.0.0.1", port: int = 0) -> NotesServer:
    """The notes API served from a daemon thread; it answers once this returns."""
    started = bind(issuer, client_id, host, port)
    started.thread = threading.Thread(
        target=started.server.serve_forever, name="notes-api", daemon=True
    )
    started.thread.start()
    return started
