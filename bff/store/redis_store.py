"""The shared store: Redis, for any number of BFF instances behind a load balancer.

Every read-check-write runs as a Lua script, which Redis executes atomically (no other
command runs in between: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/),
so compare-and-set on a flow's version needs no WATCH/retry loop. Keys carry native TTLs
(PEXPIRE) so nothing outlives its use, while expiry decisions use the store's clock like the
SQLite backend (a test moving the clock sees the same behaviour on both).

The same code serves one node, a Redis Cluster and a Sentinel-managed primary
(bff.store.redis_connect). In a cluster a script or a transaction may only touch keys of
one hash slot, so every operation here touches one slot by design (docs/operations.md,
"Key layout"): a flow is one key; a session's key carries a hash tag that its rotated
successor keeps (the id's first ``FAMILY_CHARS`` characters, kept across rotation), so the
rename that rotates it stays in one slot; the per-user index of sessions is its own key,
written *before* the session it points to, so a session is never live without being
indexed (a dangling index entry is dropped when read).
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

import redis

from bff.cognito.types import RememberedDevice
from bff.errors import Conflict
from bff.store_config import StoreIam, StoreTls
from statemachine.flow import Flow

from .base import (
    DEFAULT_TIMEOUT_SECONDS,
    Clock,
    DeviceVault,
    EventLedger,
    FlowStore,
    SessionStore,
    Store,
    StoreBound,
    new_device_id,
    user_keys,
)
from .redis_connect import RedisClient, redis_client

PREFIX = "bff:"
#: A Redis session id starts with this many characters of its family, which rotation keeps:
#: the session's hash tag is derived from them (8 base64url characters: 48 random bits, so
#: sessions spread over all 16384 slots).
FAMILY_CHARS = 8
ScriptArg = str | int | float  # what the store passes to its Lua scripts

# KEYS[1] flow; ARGV: version, data, expires_at, now, ttl_ms. 1 = created, 0 = id taken.
CREATE_FLOW = """
local exp = redis.call('HGET', KEYS[1], 'expires_at')
if exp and tonumber(exp) > tonumber(ARGV[4]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'data', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS[1] flow; ARGV: expected version, data, expires_at, now, ttl_ms. 1 = saved.
SAVE_FLOW = """
local cur = redis.call('HMGET', KEYS[1], 'version', 'expires_at')
if not cur[1] or not cur[2] then return 0 end
if tonumber(cur[1]) ~= tonumber(ARGV[1]) then return 0 end
if tonumber(cur[2]) <= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], 'version', tonumber(ARGV[1]) + 1, 'data', ARGV[2],
           'expires_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS[1] old session key, KEYS[2] new key (same key for a plain touch);
# ARGV: now, ttl_ms. Moves the hash (RENAME keeps it whole) and stamps last_seen_at.
TOUCH_SESSION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if KEYS[1] ~= KEYS[2] then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  redis.call('RENAME', KEYS[1], KEYS[2])
end
redis.call('HSET', KEYS[2], 'last_seen_at', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS[1] session; ARGV: data, created_at, idle_seconds, absolute_seconds, ttl_ms.
CREATE_SESSION = """
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'created_at', ARGV[2], 'last_seen_at', ARGV[2],
           'idle_seconds', ARGV[3], 'absolute_seconds', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS[1] session; ARGV: data. Only an existing session is updated (never resurrected).
UPDATE_SESSION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1])
return 1
"""

# KEYS[1] event; ARGV: expires_at, now, ttl_ms. 1 = first time.
FIRST_TIME = """
local exp = redis.call('GET', KEYS[1])
if exp and tonumber(exp) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore(Store):
    def __init__(
        self,
        url: str,
        key: str | bytes | None = None,
        clock: Clock | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        tls: StoreTls | None = None,
        iam: StoreIam | None = None,
    ):
        super().__init__(url, key, clock)
        # One try per command within ``timeout``; a failed command is a 503
        # store_unavailable (bff/api/errors.py): the client retries, not the server.
        self.redis: RedisClient = redis_client(url, timeout=timeout, tls=tls, iam=iam)
        self.script_create_flow = self.redis.register_script(CREATE_FLOW)
        self.script_save_flow = self.redis.register_script(SAVE_FLOW)
        self.script_create_session = self.redis.register_script(CREATE_SESSION)
        self.script_touch_session = self.redis.register_script(TOUCH_SESSION)
        self.script_update_session = self.redis.register_script(UPDATE_SESSION)
        self.script_first_time = self.redis.register_script(FIRST_TIME)
        self.flows = RedisFlowStore(self)
        self.sessions = RedisSessionStore(self)
        self.devices = RedisDeviceVault(self)
        self.webhook_events = RedisEventLedger(self)

    def close(self) -> None:
        self.redis.close()

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except redis.RedisError:
            return False


class _OneKeyEach(StoreBound):
    """For a Redis sub-store that keeps each record under one key, ``bff:<KIND>:<id>``.

    ``HASHED``: the id is a cookie's value (sessions, remembered devices), so the key holds
    its keyed hash (``Cipher.hashed_id``), never the value itself. ``TAGGED``: the id is the
    key's hash tag (``{id}``), so keys added for the record later share its slot.
    """

    _store: RedisStore
    KIND: ClassVar[str]
    HASHED: ClassVar[bool] = False
    TAGGED: ClassVar[bool] = False

    def key(self, record_id: str) -> str:
        if self.HASHED:
            record_id = self.cipher.hashed_id(record_id)
        if self.TAGGED:
            record_id = "{" + record_id + "}"
        return f"{PREFIX}{self.KIND}:{record_id}"

    def delete(self, record_id: str) -> None:
        self._store.redis.delete(self.key(record_id))


class RedisFlowStore(_OneKeyEach, FlowStore):
    _store: RedisStore
    KIND = "flow"
    TAGGED = True

    def create(self, flow: Flow, ttl_seconds: float) -> None:
        now = self.now()
        args: list[ScriptArg] = [
            flow.version,
            flow.to_json(),
            now + ttl_seconds,
            now,
            _ms(ttl_seconds),
        ]
        if not self._store.script_create_flow(keys=[self.key(flow.id)], args=args):
            raise Conflict("A flow with this id already exists.")

    def load(self, flow_id: str) -> Flow | None:
        version, data, expires_at = self._store.redis.hmget(
            self.key(flow_id), ["version", "data", "expires_at"]
        )
        if version is None or data is None or expires_at is None:
            return None
        if float(expires_at) <= self.now():
            return None
        return self._decode(data, int(version))

    def save(self, flow: Flow, ttl_seconds: float) -> None:
        now = self.now()
        args: list[ScriptArg] = [
            flow.version,
            self._encode_saved(flow),
            now + ttl_seconds,
            now,
            _ms(ttl_seconds),
        ]
        if not self._store.script_save_flow(keys=[self.key(flow.id)], args=args):
            raise Conflict()
        flow.version += 1


class RedisSessionStore(_OneKeyEach, SessionStore):
    """``bff:session:{<tag>}:<hashed id>``, the tag derived from the id's family (the first
    ``FAMILY_CHARS`` characters, kept when the session rotates), so the old and the new key
    of a rotation share a slot; hashed like the id, so the key holds no part of a cookie."""

    _store: RedisStore
    KIND = "session"
    HASHED = True

    def key(self, record_id: str) -> str:
        return self._member_key(self._member(record_id))

    def _member(self, sid: str) -> str:
        return f"{self.slot_tag(sid)}:{self.cipher.hashed_id(sid)}"

    def slot_tag(self, sid: str) -> str:
        """The hash tag of ``sid``'s key, ``{...}``: a key another part keeps for this session
        (a lock, a counter) with this tag in its name lives in the session's slot."""
        family = self.cipher.hashed_id("family\x00" + sid[:FAMILY_CHARS])
        return "{" + family[:16] + "}"

    @staticmethod
    def _new_id(family: str | None = None) -> str:
        return (family or secrets.token_urlsafe(6))[:FAMILY_CHARS] + secrets.token_urlsafe(32)

    def create(
        self,
        record: dict[str, Any],
        idle_seconds: float,
        absolute_seconds: float,
        *,
        replacing: str | None = None,
    ) -> str:
        now = self.now()
        sid = self._new_id()
        self._index(sid, record, absolute_seconds)
        args: list[ScriptArg] = [
            self.cipher.seal(self._payload(record)).decode(),
            repr(now),
            repr(float(idle_seconds)),
            repr(float(absolute_seconds)),
            _ms(self._remaining(now, now, idle_seconds, absolute_seconds)),
        ]
        self._store.script_create_session(keys=[self.key(sid)], args=args)
        if replacing:
            # Another slot than the new session's (a cluster allows no multi-slot command).
            self._store.redis.delete(self.key(replacing))
        return sid

    @staticmethod
    def _user_set(key: str) -> str:
        return f"{PREFIX}session-users:{key}"

    def _member_key(self, member: str) -> str:
        return f"{PREFIX}{self.KIND}:{member}"

    def _index(self, sid: str, record: dict[str, Any], lifetime: float) -> None:
        """Add ``sid`` to its users' sets, before the session is written (each set is a key
        of its own, in its own slot). Every session has the same absolute lifetime, so the
        set, renewed at each add, outlives its members (stale ones are dropped when read).
        The index holds the session's key suffix, ``<tag>:<hashed id>``: no cookie."""
        keys = user_keys(record)
        if not keys:
            return
        member = self._member(sid)
        pipe = self._store.redis.pipeline(transaction=False)
        for key in keys:
            pipe.sadd(self._user_set(key), member)
            pipe.expire(self._user_set(key), max(1, int(lifetime) + 1))
        pipe.execute()

    def _indexed(self, user_key: str) -> list[str]:
        members = self._store.redis.smembers(self._user_set(user_key))
        hashed = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        gone = [h for h in hashed if not self._store.redis.exists(self._member_key(h))]
        if gone:
            self._store.redis.srem(self._user_set(user_key), *gone)
        return [h for h in hashed if h not in gone]

    def _peek(self, hashed_sid: str) -> dict[str, Any] | None:
        data, created, seen, idle, absolute = self._store.redis.hmget(
            self._member_key(hashed_sid),
            ["data", "created_at", "last_seen_at", "idle_seconds", "absolute_seconds"],
        )
        if not isinstance(data, bytes) or None in (created, seen, idle, absolute):
            return None
        if self._expired(float(created), float(seen), float(idle), float(absolute)):  # type: ignore[arg-type]
            return None
        return dict(self.cipher.open(data))

    def _delete_hashed(self, hashed_sid: str) -> None:
        self._store.redis.delete(self._member_key(hashed_sid))

    def _live(self, sid: str) -> tuple[bytes, float, float, float] | None:
        """(data, created_at, idle, absolute) of a live session; an expired one is deleted."""
        data, created, seen, idle, absolute = self._store.redis.hmget(
            self.key(sid),
            ["data", "created_at", "last_seen_at", "idle_seconds", "absolute_seconds"],
        )
        # A field is None when the session is gone (the client answers bytes otherwise).
        if not isinstance(data, bytes) or created is None or seen is None:
            return None
        if idle is None or absolute is None:
            return None
        created_at, idle_s, absolute_s = float(created), float(idle), float(absolute)
        if self._expired(created_at, float(seen), idle_s, absolute_s):
            self._store.redis.delete(self.key(sid))
            return None
        return data, created_at, idle_s, absolute_s

    def _move(
        self, sid: str, new_sid: str, created_at: float, idle: float, absolute: float
    ) -> bool:
        now = self.now()
        ttl = _ms(self._remaining(created_at, now, idle, absolute))
        keys = [self.key(sid), self.key(new_sid)]
        return bool(self._store.script_touch_session(keys=keys, args=[repr(now), ttl]))

    def get(self, sid: str) -> dict[str, Any] | None:
        if not sid:
            return None
        live = self._live(sid)
        if live is None or not self._move(sid, sid, live[1], live[2], live[3]):
            return None
        record = dict(self.cipher.open(live[0]))
        record.update(sid=sid, created_at=live[1], last_seen_at=self.now())
        return record

    def update(self, sid: str, record: dict[str, Any]) -> bool:
        lifetime = self._lifetime(sid)
        if not lifetime:
            return False  # gone: an update must not resurrect it
        self._index(sid, record, lifetime)
        blob = self.cipher.seal(self._payload(record))
        return bool(self._store.script_update_session(keys=[self.key(sid)], args=[blob]))

    def _lifetime(self, sid: str) -> float:
        absolute = self._store.redis.hget(self.key(sid), "absolute_seconds")
        return float(absolute) if absolute is not None else 0.0

    def rotate(self, sid: str, record: dict[str, Any] | None = None) -> str | None:
        live = self._live(sid)
        if live is None:
            return None
        new_sid = self._new_id(family=sid)
        self._index(new_sid, record or dict(self.cipher.open(live[0])), live[3])
        if not self._move(sid, new_sid, live[1], live[2], live[3]):
            return None
        if record is not None:
            self._store.redis.hset(
                self.key(new_sid), "data", self.cipher.seal(self._payload(record))
            )
        return new_sid


class RedisDeviceVault(_OneKeyEach, DeviceVault):
    _store: RedisStore
    KIND = "device"
    HASHED = True

    def put(self, username: str, device: RememberedDevice, ttl_seconds: float | None = None) -> str:
        device_id = new_device_id()
        px = None if ttl_seconds is None else _ms(ttl_seconds)
        self._store.redis.set(self.key(device_id), self._seal(username, device), px=px)
        return device_id

    def get(self, device_id: str) -> tuple[str, RememberedDevice] | None:
        if not device_id:
            return None
        blob = self._store.redis.get(self.key(device_id))
        return None if blob is None else self._open(blob)


class RedisEventLedger(EventLedger):
    _store: RedisStore

    def first_time(self, event_id: str, ttl_seconds: float) -> bool:
        now = self.now()
        args: list[ScriptArg] = [repr(now + ttl_seconds), repr(now), _ms(ttl_seconds)]
        return bool(self._store.script_first_time(keys=[f"{PREFIX}event:{event_id}"], args=args))

    def forget(self, event_id: str) -> None:
        self._store.redis.delete(f"{PREFIX}event:{event_id}")
