"""``bff serve``: the whole thing on a laptop, one command.

With no ``COGNITO_USER_POOL_ID`` in the environment (or ``.env``) it starts the local
Cognito in this process (moto + the project's fidelity layer, on a free loopback port) and
points the BFF at it, in local mode (plain-http cookies, a secret key kept in the instance
folder). With ``COGNITO_USER_POOL_ID`` and ``COGNITO_CLIENT_ID`` set, it serves against
that pool (real Cognito, or whatever ``COGNITO_ENDPOINT_URL`` names) with the environment's
settings, which must then pass the production checks.

It runs werkzeug's threaded server: fine for a laptop and for the SPA's development, not
a production server (use gunicorn with ``bff:create_app()`` there).
"""

from __future__ import annotations

import ipaddress
import os
import signal
from typing import Any

import click
from dotenv import dotenv_values

LOOPBACK_NAMES = ("localhost",)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _configured_pool() -> bool:
    env: dict[str, Any] = dict(dotenv_values(".env")) if os.path.isfile(".env") else {}
    env.update(os.environ)
    return bool(env.get("COGNITO_USER_POOL_ID"))


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
    default=0,
    show_default=True,
    help="Port of the in-process local Cognito (0: a free one).",
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
        if not _configured_pool():
            from bff.local_cognito import LocalCognito

            local = LocalCognito(port=cognito_port)
            info = local.start()
            overrides = info.as_environment()
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
            click.echo(f"local Cognito  {local.info.endpoint_url}")
            click.echo(f"  user pool    {local.info.user_pool_id}  client {local.info.client_id}")
            endpoint = local.info.endpoint_url
            click.echo(
                f"  outbox       {endpoint}/_local/outbox  (bff outbox --endpoint {endpoint})"
            )
        else:
            cognito = app.extensions["bff"]["settings"].cognito
            where = cognito.endpoint_url or f"AWS {cognito.region}"
            click.echo(f"Cognito        pool {cognito.user_pool_id} ({where})")
        click.echo("Ctrl-C to stop.")
        _stop_on_signals()
        try:
            server.serve_forever()  # returns on Ctrl-C: werkzeug swallows KeyboardInterrupt
        finally:
            click.echo("stopped")
            server.server_close()
            store = app.extensions["bff"]["store"]
            store.close()
    finally:
        if local is not None:
            local.stop()
