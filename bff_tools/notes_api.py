"""``bff serve``'s example remote API: the notes API (examples/notes_api) in its own process.

In local mode, unless the environment declares its own remote APIs, ``bff serve`` starts the
example notes API next to the local Cognito (it verifies access tokens against that pool's
JWKS) and routes ``/api/remote/notes/`` to it, so the demo page's notes panel reads and
writes the signed-in user's notes through the BFF, as an SPA calls its team's API.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

#: How long the notes API may take to answer its health check after it printed its URL.
START_SECONDS = 15.0
PREFIX = "/api/remote/notes/"


class NotesApiError(RuntimeError):
    """The notes API could not be started; the message says why."""


@dataclass
class NotesApi:
    """A running notes API process; ``stop()`` ends it."""

    process: subprocess.Popen[str]
    url: str

    def remote_apis(self) -> str:
        """``BFF_REMOTE_APIS`` routing ``/api/remote/notes/`` to this process."""
        entry = {
            "name": "notes",
            "prefix": PREFIX,
            "upstream": self.url,
            "methods": ["GET", "POST", "DELETE"],
            "paths": ["/notes"],
        }
        return json.dumps([entry])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def available() -> bool:
    """Whether the example and its JWT library are installed (the ``local`` extra)."""
    return all(importlib.util.find_spec(name) is not None for name in ("examples", "jwt"))


def start(issuer: str, client_id: str, *, quiet: bool = False) -> NotesApi:
    """Start ``python -m examples.notes_api`` on a free loopback port; wait until it answers.
    ``quiet``: its request log (stderr) is dropped instead of shared with this process."""
    command = [sys.executable, "-m", "examples.notes_api", "--port", "0"]
    command += ["--issuer", issuer, "--client-id", client_id]
    errors = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()  # its first line: where it listens
    started = NotesApi(process, url)
    if not url.startswith("http://"):
        started.stop()
        raise NotesApiError(f"the notes API did not start (exit code {process.returncode})")
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return started
        except (urllib.error.URLError, OSError) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                started.stop()
                raise NotesApiError(f"the notes API at {url} does not answer: {exc}") from None
        time.sleep(0.05)  # a freshly bound server: its first answer is moments away
