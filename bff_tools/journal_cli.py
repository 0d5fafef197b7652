"""``bff journal FLOW_ID``: one flow's journal, read from the BFF's store.

Its own module, outside ``bff_tools.qa``: it needs only the runtime (the store), so a
production install (``.[prod]``, no YAML, no local Cognito) runs it where its flows are.
"""

from __future__ import annotations

import json

import click


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
