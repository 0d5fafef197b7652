"""The outbox: every message the local Cognito would have sent, and helpers to read it.

Real Cognito emails confirmation codes and temporary passwords; the local Cognito sends
nothing and records each message instead. Tests and developers read them over HTTP from
``GET {endpoint_url}/_local/outbox?to=EMAIL`` (see ``read_outbox`` / ``latest_message``) or
with ``bff outbox``. The endpoint exists only in the local Cognito.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

KINDS = ("confirmation_code", "temporary_password")


@dataclass(frozen=True)
class OutboxMessage:
    """One message Cognito would have delivered."""

    to: str
    kind: str
    username: str
    user_pool_id: str
    sent_at: datetime
    code: str | None = None
    temporary_password: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat().replace("+00:00", "Z")
        # Only the field that belongs to the kind: a confirmation message has no password.
        for key in ("code", "temporary_password"):
            if data[key] is None:
                del data[key]
        return data


class Outbox:
    """Thread-safe, append-only store of messages, oldest first."""

    def __init__(self) -> None:
        self._messages: list[OutboxMessage] = []
        self._lock = threading.Lock()

    def record(self, message: OutboxMessage) -> None:
        with self._lock:
            self._messages.append(message)

    def messages(self, to: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
        with self._lock:
            found = list(self._messages)
        if to is not None:
            # Email addresses are matched case-insensitively, as mail servers do in practice.
            found = [m for m in found if m.to.lower() == to.lower()]
        if kind is not None:
            found = [m for m in found if m.kind == kind]
        return found


class OutboxError(RuntimeError):
    """The outbox could not be read (local Cognito not running, bad answer)."""


def read_outbox(
    endpoint_url: str, to: str | None = None, kind: str | None = None, timeout: float = 5.0
) -> list[dict[str, Any]]:
    """Messages recorded by the local Cognito at ``endpoint_url``, oldest first."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    query = {k: v for k, v in (("to", to), ("kind", kind)) if v is not None}
    if urllib.parse.urlsplit(endpoint_url).scheme not in ("http", "https"):
        raise ValueError(f"endpoint_url must be an http(s) URL, not {endpoint_url!r}")
    url = endpoint_url.rstrip("/") + "/_local/outbox"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            payload = json.load(response)
    except (urllib.error.URLError, OSError) as exc:
        raise OutboxError(f"cannot read the outbox at {endpoint_url}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise OutboxError(f"the outbox at {endpoint_url} did not answer JSON") from exc
    if not isinstance(payload, list):
        raise OutboxError(f"the outbox at {endpoint_url} did not answer a list")
    return payload


def latest_message(endpoint_url: str, to: str, kind: str) -> dict[str, Any]:
    """The newest message of ``kind`` sent to ``to``; LookupError when there is none."""
    messages = read_outbox(endpoint_url, to=to, kind=kind)
    if not messages:
        raise LookupError(f"no {kind} message for {to} in the outbox")
    return messages[-1]


class OutboxReader:
    """The outbox of one local Cognito, as tests use it."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def messages(self, to: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        return read_outbox(self.endpoint_url, to=to, kind=kind)

    def latest_code(self, to: str) -> str:
        """The newest confirmation code sent to ``to``."""
        return str(latest_message(self.endpoint_url, to, "confirmation_code")["code"])

    def latest_temporary_password(self, to: str) -> str:
        """The newest temporary password sent to ``to``."""
        message = latest_message(self.endpoint_url, to, "temporary_password")
        return str(message["temporary_password"])
