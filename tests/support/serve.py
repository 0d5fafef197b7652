"""`bff serve` on free ports as a subprocess for the tests that need a real server (QA journeys,
the demo page in a browser): started, its printed URLs read, stopped with SIGTERM."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

BFF = Path(sys.executable).with_name("bff")
#: How long `bff serve` may take to print its last URL: a bound for a hung start, not a
#: timing assertion (a loaded machine starts the local Cognito, the IdP and the notes API
#: slowly, and a URL missed by stopping early is a KeyError in the test).
START_SECONDS = 120


def serve_environment(workdir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without Cognito or BFF settings, the instance folder in
    ``workdir`` (so `bff serve` never writes into the repository's instance/), and
    ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "BFF_"))}
    env.update(BFF_INSTANCE_PATH=str(workdir / "instance"), PYTHONUNBUFFERED="1", **extra)
    return env


@contextmanager
def bff_serve(
    workdir: Path, env: Mapping[str, str] | None = None, cognito_port: int | None = 0
) -> Iterator[dict[str, str]]:
    """Yield what `bff serve` printed, label → URL: "BFF" (…/api), "Demo page", "API page",
    "local Cognito", "local IdP", "OIDC". ``env`` defaults to ``serve_environment(workdir)``;
    the instance folder is always a temporary one (``workdir/instance`` unless ``env`` names
    another). The local Cognito takes a free port unless ``cognito_port`` says otherwise
    (None: serve's default, 9229 or a free port when taken); the local identity provider
    always a free one. Fails with the server's log when it did not come up in
    ``START_SECONDS``."""
    env = dict(serve_environment(workdir) if env is None else env)
    env.setdefault("BFF_INSTANCE_PATH", str(workdir / "instance"))
    command = [str(BFF), "serve", "--port", "0"]
    if cognito_port is not None:
        command += ["--cognito-port", str(cognito_port)]
    command += ["--idp-port", "0"]  # the local identity provider on a free port too
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,  # werkzeug's request log: a file, so a full pipe never blocks the server
        text=True,
        cwd=workdir,
        env=env,
    )
    try:
        urls = _printed_urls(process, workdir / "serve.log")
        yield urls
    finally:
        process.terminate()  # bff serve stops cleanly on SIGTERM
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def _printed_urls(process: subprocess.Popen[str], log: Path) -> dict[str, str]:
    """The label → URL lines `bff serve` prints up to its "Ctrl-C" line, read on a thread so
    a server that hangs before printing it fails after ``START_SECONDS`` with its log."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.put(line)
        except (OSError, ValueError):
            pass  # the pipe was closed when the server stopped
        lines.put(None)  # the output ended: the server exited

    threading.Thread(target=read, daemon=True).start()
    urls: dict[str, str] = {}
    while True:
        try:
            line = lines.get(timeout=START_SECONDS)
        except queue.Empty:
            hung = f"bff serve did not start in {START_SECONDS} s"
            raise AssertionError(f"{hung}:\n{log.read_text()}") from None
        if line is None:
            raise AssertionError(f"bff serve exited while starting:\n{log.read_text()}")
        label, _, rest = line.partition("http://")
        if rest:
            urls[label.strip()] = "http://" + rest.split()[0]
        if line.startswith("Ctrl-C"):
            return urls
