"""The shipped tools behave as the README says outside the happy path of a checkout:
`bff journal` needs no YAML, `bff docs --check` outside a checkout says so instead of
calling a doc stale, a missing extra is named with the pip command that fits the install,
and `bff local-cognito` stops on SIGINT and SIGTERM even when started with SIGINT ignored.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bff import extras
from bff_tools import docs_typescript, docsgen
from bff_tools.cli import cli
from tests.support.programs import require_typescript_generator

BFF = Path(sys.executable).with_name("bff")

# A production install: the runtime and gunicorn, no YAML, no moto, no local Cognito.
WITHOUT_LOCAL_EXTRA = """
import sys
for name in ("yaml", "moto", "local_cognito"):
    sys.modules[name] = None  # import fails as if not installed
from bff_tools.cli import cli
cli(sys.argv[1:])
"""


def run_without_local_extra(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_LOCAL_EXTRA, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_journal_runs_without_the_local_extra(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "BFF_INSTANCE_PATH": str(tmp_path),
        "BFF_STORE_URL": f"sqlite:///{tmp_path}/bff.sqlite3",
    }
    result = run_without_local_extra("journal", "no-such-flow", env=env)

    assert result.returncode == 1
    assert "no flow 'no-such-flow' in the store at sqlite:///" in result.stderr
    assert "yaml" not in result.stderr.lower()
    assert "not installed" not in result.stderr


def test_qa_without_the_local_extra_names_the_install_command(tmp_path: Path) -> None:
    result = run_without_local_extra(
        "qa", "run", "x.yaml", env={"PATH": "/usr/bin:/bin", "BFF_INSTANCE_PATH": str(tmp_path)}
    )
    assert result.returncode == 1
    assert "`bff qa` needs yaml, which is not installed: pip install -e '.[local]'" in (
        result.stderr
    )


def test_install_command_fits_a_checkout_or_an_installed_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert extras.checkout_root() == Path(__file__).resolve().parents[2]
    assert extras.install_command("local") == "pip install -e '.[local]'"

    monkeypatch.setattr(extras, "checkout_root", lambda: None)  # e.g. site-packages
    assert extras.install_command("local") == "pip install 'cognito-bff[local]'"
    assert extras.install_command("prod") == "pip install 'cognito-bff[prod]'"


def test_a_missing_extra_in_an_installed_package_names_the_distribution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(extras, "checkout_root", lambda: None)
    monkeypatch.setitem(sys.modules, "local_cognito", None)

    result = CliRunner().invoke(cli, ["local-cognito", "--port", "0"])

    assert result.exit_code == 1
    assert "the local Cognito is not installed: pip install 'cognito-bff[local]'" in result.output


def test_docs_check_outside_a_checkout_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "site-packages"  # where an installed bff_tools' parent is
    installed.mkdir()
    monkeypatch.setattr(docsgen, "ROOT", installed)

    for args in (["docs", "--check"], ["docs"], ["diagram", "--check"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert f"{installed} is not a checkout of the project" in result.output
        assert "stale" not in result.output
    assert not (installed / "docs").exists()  # nothing written either

    with pytest.raises(docsgen.DocsError, match="not a checkout"):
        docsgen.stale_docs(installed)


def test_docs_check_in_the_checkout_is_fresh() -> None:
    require_typescript_generator()
    assert docsgen.stale_docs() == []


def test_docs_check_says_when_node_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_typescript.shutil, "which", lambda name: None)

    for args in (["docs", "--check"], ["docs"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "Node.js is not installed" in result.output
        assert "npm ci --prefix clients/typescript" in result.output
        assert "stale" not in result.output
        assert "Traceback" not in result.output


def test_docs_check_says_when_the_client_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert docs_typescript.generator_missing(tmp_path) == (
        "openapi-typescript is not installed in clients/typescript: run "
        "`npm ci --prefix clients/typescript` (it generates clients/typescript/src/openapi.ts "
        "for `bff docs`)"
    )


def _ignore_sigint() -> None:
    # What `cmd &` in a non-interactive shell, or nohup's parent, does before exec.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_local_cognito_stops_on_signals_even_with_sigint_ignored(
    tmp_path: Path, signum: signal.Signals
) -> None:
    process = subprocess.Popen(
        [str(BFF), "local-cognito", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        preexec_fn=_ignore_sigint,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # blocks until the server says it serves
            lines.append(line)
            if line.startswith("Serving the local Cognito"):
                break
        assert lines and lines[-1].startswith("Serving"), lines
        process.send_signal(signum)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_scenario_password_prompt_refuses_a_weak_one_before_asking_it_again() -> None:
    import click

    from bff_tools.scenario import ask_password, password_problems

    assert password_problems("weakpass1") == ["an upper-case letter", "a symbol"]
    assert password_problems("Str0ng-password") == []

    @click.command()
    def prompt() -> None:
        click.echo("chosen " + ask_password())

    typed = "weakpass1\nStr0ng-password\nStr0ng-pasword\nStr0ng-password\nStr0ng-password\n"
    result = CliRunner().invoke(prompt, input=typed)

    assert result.exit_code == 0, result.output
    assert result.output.count("Repeat for confirmation") == 2  # never for the weak one
    assert "this password needs an upper-case letter, a symbol" in result.output
    assert "The two entered values do not match." in result.output
    assert result.output.rstrip().endswith("chosen Str0ng-password")
