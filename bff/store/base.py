"""What every store backend provides: flows (compare-and-set), sessions, devices, a ledger.

The backends (SQLite, Redis) implement the same four small interfaces and share the parts
that do not depend on where bytes live: the clock, encryption at rest, (de)serialisation.

Time: every expiry is decided with the store's ``clock`` (seconds since the epoch), so a
test can move time and see a session or a flow expire on either backend. Redis also gets a
native TTL on every key, but only as garbage collection; the clock check is the rule.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bff.cognito.types import RememberedDevice
from bff.usernames import username_digest
from statemachine.flow import Flow

log = logging.getLogger(__name__)

Clock = Callable[[], float]

#: How long one store operation may wait for its backend (BFF_STORE_TIMEOUT_SECONDS).
DEFAULT_TIMEOUT_SECONDS = 2.0
SESSION_ID_BYTES = 32  # secrets.token_urlsafe(32): 256 bits from the OS CSPRNG
DEVICE_ID_BYTES = 32


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def new_device_id() -> str:
    return secrets.token_urlsafe(DEVICE_ID_BYTES)


class StoreError(RuntimeError):
    """The store is unreachable or holds something it cannot read."""


class Cipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) over JSON: what the store keeps at rest for secrets."""

    def __init__(self, key: str | bytes | None) -> None:
        if not key:
            # Only reached when a caller forgot the key: secrets then die with the process.
            log.warning("store opened without an encryption key: using a per-process key")
            key = Fernet.generate_key()
        raw = key.encode() if isinstance(key, str) else key
        self._fernet = Fernet(raw)
        # A separate key for ids, derived from the same secret (never the Fernet key itself).
        self._id_key = hashlib.sha256(b"bff-store-ids\x00" + raw).digest()

    def hashed_id(self, raw_id: str) -> str:
        """What the store keeps instead of a cookie's value: HMAC-SHA256 under a key derived
        from the store key. Read access to the store then yields no usable cookie."""
        return hmac.new(self._id_key, raw_id.encode(), hashlib.sha256).hexdigest()

    def seal(self, value: Any) -> bytes:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode())

    def open(self, token: bytes | str) -> Any:
        try:
            raw = self._fernet.decrypt(token.encode() if isinstance(token, str) else token)
        except InvalidToken:
            raise StoreError("a stored secret cannot be decrypted (wrong key?)") from None
        return json.loads(raw)


class StoreBound:
    """A sub-store reads the clock and cipher of its parent, so ``store.clock = f`` applies."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def now(self) -> float:
        return self._store.clock()

    @property
    def cipher(self) -> Cipher:
        return self._store.cipher

    def flow_clock(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


class FlowStore(StoreBound, ABC):
    """Flows by id, saved with compare-and-set on ``flow.version``."""

    @abstractmethod
    def create(self, flow: Flow, ttl_seconds: float) -> None:
        """Store a new flow; Conflict when the id is taken."""

    @abstractmethod
    def load(self, flow_id: str) -> Flow | None:
        """The flow, or None when unknown or expired."""

    @abstractmethod
    def save(self, flow: Flow, ttl_seconds: float) -> None:
        """Store ``flow`` if the stored version is still ``flow.version``, then bump it.

        Raises bff.errors.Conflict when another writer got there first (or the flow expired).
        """

    @abstractmethod
    def delete(self, flow_id: str) -> None: ...

    @staticmethod
    def _encode_saved(flow: Flow) -> str:
        """The JSON ``save`` stores: the flow as it will be once saved (version + 1)."""
        data = flow.to_dict()
        data["version"] = flow.version + 1
        return json.dumps(data, sort_keys=True)

    def _decode(self, data: str | bytes, version: int) -> Flow:
        text = data.decode() if isinstance(data, bytes) else data
        flow = Flow.from_json(text, clock=self.flow_clock)
        flow.version = version
        return flow


class SessionStore(StoreBound, ABC):
    """Server-side sessions; records encrypted at rest (they hold Cognito tokens)."""

    # Keys the store owns in a record; callers' values for them are ignored on write.
    RESERVED = ("sid", "created_at", "last_seen_at", "idle_seconds", "absolute_seconds")

    @abstractmethod
    def create(
        self,
        record: dict[str, Any],
        idle_seconds: float,
        absolute_seconds: float,
        *,
        replacing: str | None = None,
    ) -> str:
        """Store ``record`` under a fresh id and return it; the session ``replacing`` (this
        browser's previous one) is deleted in the same operation."""

    @abstractmethod
    def get(self, sid: str) -> dict[str, Any] | None:
        """The record, or None when unknown or timed out. A read keeps the session alive
        (last_seen_at = now; the SQLite store writes that only once it is stale:
        ``sqlite_sessions.touch_interval``)."""

    @abstractmethod
    def update(self, sid: str, record: dict[str, Any]) -> bool:
        """Replace the record's data; False when the session is gone."""

    @abstractmethod
    def rotate(self, sid: str, record: dict[str, Any] | None = None) -> str | None:
        """Move the session to a fresh id (the old id dies), and replace its data with
        ``record`` when given, in one operation; None when the session is gone.

        Rotation changes the id, not the lifetime: the absolute timeout still counts from
        the session's creation, so rotating cannot extend a session forever.
        """

    @abstractmethod
    def delete(self, sid: str) -> None: ...

    # A user's sessions are indexed by the hashed session id (like the sessions themselves:
    # read access to the store yields no usable cookie) under ``user_key`` of each name.

    def _member(self, sid: str) -> str:
        """What the index keeps for ``sid``: its keyed hash (the Redis store adds its key's
        hash tag)."""
        return self.cipher.hashed_id(sid)

    @abstractmethod
    def _indexed(self, user_key: str) -> list[str]:
        """The members (``_member``) indexed under ``user_key`` (some may be gone)."""

    @abstractmethod
    def _peek(self, hashed_sid: str) -> dict[str, Any] | None:
        """The live record under ``hashed_sid``, untouched; None when gone or timed out."""

    @abstractmethod
    def _delete_hashed(self, hashed_sid: str) -> None: ...

    def _user_sessions(self, username: str) -> list[str]:
        key = user_key(username)
        found = []
        for hashed_sid in self._indexed(key):
            record = self._peek(hashed_sid)
            if record is not None and key in user_keys(record):
                found.append(hashed_sid)
        return found

    def count_user_sessions(self, username: str) -> int:
        """How many live sessions name ``username`` (typed or Cognito's, any case)."""
        return len(self._user_sessions(username)) if username.strip() else 0

    def end_user_sessions(self, username: str, *, keep: str | None = None) -> int:
        """Delete every live session naming ``username`` but ``keep`` (a session id); how
        many ended. For a password reset or change, and signing out everywhere."""
        if not username.strip():
            return 0
        kept = self._member(keep) if keep else None
        ended = 0
        for hashed_sid in self._user_sessions(username):
            if hashed_sid != kept:
                self._delete_hashed(hashed_sid)
                ended += 1
        return ended

    def _payload(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in self.RESERVED}

    def _expired(
        self, created_at: float, last_seen_at: float, idle: float, absolute: float
    ) -> bool:
        now = self.now()
        return now - last_seen_at >= idle or now - created_at >= absolute

    @staticmethod
    def _remaining(created_at: float, now: float, idle: float, absolute: float) -> float:
        return max(0.0, min(idle, created_at + absolute - now))


def user_key(username: str) -> str:
    """The index key of a user's sessions: a hash of the username's normal form
    (bff.usernames), so the index holds no email address."""
    return username_digest(username)


def user_keys(record: dict[str, Any]) -> set[str]:
    """The index keys of a session record: its ``username`` and ``cognito_username``."""
    names = (record.get("username"), record.get("cognito_username"))
    return {user_key(name) for name in names if isinstance(name, str) and name.strip()}


class DeviceVault(StoreBound, ABC):
    """Browser devices' secrets (device key, group key, device password), encrypted; a
    device the user declined to remember is kept too, marked ``remembered=False``."""

    @abstractmethod
    def put(self, username: str, device: RememberedDevice, ttl_seconds: float | None = None) -> str:
        """Keep ``device`` for ``username``; returns the random id for the device cookie."""

    @abstractmethod
    def get(self, device_id: str) -> tuple[str, RememberedDevice] | None: ...

    @abstractmethod
    def delete(self, device_id: str) -> None: ...

    def _seal(self, username: str, device: RememberedDevice) -> bytes:
        return self.cipher.seal(
            {
                "username": username,
                "device_key": device.device_key,
                "device_group_key": device.device_group_key,
                "device_password": device.device_password,
                "remembered": device.remembered,
            }
        )

    def _open(self, blob: bytes | str) -> tuple[str, RememberedDevice]:
        data = self.cipher.open(blob)
        return data["username"], RememberedDevice(
            device_key=data["device_key"],
            device_group_key=data["device_group_key"],
            device_password=data["device_password"],
            remembered=data.get("remembered", True),
        )


class EventLedger(StoreBound, ABC):
    """Which webhook events were already handled (deduplication)."""

    @abstractmethod
    def first_time(self, event_id: str, ttl_seconds: float) -> bool:
        """Atomically record ``event_id``; True only for the first caller within the TTL."""

    @abstractmethod
    def forget(self, event_id: str) -> None:
        """Drop ``event_id`` (a claimed delivery that failed: its retry must be handled)."""


class Store(ABC):
    """The four stores behind one URL, one clock and one encryption key."""

    flows: FlowStore
    sessions: SessionStore
    devices: DeviceVault
    webhook_events: EventLedger

    def __init__(self, url: str, key: str | bytes | None, clock: Clock | None) -> None:
        self.url = url
        self.cipher = Cipher(key)
        self.clock: Clock = clock or time.time

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def ping(self) -> bool:
        """True when the backend answers (for a health check)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_url(self.url)!r})"


def redact_url(url: str) -> str:
    """The URL without a password (redis://:secret@host -> redis://:***@host)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
