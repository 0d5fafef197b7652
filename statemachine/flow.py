"""The flow model: one user's way through the lifecycle, and its journal.

A ``Flow`` is a plain object (transitions' "model"). Its journal is the append-only list of
transitions it went through. The journal never holds a secret: it records the trigger, the
states, the time, the Cognito action and the challenge name, nothing of what was sent.

``version`` belongs to the flow store: it is the version the flow was loaded at, and the
store's compare-and-set bumps it on save, so two concurrent submissions advance a flow once.

Request ids: a server that handles one request at a time per thread or task sets
``journal_request_id(...)`` around a request; every entry fired meanwhile records that id
(``request_id``), so a journal entry can be matched with that request's log lines. It is
optional: an entry without one serialises exactly as before, and replay ignores it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from transitions import MachineError

from .errors import IllegalTransition, JournalError
from .lifecycle import ATTEMPT_TRIGGERS, MACHINE, NEW, STATES, TRIGGERS, allowed_triggers, may_fire
from .outcomes import trigger_for

Clock = Callable[[], datetime]

#: The request id journal entries fired in this context record (see ``journal_request_id``).
_REQUEST_ID: ContextVar[str | None] = ContextVar("statemachine_request_id", default=None)


def set_journal_request_id(request_id: str | None) -> None:
    """Record ``request_id`` in the entries fired from now on in this context (None: stop)."""
    _REQUEST_ID.set(request_id)


@contextmanager
def journal_request_id(request_id: str | None) -> Iterator[None]:
    """Within the block, entries fired in this context record ``request_id``."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(text: Any, what: str) -> datetime:
    if not isinstance(text, str):
        raise JournalError(f"{what} must be an ISO 8601 string, got {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise JournalError(f"{what} is not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class JournalEntry:
    """One transition: what fired, from where to where, when, and which Cognito action caused it."""

    seq: int
    trigger: str
    source: str
    dest: str
    at: datetime
    action: str | None = None
    challenge: str | None = None
    #: the id of the server request that fired it, when there was one (logs carry it too)
    request_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "seq": self.seq,
            "trigger": self.trigger,
            "from": self.source,
            "to": self.dest,
            "at": _iso(self.at),
            "action": self.action,
            "challenge": self.challenge,
        }
        if self.request_id is not None:
            data["request_id"] = self.request_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JournalEntry:
        if not isinstance(data, Mapping):
            raise JournalError(f"a journal entry must be an object, got {type(data).__name__}")
        missing = [k for k in ("seq", "trigger", "from", "to", "at") if k not in data]
        if missing:
            raise JournalError(f"journal entry {data.get('seq', '?')} lacks {', '.join(missing)}")
        seq = data["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise JournalError(f"journal entry seq must be an integer, got {seq!r}")
        for key in ("trigger", "from", "to"):
            if not isinstance(data[key], str):
                raise JournalError(f"journal entry {seq}: {key!r} must be a string")
        for key in ("action", "challenge", "request_id"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise JournalError(f"journal entry {seq}: {key!r} must be a string or null")
        return cls(
            seq=seq,
            trigger=data["trigger"],
            source=data["from"],
            dest=data["to"],
            at=_parse_time(data["at"], f"journal entry {seq} 'at'"),
            action=data.get("action"),
            challenge=data.get("challenge"),
            request_id=data.get("request_id"),
        )


def new_flow_id() -> str:
    """128 random bits as 32 hex digits: never a leading "-" that a command line (``bff
    journal FLOW_ID``) would read as an option, as URL-safe base64 sometimes gives."""
    return secrets.token_hex(16)


@dataclass
class Flow:
    """One sign-up / sign-in flow, attached to the shared lifecycle machine while it fires."""

    id: str = field(default_factory=new_flow_id)
    username: str | None = None
    state: str = NEW
    cognito_session: str | None = field(default=None, repr=False)
    attempts: dict[str, int] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 0
    journal: list[JournalEntry] = field(default_factory=list)
    clock: Clock = field(default=utcnow, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise JournalError(f"unknown state {self.state!r}")

    @property
    def allowed_triggers(self) -> list[str]:
        return allowed_triggers(self.state)

    def may(self, trigger: str) -> bool:
        return may_fire(trigger, self.state)

    def fire(
        self, trigger: str, *, action: str | None = None, challenge: str | None = None
    ) -> JournalEntry:
        """Fire ``trigger`` and journal it; IllegalTransition when the state forbids it."""
        if trigger not in TRIGGERS or not self.may(trigger):
            raise IllegalTransition(trigger, self.state, self.allowed_triggers)
        source = self.state
        try:
            MACHINE.events[trigger].trigger(self)
        except MachineError as exc:  # defensive: may() and the machine disagree
            raise IllegalTransition(trigger, source, self.allowed_triggers) from exc
        if trigger in ATTEMPT_TRIGGERS:
            self.attempts[source] = self.attempts.get(source, 0) + 1
        elif self.state != source:
            self.attempts.pop(source, None)
        now = self.clock()
        entry = JournalEntry(
            seq=len(self.journal) + 1,
            trigger=trigger,
            source=source,
            dest=self.state,
            at=now,
            action=action,
            challenge=challenge,
            request_id=_REQUEST_ID.get(),
        )
        self.journal.append(entry)
        self.updated_at = now
        return entry

    def apply(
        self,
        action: str,
        response: Mapping[str, Any] | None = None,
        *,
        request: Mapping[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> JournalEntry | None:
        """Fire whatever trigger the outcome of Cognito ``action`` calls for (see outcomes)."""
        trigger = trigger_for(
            action, response, request=request, error_code=error_code, error_message=error_message
        )
        if trigger is None:
            return None
        challenge = (response or {}).get("ChallengeName") if error_code is None else None
        return self.fire(trigger, action=action, challenge=challenge)

    def attempts_in(self, state: str | None = None) -> int:
        return self.attempts.get(state or self.state, 0)

    def to_dict(self, *, include_session: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "username": self.username,
            "state": self.state,
            "attempts": dict(self.attempts),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "version": self.version,
            "journal": [entry.to_dict() for entry in self.journal],
        }
        if include_session:
            data["cognito_session"] = self.cognito_session
        return data

    def to_json(self, *, include_session: bool = True) -> str:
        return json.dumps(self.to_dict(include_session=include_session), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, clock: Clock = utcnow) -> Flow:
        if not isinstance(data, Mapping):
            raise JournalError("a flow must be a JSON object")
        try:
            attempts = {str(k): int(v) for k, v in dict(data.get("attempts") or {}).items()}
            version = int(data.get("version", 0))
        except (TypeError, ValueError) as exc:
            raise JournalError(f"bad attempts or version: {exc}") from exc
        return cls(
            id=str(data["id"]) if "id" in data else new_flow_id(),
            username=data.get("username"),
            state=str(data.get("state", NEW)),
            cognito_session=data.get("cognito_session"),
            attempts=attempts,
            created_at=_parse_time(data.get("created_at", _iso(clock())), "created_at"),
            updated_at=_parse_time(data.get("updated_at", _iso(clock())), "updated_at"),
            version=version,
            journal=journal_from_list(data.get("journal") or []),
            clock=clock,
        )

    @classmethod
    def from_json(cls, text: str, *, clock: Clock = utcnow) -> Flow:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JournalError(f"not JSON: {exc}") from exc
        return cls.from_dict(data, clock=clock)

    def journal_json(self) -> str:
        return journal_to_json(self.journal)


def journal_to_json(journal: list[JournalEntry]) -> str:
    return json.dumps([entry.to_dict() for entry in journal], indent=2)


def journal_from_list(items: Any) -> list[JournalEntry]:
    if not isinstance(items, list):
        raise JournalError("a journal must be a JSON array of entries")
    return [JournalEntry.from_dict(item) for item in items]


def journal_from_json(text: str) -> list[JournalEntry]:
    """Read a journal: a JSON array of entries, or a flow object with a "journal" key."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JournalError(f"not JSON: {exc}") from exc
    if isinstance(data, Mapping) and "journal" in data:
        data = data["journal"]
    return journal_from_list(data)
