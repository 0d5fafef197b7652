"""``bff serve``: the whole thing on a laptop, one command.

With no ``COGNITO_USER_POOL_ID`` in the environment (or ``.env``) it starts the local
Cognito in this process (moto + the project's fidelity layer, on 127.0.0.1:9229, or a free
port when 9229 is taken, which it says), keeping its pool in ``local-cognito/`` in the
instance folder so that a restart finds the same users (``--reset``: a new pool), and
points the BFF at it, in local mode (plain-http cookies, a secret key kept in the instance
folder). Next to it runs the local OIDC identity provider, LocalIdP (127.0.0.1:9230, or a
free port; ``--idp-port``), which the pool federates with; the BFF's own URLs are added to
the app client's callback and sign-out URLs, and the client has a secret, as a BFF's
should, so managed login (``/api/oauth/sign-in``) works on the laptop too. With
``COGNITO_USER_POOL_ID`` and ``COGNITO_CLIENT_ID`` set, it serves against that pool (real
Cognito, or whatever ``COGNITO_ENDPOINT_URL`` names) with the environment's settings, which
must then pass the production checks.

It runs werkzeug's threaded server: fine for a laptop and for the SPA's development, not
a production server (there: ``gunicorn -c python:bff.gunicorn_conf 'bff:create_app()'``,
see the README's deployment section). While it runs, its
URLs are in the instance folder for ``bff outbox`` and ``bff qa run`` (bff_tools.discovery).
"""

from __future__ import annotations

import io
import ipaddress
import os
import signal
import socket
import time
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import click
from dotenv import dotenv_values
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bff.extras import install_command
from bff.server_errors import server_error_body, status_phrase
from bff_tools import discovery

LOOPBACK_NAMES = ("localhost",)
#: Seconds a client has to send its request line and headers, and again for its body.
DEFAULT_READ_TIMEOUT = 10.0
#: Seconds the server goes on reading a body the app did not read (a 413 answered before
#: it) so that the client sees the answer, not a reset; then it closes the connection.
DRAIN_SECONDS = 0.5
#: Where the handler puts the connection's ``ReadDeadline`` in the WSGI environ.
DEADLINE_KEY = "bff.read_deadline"


class ReadDeadline:
    """The moment the part of the request being read must have arrived by."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def restart(self, seconds: float | None = None) -> None:
        self.at = time.monotonic() + (self.seconds if seconds is None else seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()


class _DeadlineReader(socket.SocketIO):
    """The connection's raw reader: each read waits at most until the deadline, so a client
    that sends a byte now and then cannot stretch its request for ever (a timeout per read
    would restart with every byte)."""

    def __init__(self, sock: socket.socket, deadline: ReadDeadline, idle: float | None) -> None:
        super().__init__(sock, "rb")
        self._deadline_sock = sock
        self._deadline = deadline
        self._idle = idle

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline.remaining()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._deadline_sock.settimeout(left)
        try:
            return super().readinto(buffer)
        finally:
            self._deadline_sock.settimeout(self._idle)  # writes keep the usual timeout


class BffRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler with read deadlines and the API's error shape.

    * ``timeout``: how long the client has to send its request line and headers, counted
      from the connection, and then again its body, counted from the end of the headers
      (a deadline, not a timeout per read: a client trickling a byte every few seconds is
      cut off too). werkzeug sets none, so a client that sends a partial request line,
      headers or body held a thread and a connection for ever. Past the deadline a partial
      request line or headers closes the connection, a partial body answers 408
      ``request_timeout`` (``bff.body``); a connection that sends nothing is closed too.
    * After the answer, a body the app did not read (a 413 answered at once) is drained for
      ``DRAIN_SECONDS`` at most, then the connection closes (werkzeug's own drain waited
      for the client as long as the read timeout).
    * No access log line of its own (``log_request``): the app's one line per request says
      more and never carries a query string.
    * ``send_error``: the errors ``http.server`` answers before the app runs (431 header
      fields too large, 414 URI too long, 400 bad request line, 505) are written in the one
      error shape ``{"error": {code, message, details}}`` instead of its HTML page, with
      the code and fixed message of bff.server_errors (those gunicorn's worker answers too);
      ``http.server``'s own message, which may quote the request, goes to the log only.
    """

    timeout: ClassVar[float | None] = DEFAULT_READ_TIMEOUT
    deadline: ReadDeadline

    def setup(self) -> None:
        super().setup()
        self.deadline = ReadDeadline(self.timeout or DEFAULT_READ_TIMEOUT)
        self.rfile.close()  # socketserver's reader, replaced before anything was read
        raw = _DeadlineReader(self.connection, self.deadline, self.timeout)
        self.rfile = io.BufferedReader(raw)

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers, within the first deadline
        self.deadline.restart()  # the body has its own
        return parsed

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[DEADLINE_KEY] = self.deadline
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access line of werkzeug's: the app logs every request itself (``bff.request``:
        route template, status, duration, request id), as it does under gunicorn."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        phrase = status_phrase(code)
        self.log_error("code %d, message %s", code, message or phrase)
        body = server_error_body(code)
        self.send_response(code, phrase)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True


class _DrainBounded:
    """The app, with the drain after its answer bounded to ``DRAIN_SECONDS``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Any) -> Iterator[bytes]:
        answer: Iterable[bytes] = self.app(environ, start_response)
        try:
            yield from answer
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
            deadline = environ.get(DEADLINE_KEY)
            if isinstance(deadline, ReadDeadline):
                deadline.restart(min(DRAIN_SECONDS, deadline.remaining()))


def make_bff_server(
    host: str, port: int, app: Flask, *, read_timeout: float = DEFAULT_READ_TIMEOUT
) -> BaseWSGIServer:
    """werkzeug's threaded server for ``app`` with ``BffRequestHandler`` and ``read_timeout``."""
    handler = type("Handler", (BffRequestHandler,), {"timeout": read_timeout})
    return make_server(host, port, _DrainBounded(app), threaded=True, request_handler=handler)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _environment() -> dict[str, Any]:
    env: dict[str, Any] = dict(dotenv_values(".env")) if os.path.isfile(".env") else {}
    env.update(os.environ)
    return env


def local_cognito_state_dir() -> str:
    """Where ``bff serve`` keeps its local Cognito's pool: ``local-cognito/`` in the BFF's
    instance folder (``BFF_INSTANCE_PATH``, else Flask's default for the package)."""
    from bff.config import default_instance_path
    from local_cognito.state import INSTANCE_STATE_FOLDER

    instance = os.environ.get("BFF_INSTANCE_PATH") or default_instance_path()
    return os.path.join(instance, INSTANCE_STATE_FOLDER)


def _start_notes_api(env: dict[str, Any], info: Any) -> Any:
    """The example notes API for ``/api/remote/notes/`` (bff_tools.notes_api), unless the
    environment declares its own remote APIs or the example is not installed."""
    from bff_tools import notes_api

    if env.get("BFF_REMOTE_APIS") or env.get("BFF_REMOTE_APIS_FILE") or not notes_api.available():
        return None
    try:
        return notes_api.start(f"{info.endpoint_url}/{info.user_pool_id}", info.client_id)
    except notes_api.NotesApiError as exc:
        click.echo(f"(no notes API: {exc})", err=True)
        return None


def _managed_login(local: Any, base: str) -> str:
    """Where managed login starts, or why it is off: the BFF signs in there only as a
    confidential client, and a pool kept from before ``bff serve`` gave its client a secret
    has none until ``--reset``."""
    if not local.info.client_secret:
        return "off (the saved pool's app client has no secret: bff serve --reset)"
    return f"{base}/api/oauth/sign-in  (the hosted page; ?provider=LocalIdP)"


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop the server cleanly (a shell may have left SIGINT
    ignored for a background job, which would make Ctrl-C via ``kill -INT`` a no-op)."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option(
    "--cognito-port",
    type=click.IntRange(0, 65535),
    default=9229,
    show_default=True,
    help="Port of the in-process local Cognito (a free one when it is taken; 0: always free).",
)
@click.option(
    "--idp-port",
    type=click.IntRange(0, 65535),
    default=9230,
    show_default=True,
    help="Port of the local OIDC identity provider, LocalIdP, started with the local Cognito "
    "(a free one when it is taken; 0: always free).",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_READ_TIMEOUT,
    show_default=True,
    help="Seconds a client has to send its headers, and again its body (then cut off).",
)
@click.option(
    "--reset",
    is_flag=True,
    help="Start the local Cognito with an empty pool (new ids) instead of the saved one.",
)
def serve_command(
    port: int, host: str, cognito_port: int, idp_port: int, read_timeout: float, reset: bool
) -> None:
    """Run the BFF (and, without COGNITO_USER_POOL_ID, a local Cognito) until Ctrl-C."""
    if not _is_loopback(host):
        raise click.BadParameter(
            f"{host} is not a loopback address; bff serve is for this machine only "
            "(deploy behind a real WSGI server instead)",
            param_hint="--host",
        )
    from bff.app import create_app
    from bff.config import ConfigError

    local = None
    notes = None
    overrides: dict[str, Any] = {}
    try:
        env = _environment()
        if not env.get("COGNITO_USER_POOL_ID"):
            try:
                from local_cognito import LocalCognito
            except ImportError as exc:
                raise click.ClickException(
                    "COGNITO_USER_POOL_ID is not set and the local Cognito is not installed: "
                    f"install it with {install_command('local')}, or point the BFF at a pool."
                ) from exc

            from local_cognito.state import StateError

            local = LocalCognito(
                port=cognito_port,
                fallback_to_free_port=True,
                identity_provider=True,
                identity_provider_port=idp_port,
                # A confidential client, as a BFF is (RFC 10017): managed login needs it.
                with_client_secret=True,
                state_dir=local_cognito_state_dir(),
                reset=reset,
            )
            try:
                info = local.start()
            except StateError as exc:
                raise click.ClickException(f"{exc} (bff serve --reset)") from exc
            overrides = info.as_environment()
            notes = _start_notes_api(env, info)
            if notes is not None:
                overrides["BFF_REMOTE_APIS"] = notes.remote_apis()
            if not env.get("BFF_ADMIN_API_KEY"):
                # Local mode only: the admin routes on, with a key `bff qa run` can read.
                overrides["BFF_ADMIN_API_KEY"] = discovery.create_local_admin_key()
        try:
            app = create_app(overrides)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            server = make_bff_server(host, port, app, read_timeout=read_timeout)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        base = f"http://{host}:{server.server_port}"
        if local is not None:
            # Managed login sends the browser back to this BFF: its URLs, on whatever port
            # it got, are the client's callback and sign-out URLs (compared exactly).
            bases = {base, f"http://localhost:{server.server_port}"}
            local.allow_oauth_urls(
                [f"{b}/api/oauth/callback" for b in sorted(bases)], [f"{b}/" for b in sorted(bases)]
            )
        managed_login = _managed_login(local, base) if local is not None else None
        click.echo(f"BFF            {base}/api")
        served = app.extensions["bff"]["settings"]  # BFF_API_DOCS_ENABLED, BFF_DEMO_ENABLED...
        if served.api_docs_enabled:
            click.echo(f"API page       {base}/docs   (OpenAPI: {base}/api/openapi.json)")
        else:
            click.echo(f"OpenAPI        {base}/api/openapi.json")
        if served.demo_enabled:
            click.echo(f"Demo page      {base}/")
        elif served.spa_dir:
            click.echo(f"SPA            {base}/   (from {served.spa_dir})")
        if local is not None:
            taken = f"   (port {cognito_port} was taken)" if local.fell_back else ""
            click.echo(f"local Cognito  {local.info.endpoint_url}{taken}")
            click.echo(f"  user pool    {local.info.user_pool_id}  client {local.info.client_id}")
            endpoint = local.info.endpoint_url
            click.echo(f"  outbox       {endpoint}/_local/outbox  (bff outbox)")
            click.echo(
                f"  OIDC         {endpoint}/{local.info.user_pool_id}"
                "/.well-known/openid-configuration  (managed login, /oauth2/*)"
            )
            click.echo(f"  managed login {managed_login}")
            kept = "restored from" if local.restored else "new, kept in"
            click.echo(f"  state        {kept} {local_cognito_state_dir()}  (--reset: a new pool)")
            if local.identity_provider is not None:
                idp = local.identity_provider
                users = ", ".join(sorted(u.email for u in idp.users.values()))
                click.echo(f"local IdP      {idp.issuer}  (LocalIdP; test users: {users})")
            if notes is not None:
                click.echo(
                    f"notes API      {notes.url}  (through the BFF: {base}/api/remote/notes/notes)"
                )
            if "BFF_ADMIN_API_KEY" in overrides:
                click.echo(
                    f"admin key      {discovery.LOCAL_ADMIN_KEY_PATH_HINT}  (bff qa run reads it)"
                )
        else:
            cognito = app.extensions["bff"]["settings"].cognito
            where = cognito.endpoint_url or f"AWS {cognito.region}"
            click.echo(f"Cognito        pool {cognito.user_pool_id} ({where})")
        # Written before "Ctrl-C to stop.": whoever waits for that line can use the tools.
        state = discovery.ServeState(
            bff_url=base,
            cognito_endpoint=local.info.endpoint_url if local is not None else None,
            pid=os.getpid(),
        )
        try:
            discovery.write_state(state)
        except OSError as exc:
            click.echo(f"(the other tools will not find this server: {exc.strerror})", err=True)
        click.echo("Ctrl-C to stop.")
        _stop_on_signals()
        try:
            server.serve_forever()  # returns on Ctrl-C: werkzeug swallows KeyboardInterrupt
        finally:
            discovery.remove_state(os.getpid())
            click.echo("stopped")
            server.server_close()
            store = app.extensions["bff"]["store"]
            store.close()
    finally:
        if notes is not None:
            notes.stop()
        if local is not None:
            local.stop()
