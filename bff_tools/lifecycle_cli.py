"""CLI commands on the lifecycle: regenerate docs, draw the diagram, replay a journal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from statemachine import JournalError, journal_from_json
from statemachine.replay import format_report, replay

from . import docsgen


def _regenerate(check: bool, only: str | None) -> None:
    if check:
        try:
            stale = docsgen.stale_docs(only=only)
        except docsgen.DocsError as exc:
            raise click.ClickException(str(exc)) from exc
        for path in stale:
            click.echo(f"stale: {path.relative_to(docsgen.ROOT)} (run `bff docs`)", err=True)
        if stale:
            sys.exit(1)
        click.echo("generated docs are up to date")
        return
    try:
        changed = docsgen.write_docs(only=only)
    except docsgen.DocsError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in changed:
        click.echo(f"wrote {path.relative_to(docsgen.ROOT)}")
    if not changed:
        click.echo("generated docs were already up to date")


@click.command("docs")
@click.option("--check", is_flag=True, help="Fail (exit 1) when a generated doc is stale.")
def docs_command(check: bool) -> None:
    """Regenerate every generated part of docs/ (diagram, tables, action excerpts)."""
    _regenerate(check, None)


@click.command("diagram")
@click.option("--check", is_flag=True, help="Fail (exit 1) when docs/auth-lifecycle.md is stale.")
def diagram_command(check: bool) -> None:
    """Regenerate the Mermaid lifecycle diagram in docs/auth-lifecycle.md from the machine."""
    _regenerate(check, "docs/auth-lifecycle.md")


@click.command("replay")
@click.argument(
    "journal_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path, allow_dash=True),
)
@click.option("--initial", default=None, help="State to start from (default: first entry's).")
def replay_command(journal_file: Path, initial: str | None) -> None:
    """Replay a recorded journal (JSON) on a fresh flow; exit 1 at the first divergence."""
    try:
        text = sys.stdin.read() if str(journal_file) == "-" else journal_file.read_text("utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot read {journal_file}: {exc.strerror}") from exc
    try:
        journal = journal_from_json(text)
    except JournalError as exc:
        raise click.ClickException(f"{journal_file} is not a journal: {exc}") from exc
    if not journal:
        raise click.ClickException(f"{journal_file} holds an empty journal: nothing to replay")
    try:
        report = replay(journal, initial=initial)
    except JournalError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_report(report, total=len(journal)))
    if not report.ok:
        sys.exit(1)
