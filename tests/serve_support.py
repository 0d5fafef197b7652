"""`bff serve --port 0` as a subprocess for the tests that need a real server (QA journeys,
the demo page in a browser): started, its printed URLs read, stopped with SIGTERM."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

BFF = Path(sys.executable).with_name("bff")


@contextmanager
def bff_serve(workdir: Path, env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """Yield what `bff serve` printed, label → URL: "BFF" (…/api), "Demo page", "API page",
    "local Cognito". Fails with the server's log when it did not come up in 30 s."""
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen(
        [str(BFF), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,  # werkzeug's request log: a file, so a full pipe never blocks the server
        text=True,
        cwd=workdir,
        env=dict(env),
    )
    try:
        urls: dict[str, str] = {}
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        for line in process.stdout:
            label, _, rest = line.partition("http://")
            if rest:
                urls[label.strip()] = "http://" + rest.split()[0]
            if line.startswith("Ctrl-C") or time.monotonic() > deadline:
                break
        assert "BFF" in urls, (workdir / "serve.log").read_text()
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
