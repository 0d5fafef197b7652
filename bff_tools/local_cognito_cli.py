"""``bff local-cognito`` (serve a local Cognito) and ``bff outbox`` (read what it sent)."""

from __future__ import annotations

import json
import signal
import threading
from types import FrameType

import click

from bff.extras import install_command
from bff.local_outbox import KINDS, OutboxError, read_outbox
from bff_tools import discovery


@click.command("local-cognito")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=9229,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free port).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--with-client-secret", is_flag=True, help="Give the app client a secret.")
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help="Keep the pool (ids, users, devices, tokens, outbox) in this folder across restarts.",
)
@click.option("--reset", is_flag=True, help="With --state: throw the saved pool away first.")
@click.option(
    "--with-idp",
    is_flag=True,
    help="Also run LocalIdP, the local OIDC identity provider the pool federates with.",
)
@click.option(
    "--idp-port",
    type=click.IntRange(0, 65535),
    default=9230,
    show_default=True,
    help="With --with-idp: LocalIdP's port on 127.0.0.1 (0 picks a free port).",
)
def local_cognito_command(
    port: int,
    as_json: bool,
    with_client_secret: bool,
    state_dir: str | None,
    reset: bool,
    with_idp: bool,
    idp_port: int,
) -> None:
    """Serve a local Cognito user pool until interrupted (Ctrl-C)."""
    if reset and state_dir is None:
        raise click.BadParameter("--reset needs --state DIR", param_hint="--reset")
    try:
        from local_cognito import LocalCognito
        from local_cognito.state import StateError
    except ImportError as exc:
        raise click.ClickException(
            f"the local Cognito is not installed: {install_command('local')}"
        ) from exc

    stop = _stop_on_signals()
    server = LocalCognito(
        port=port,
        with_client_secret=with_client_secret,
        state_dir=state_dir,
        reset=reset,
        identity_provider=with_idp,
        identity_provider_port=idp_port,
    )
    try:
        info = server.start()
    except OSError as exc:
        ports = f"{port} or {idp_port}" if with_idp else str(port)
        raise click.ClickException(f"cannot listen on 127.0.0.1:{ports}: {exc.strerror}") from exc
    except StateError as exc:
        raise click.ClickException(str(exc)) from exc
    try:  # from here on, Ctrl-C or SIGTERM (even during the output) stops the server cleanly
        idp = server.identity_provider
        if as_json:
            extra = {"identity_provider": idp.issuer} if idp is not None else {}
            click.echo(json.dumps(info.as_dict() | extra))
        else:
            click.echo(f"endpoint_url  {info.endpoint_url}")
            click.echo(f"region        {info.region}")
            click.echo(f"user_pool_id  {info.user_pool_id}")
            click.echo(f"client_id     {info.client_id}")
            if info.client_secret:
                click.echo(f"client_secret {info.client_secret}")
            if idp is not None:
                click.echo(f"LocalIdP      {idp.issuer}")
            if state_dir is not None:
                how = "restored from" if server.restored else "new, kept in"
                click.echo(f"state         {how} {state_dir}")
            click.echo("Serving the local Cognito; Ctrl-C to stop.")
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM. Installed explicitly: a shell starting a command
    in the background (``&`` in a script, ``nohup``) leaves SIGINT ignored, and Python then
    never turns Ctrl-C into KeyboardInterrupt; a service manager stops with SIGTERM."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


@click.command("outbox")
@click.option(
    "--endpoint",
    default=None,
    help="Local Cognito URL [env COGNITO_ENDPOINT_URL, else the running `bff serve`'s, "
    f"else {discovery.DEFAULT_COGNITO_ENDPOINT}].",
)
@click.option("--to", default=None, help="Only messages to this email address.")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON list.")
def outbox_command(endpoint: str | None, to: str | None, kind: str | None, as_json: bool) -> None:
    """Show the messages the local Cognito would have sent (oldest first)."""
    endpoint = discovery.cognito_endpoint(endpoint)
    try:
        messages = read_outbox(endpoint, to=to, kind=kind)
    except (OutboxError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(messages, indent=2))
        return
    if not messages:
        click.echo("(no messages)")
    for message in messages:
        secret = message.get("code") or message.get("temporary_password")
        status = message.get("status", "")  # valid, expired, used, replaced
        click.echo(
            f"{message['sent_at']}  {message['kind']:<19} {message['to']:<32} {secret}  {status}"
        )
