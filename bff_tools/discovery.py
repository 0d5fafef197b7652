"""Where a running ``bff serve`` is, so the other tools find it with no flags.

``bff serve`` writes ``bff-serve.json`` in the BFF's instance folder while it runs (its URL,
its local Cognito's endpoint, its process id) and removes it when it stops. ``bff outbox``
and ``bff qa run`` take, in this order: their own flag, the environment
(``COGNITO_ENDPOINT_URL``, ``BFF_URL``), that file when its process is alive, and last the
defaults (the local Cognito on 127.0.0.1:9229, the BFF on 127.0.0.1:5000).

In local mode with no ``BFF_ADMIN_API_KEY``, ``bff serve`` turns the admin routes on with a
key generated once in the same folder (``local-admin-key``, mode 0600); ``bff qa run`` uses
it for ``{{env:BFF_ADMIN_API_KEY}}`` when that variable is unset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_FILE = "bff-serve.json"
#: Where ``bff serve`` says its local admin key is (the file, never the key).
LOCAL_ADMIN_KEY_PATH_HINT = "local-admin-key in the instance folder"
DEFAULT_BFF_URL = "http://127.0.0.1:5000"
DEFAULT_COGNITO_ENDPOINT = "http://127.0.0.1:9229"


@dataclass(frozen=True)
class ServeState:
    """What a running ``bff serve`` tells the other tools."""

    bff_url: str
    cognito_endpoint: str | None
    pid: int


def _instance_path(environ: Mapping[str, str] | None = None) -> Path:
    from bff.config import default_instance_path

    environ = os.environ if environ is None else environ
    return Path(environ.get("BFF_INSTANCE_PATH") or default_instance_path())


def state_path() -> Path:
    return _instance_path() / STATE_FILE


def write_state(state: ServeState) -> Path:
    """Write the state file atomically (a reader never sees half of it)."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(partial, path)
    return path


def remove_state(pid: int) -> None:
    """Remove the state file if it is still this process's."""
    found = read_state(check_alive=False)
    if found is not None and found.pid == pid:
        state_path().unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(check_alive: bool = True) -> ServeState | None:
    """The running ``bff serve``'s state, or None (no file, unreadable, or a dead process)."""
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
        state = ServeState(
            bff_url=str(data["bff_url"]),
            cognito_endpoint=data.get("cognito_endpoint") or None,
            pid=int(data["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(state.pid):
        return None
    return state


def create_local_admin_key() -> str:
    """``bff serve``'s local admin key, created once in the instance folder."""
    from bff.config import LOCAL_ADMIN_KEY_FILE, local_secret

    return local_secret(str(_instance_path()), LOCAL_ADMIN_KEY_FILE)


def local_admin_key(environ: Mapping[str, str] | None = None) -> str | None:
    """``bff serve``'s local admin key if it has created one (in the instance folder
    ``environ``, default this process's environment, names)."""
    from bff.config import LOCAL_ADMIN_KEY_FILE

    try:
        return (_instance_path(environ) / LOCAL_ADMIN_KEY_FILE).read_text(
            encoding="ascii"
        ).strip() or None
    except OSError:
        return None


def cognito_endpoint(explicit: str | None = None) -> str:
    """The local Cognito the tools should read: flag, environment, running serve, default."""
    if explicit:
        return explicit
    if os.environ.get("COGNITO_ENDPOINT_URL"):
        return os.environ["COGNITO_ENDPOINT_URL"]
    state = read_state()
    if state is not None and state.cognito_endpoint:
        return state.cognito_endpoint
    return DEFAULT_COGNITO_ENDPOINT


def bff_url(explicit: str | None = None) -> str:
    """The BFF the tools should call: flag, environment, running serve, default."""
    if explicit:
        return explicit
    if os.environ.get("BFF_URL"):
        return os.environ["BFF_URL"]
    state = read_state()
    if state is not None:
        return state.bff_url
    return DEFAULT_BFF_URL
