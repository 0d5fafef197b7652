"""``bff qa run FILE`` (play a journey against a BFF) and ``bff journal FLOW_ID``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bff_tools import discovery

from .journey import JourneyError, load_journey
from .runner import JourneyFailed, JourneyRunner


@click.group("qa")
def qa_group() -> None:
    """QA tools: scripted journeys against a running BFF."""


@qa_group.command("run")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--base-url",
    default=None,
    help="The BFF to test [env BFF_URL, else the running `bff serve`'s, "
    f"else {discovery.DEFAULT_BFF_URL}].",
)
@click.option(
    "--cognito-endpoint",
    default=None,
    help="The local Cognito, for codes from its outbox "
    "[env COGNITO_ENDPOINT_URL, else the running `bff serve`'s, "
    f"else {discovery.DEFAULT_COGNITO_ENDPOINT}].",
)
def run_command(
    files: tuple[Path, ...], base_url: str | None, cognito_endpoint: str | None
) -> None:
    """Run journey scripts (YAML) against a running BFF; exit 1 at the first failing step."""
    endpoint = discovery.cognito_endpoint(cognito_endpoint)
    base_url = discovery.bff_url(base_url)
    journeys = []
    for path in files:
        try:
            journeys.append(load_journey(path))
        except JourneyError as exc:
            raise click.ClickException(str(exc)) from exc
    for journey in journeys:
        runner = JourneyRunner(
            journey, base_url=base_url, cognito_endpoint=endpoint, echo=click.echo
        )
        try:
            runner.run()
        except JourneyFailed as exc:
            raise click.ClickException(f"{journey.source}: {exc}") from exc
        except JourneyError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo("")


@click.command("journal")
@click.argument("flow_id")
@click.option("--json", "as_json", is_flag=True, help="Print the journal as JSON (for bff replay).")
def journal_command(flow_id: str, as_json: bool) -> None:
    """Print one flow's journal from the BFF's store (BFF_STORE_URL), as a table or JSON."""
    from bff.config import ConfigError, load_settings
    from bff.store import StoreError, store_from_settings
    from bff.store.base import redact_url

    try:
        settings = load_settings()
        store = store_from_settings(settings)
    except (ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        flow = store.flows.load(flow_id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    if flow is None:
        raise click.ClickException(
            f"no flow {flow_id!r} in the store at {redact_url(settings.store_url)} "
            "(unknown, or expired)"
        )
    if as_json:
        click.echo(json.dumps([entry.to_dict() for entry in flow.journal], indent=2))
        return
    click.echo(f"flow {flow.id}  user {flow.username or '-'}  state {flow.state}")
    rows: list[tuple[str, ...]] = [("seq", "at", "trigger", "from", "to", "action", "challenge")]
    for entry in flow.journal:
        data = entry.to_dict()
        rows.append(
            tuple(
                str(data[k] if data[k] is not None else "-")
                for k in ("seq", "at", "trigger", "from", "to", "action", "challenge")
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if not flow.journal:
        click.echo("(no transitions yet)")
