"""The ``bff`` command line: one click group, each command in the module of its concern.

Also reachable as ``flask --app bff bff ...`` (create_app registers this group).
"""

from __future__ import annotations

import click


@click.group(help="Cognito BFF: run the BFF, the local Cognito, the scenario and QA tools.")
@click.version_option(package_name="cognito-bff")
def cli() -> None:
    pass


# Commands are registered below, one line each, by the module that owns them.
from .lifecycle_cli import diagram_command, docs_command, replay_command  # noqa: E402

cli.add_command(docs_command)
cli.add_command(diagram_command)
cli.add_command(replay_command)
from .scenario import scenario_command  # noqa: E402

cli.add_command(scenario_command)

from bff.local_cognito.cli import local_cognito_command, outbox_command  # noqa: E402

cli.add_command(local_cognito_command)
cli.add_command(outbox_command)

from bff.serve import serve_command  # noqa: E402

cli.add_command(serve_command)

from .qa.cli import journal_command, qa_group  # noqa: E402

cli.add_command(qa_group)
cli.add_command(journal_command)
