"""``bff serve``: the whole thing on a laptop, one command.

With no ``COGNITO_USER_POOL_ID`` in the environment (or ``.env``) it starts the local
Cognito in this process (moto + the project's fidelity layer, on 127.0.0.1:9229, or a free
port when 9229 is taken, which it says) and
points the BFF at it, in local mode (plain-http cookies, a secret key kept in the instance
folder). With ``COGNITO_USER_POOL_ID`` and ``COGNITO_CLIENT_ID`` set, it serves against
that pool (real Cognito, or whatever ``COGNITO_ENDPOINT_URL`` names) with the environment's
settings, which must then pass the production checks.

It runs werkzeug's threaded server: fine for a laptop and for the SPA's development, not
a production server (use gunicorn with ``bff:create_app()`` there). While it runs, its
URLs are in the instance folder for ``bff outbox`` and ``bff qa run`` (bff_tools.discovery).
"""

from __future__ import annotations

import ipaddress
import os
import signal
from typing import Any

import click
from dotenv import dotenv_values

from bff_tools import discovery

LOOPBACK_NAMES = ("localhost",)


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
def serve_command(port: int, host: str, cognito_port: int) -> None:
    """Run the BFF (and, without COGNITO_USER_POOL_ID, a local Cognito) until Ctrl-C."""
    if not _is_loopback(host):
        raise click.BadParameter(
            f"{host} is not a loopback address; bff serve is for this machine only "
            "(deploy behind a real WSGI server instead)",
            param_hint="--host",
        )
    from werkzeug.serving import make_server

    from bff.app import create_app
    from bff.config import ConfigError

    local = None
    overrides: dict[str, Any] = {}
    try:
        env = _environment()
        if not env.get("COGNITO_USER_POOL_ID"):
            try:
                from local_cognito import LocalCognito
            except ImportError as exc:
                raise click.ClickException(
                    "COGNITO_USER_POOL_ID is not set and the local Cognito is not installed: "
                    "install it with pip install -e '.[local]', or point the BFF at a pool."
                ) from exc

            local = LocalCognito(port=cognito_port, fallback_to_free_port=True)
            info = local.start()
            overrides = info.as_environment()
            if not env.get("BFF_ADMIN_API_KEY"):
                # Local mode only: the admin routes on, with a key `bff qa run` can read.
                overrides["BFF_ADMIN_API_KEY"] = discovery.local_admin_key(create=True)
        try:
            app = create_app(overrides)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        try:
            server = make_server(host, port, app, threaded=True)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        base = f"http://{host}:{server.server_port}"
        click.echo(f"BFF            {base}/api")
        click.echo(f"API page       {base}/docs   (OpenAPI: {base}/api/openapi.json)")
        click.echo(f"Demo page      {base}/")
        if local is not None:
            taken = f"   (port {cognito_port} was taken)" if local.fell_back else ""
            click.echo(f"local Cognito  {local.info.endpoint_url}{taken}")
            click.echo(f"  user pool    {local.info.user_pool_id}  client {local.info.client_id}")
            endpoint = local.info.endpoint_url
            click.echo(f"  outbox       {endpoint}/_local/outbox  (bff outbox)")
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
        if local is not None:
            local.stop()
