"""``bff qa run FILE``: play journey scripts (YAML) against a BFF."""

from __future__ import annotations

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
