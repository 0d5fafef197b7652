"""The three parts stay apart: the runtime imports no emulator and no tool, the commands
load lazily, and the README's command table names every option the commands have."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from bff_tools.cli import COMMANDS, SUMMARIES, cli

ROOT = Path(__file__).resolve().parent.parent

RUNTIME_PURITY = """
import sys
import bff.app, bff
app = bff.create_app.__module__
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(" ".join(loaded))
"""


def _top_level_modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_runtime_imports_no_emulator_no_moto_and_no_tool() -> None:
    loaded = _top_level_modules_after(RUNTIME_PURITY)
    assert "bff" in loaded
    assert not loaded & {"moto", "local_cognito", "bff_tools", "pytest"}, loaded


def test_the_bff_command_group_imports_no_command_until_it_runs() -> None:
    loaded = _top_level_modules_after(
        "import sys\nfrom bff_tools.cli import cli\n"
        "ours = ('bff', 'local_cognito', 'moto')\n"
        "print(' '.join(sorted({n for n in sys.modules if n.startswith(ours)})))"
    )
    assert loaded <= {"bff_tools", "bff_tools.cli"}, loaded


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_resolves_to_a_click_command(name: str) -> None:
    module_name, attribute = COMMANDS[name].split(":")
    command = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(command, click.Command)
    assert command.name == name.split()[0]
    assert SUMMARIES[name]


def test_bff_help_lists_every_command() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("bff")), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in COMMANDS:
        assert name in result.stdout
    assert set(SUMMARIES) == set(COMMANDS)


def _options(command: click.Command) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(opt for opt in param.opts if opt.startswith("--") and opt != "--help")
    return names


def _commands_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Commands", 1)[1].split("\n## ", 1)[0]


def test_the_readme_command_table_names_every_option() -> None:
    section = _commands_section()
    ctx = click.Context(cli)
    missing: list[str] = []
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        commands = [command]
        if isinstance(command, click.Group):
            commands = [command.commands[sub] for sub in command.commands]
        for each in commands:
            for option in _options(each):
                if not re.search(rf"`{re.escape(option)}\b", section):
                    missing.append(f"{name}: {option}")
        assert f"`bff {name}" in section, name
    assert not missing, missing
