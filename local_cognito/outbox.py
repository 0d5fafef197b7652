"""The outbox: every message the local Cognito would have sent, and helpers to read it.

Real Cognito emails confirmation codes and temporary passwords; the local Cognito sends
nothing and records each message instead. Tests and developers read them over HTTP from
``GET {endpoint_url}/_local/outbox?to=EMAIL`` (``bff.local_outbox.read_outbox``) or
with ``bff outbox``; ``bff.local_outbox`` is that client. The endpoint exists only in the
local Cognito.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


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
    # The email as the pool's templates render it: sender, subject and body.
    sender: str | None = None
    subject: str | None = None
    body: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat().replace("+00:00", "Z")
        data["from"] = data.pop("sender")
        # Only the field that belongs to the kind: a confirmation message has no password.
        for key in ("code", "temporary_password", "from", "subject", "body"):
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
