"""The ``bff`` command line: one click group whose commands load only when they run.

Each command lives in the module of its concern and is named here as ``module:attribute``,
so ``bff --help`` imports none of them, ``bff serve`` against real Cognito never imports
the local Cognito (moto), and a runtime-only install still runs every command whose
dependencies it has. Also reachable as ``flask --app bff bff ...`` (the ``flask.commands``
entry point in pyproject.toml).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

#: command name -> "module:attribute", in the order ``bff --help`` lists them.
COMMANDS: dict[str, str] = {
    "serve": "bff_tools.serve:serve_command",
    "local-cognito": "bff_tools.local_cognito_cli:local_cognito_command",
    "outbox": "bff_tools.local_cognito_cli:outbox_command",
    "scenario": "bff_tools.scenario:scenario_command",
    "qa": "bff_tools.qa.cli:qa_group",
    "journal": "bff_tools.journal_cli:journal_command",
    "replay": "bff_tools.lifecycle_cli:replay_command",
    "diagram": "bff_tools.lifecycle_cli:diagram_command",
    "docs": "bff_tools.lifecycle_cli:docs_command",
}

#: One line per command for ``bff --help``, which must not import the commands.
SUMMARIES: dict[str, str] = {
    "serve": "Run the BFF (and, without COGNITO_USER_POOL_ID, a local Cognito).",
    "local-cognito": "Serve a local Cognito user pool until interrupted.",
    "outbox": "Show the messages the local Cognito would have sent.",
    "scenario": "Run the sign-up → TOTP MFA → remembered-device scenario.",
    "qa": "Scripted HTTP journeys against a running BFF.",
    "journal": "Print a flow's journal from the BFF's store.",
    "replay": "Replay a recorded journal on a fresh flow.",
    "diagram": "Regenerate the lifecycle diagrams in docs/.",
    "docs": "Regenerate every generated part of docs/.",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is invoked or
    asked for its own help (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            from bff.extras import EXTRA_OF_MODULE, install_command

            missing = exc.name or str(exc)
            extra = EXTRA_OF_MODULE.get(missing.split(".")[0], "local")
            raise click.ClickException(
                f"`bff {cmd_name}` needs {missing}, which is not installed: "
                f"{install_command(extra)}"
            ) from exc
        command: click.Command = getattr(module, attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(SUMMARIES.items()))


@click.group(
    cls=LazyGroup,
    help="Cognito BFF: run the BFF, the local Cognito, the scenario and QA tools.",
)
@click.version_option(package_name="cognito-bff")
def cli(**_: Any) -> None:
    pass
