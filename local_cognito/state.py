"""The local Cognito's state on disk, so that a restart keeps the pool.

``bff local-cognito --state DIR`` (and ``bff serve``, in its instance folder) keep one JSON
file, ``DIR/local-cognito-state.json``: the pools with their ids, clients (ids, secrets,
settings), signing keys, users (passwords, status, attributes, MFA settings), groups,
tokens, what the fidelity layer keeps per user (TOTP secrets, devices, pending codes), the
outbox and the local clock's offset. Challenge sessions are not kept: they live three
minutes, and a sign-in that was half-way through a restart starts again.

Every change is written as a whole new file: written to a temporary file in the same
folder, flushed and fsynced, then ``os.replace``-d over the old one (atomic on POSIX), and
the folder fsynced. A crash mid-write leaves the previous complete file (and a stray
temporary file, removed at the next start): at most the last change is lost, the file is
never torn. The format is versioned; a file this code cannot read is refused with a clear
error rather than silently replaced.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import json
import logging
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from joserfc import jwk
from moto.cognitoidp.models import (
    CognitoIdpGroup,
    CognitoIdpIdentityProvider,
    CognitoIdpUser,
    CognitoIdpUserPoolClient,
    CognitoIdpUserPoolDomain,
    UserStatus,
)

from . import keys, rotation
from .fidelity import Device, LocalUserPool, UserState
from .outbox import OutboxMessage
from .tokens import RefreshGrant

if TYPE_CHECKING:
    from .fidelity import LocalCognitoBackend

log = logging.getLogger(__name__)

STATE_FILE = "local-cognito-state.json"
#: The folder, inside the BFF's instance folder, where ``bff serve`` (and the app factory's
#: embedded local Cognito) keep the pool.
INSTANCE_STATE_FOLDER = "local-cognito"
FORMAT_VERSION = 1
_TEMP_PREFIX = ".local-cognito-state-"
# Tokens are kept this long past their expiry (then dropped from the file): an expired token
# is refused either way, only the message differs ("expired" vs "Invalid Access Token").
_EXPIRED_TOKEN_GRACE = 24 * 3600


class StateError(RuntimeError):
    """The state folder cannot be used (unreadable file, unknown format)."""


def _encode(value: Any) -> Any:
    """JSON-safe form of the fidelity layer's dataclass fields (bytes, sets, dataclasses)."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted(_encode(v) for v in value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        if set(value) == {"$set"}:
            return {_decode(v) for v in value["$set"]}
        if set(value) == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _dataclass_from(cls: type, data: dict[str, Any], **nested: Any) -> Any:
    """``cls`` from its encoded fields; fields the file lacks keep their defaults and fields
    this code does not know are ignored (a newer or older file still loads)."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: _decode(v) for k, v in data.items() if k in names and k not in nested}
    values.update({k: v for k, v in nested.items() if k in data})
    return cls(**values)


def _date(value: datetime) -> str:
    return value.isoformat()


def _undate(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else datetime.now(UTC)


@functools.lru_cache(maxsize=65536)
def _expiry(token: str) -> float:
    # Tokens never change: each is decoded once, not at every write.
    from .fidelity import LocalCognitoBackend

    return float(LocalCognitoBackend._jwt_claims(token).get("exp", 0))


def _live_tokens(tokens: dict[str, Any], now: float) -> dict[str, Any]:
    kept = {}
    for token, record in tokens.items():
        if _expiry(token) + _EXPIRED_TOKEN_GRACE >= now:
            kept[token] = list(record) if record is not None else None
    return kept


def snapshot(backend: LocalCognitoBackend, primary: dict[str, Any] | None) -> dict[str, Any]:
    """Everything a restart needs, as plain JSON data."""
    now = time.time()
    pools = []
    for pool in backend.user_pools.values():
        users = []
        for user in pool.users.values():
            users.append(
                {
                    "id": user.id,
                    "username": user.username,
                    "password": user.password,
                    "status": str(getattr(user.status, "value", user.status)),
                    "enabled": user.enabled,
                    "attributes": user.attributes,
                    "sms_mfa_enabled": user.sms_mfa_enabled,
                    "software_token_mfa_enabled": user.software_token_mfa_enabled,
                    "token_verified": user.token_verified,
                    "preferred_mfa_setting": user.preferred_mfa_setting,
                    "create_date": _date(user.create_date),
                    "last_modified_date": _date(user.last_modified_date),
                    "local": _encode(backend.user_states.get(user.id, UserState())),
                }
            )
        pools.append(
            {
                "id": pool.id,
                "arn": pool.arn,
                "name": pool.name,
                "creation_config": _encode(getattr(pool, "creation_config", {})),
                "extended_config": _encode(pool.extended_config),
                "mfa_config": pool.mfa_config,
                "sms_mfa_config": pool.sms_mfa_config,
                "token_mfa_config": pool.token_mfa_config,
                "creation_date": _date(pool.creation_date),
                "last_modified_date": _date(pool.last_modified_date),
                "signing_key": pool.json_web_key.as_dict(private=True),
                "clients": [
                    {
                        "id": client.id,
                        "secret": client.secret,
                        "generate_secret": client.generate_secret,
                        "extended_config": _encode(client.extended_config),
                    }
                    for client in pool.clients.values()
                ],
                "users": users,
                "groups": [
                    {
                        "name": group.group_name,
                        "description": group.description,
                        "role_arn": group.role_arn,
                        "precedence": group.precedence,
                        "members": sorted(u.username for u in group.users),
                    }
                    for group in pool.groups.values()
                ],
                "refresh_tokens": {
                    token: list(record) if record is not None else None
                    for token, record in pool.refresh_tokens.items()
                },
                # Each refresh token's expiry, auth_time and the device it is bound to.
                "refresh_grants": {
                    token: _encode(backend.refresh_grants[token])
                    for token in pool.refresh_tokens
                    if token in backend.refresh_grants
                },
                # The pool's domain and identity providers (managed login, federation).
                "domains": sorted(
                    name
                    for name, domain in backend.user_pool_domains.items()
                    if domain.user_pool_id == pool.id
                ),
                "identity_providers": [
                    {"name": name, "extended_config": _encode(provider.extended_config)}
                    for name, provider in pool.identity_providers.items()
                ],
                "access_tokens": _live_tokens(pool.access_tokens, now),
                "id_tokens": _live_tokens(pool.id_tokens, now),
            }
        )
    return {
        "format": FORMAT_VERSION,
        "primary": primary,
        "clock_offset": backend.clock.offset,
        "pools": pools,
        "revoked_access_tokens": sorted(
            _live_tokens({t: () for t in backend.revoked_access_tokens}, now)
        ),
        "outbox": [_encode(dataclasses.asdict(m)) for m in backend.outbox.messages()],
        "backend": {
            name: _encode(getattr(backend, name))
            for name in backend.PERSISTED_ATTRIBUTES
            if hasattr(backend, name)
        },
    }


def restore(backend: LocalCognitoBackend, data: dict[str, Any]) -> dict[str, Any] | None:
    """Load a snapshot into an empty backend; returns the snapshot's ``primary`` entry."""
    if data.get("format") != FORMAT_VERSION:
        raise StateError(
            f"state format {data.get('format')!r} is not {FORMAT_VERSION}; start with --reset"
        )
    offset = float(data.get("clock_offset") or 0)
    if offset > 0:
        backend.clock.advance(offset)
    for saved in data.get("pools", []):
        _restore_pool(backend, saved)
    backend.revoked_access_tokens.update(data.get("revoked_access_tokens", []))
    for message in data.get("outbox", []):
        backend.outbox.record(OutboxMessage(**_decode(message)))
    extra = data.get("backend") or {}
    for name in backend.PERSISTED_ATTRIBUTES:
        if name in extra:
            setattr(backend, name, _decode(extra[name]))
    primary = data.get("primary")
    return primary if isinstance(primary, dict) else None


def _restore_pool(backend: LocalCognitoBackend, saved: dict[str, Any]) -> None:
    creation = _decode(saved.get("creation_config") or {})
    pool = LocalUserPool(backend, backend.account_id, backend.region_name, saved["name"], creation)
    pool.creation_config = creation
    pool.id, pool.arn = saved["id"], saved["arn"]
    pool.extended_config = _decode(saved["extended_config"])
    pool.mfa_config = saved.get("mfa_config") or "OFF"
    pool.sms_mfa_config = saved.get("sms_mfa_config")
    pool.token_mfa_config = saved.get("token_mfa_config")
    pool.creation_date = _undate(saved.get("creation_date"))
    pool.last_modified_date = _undate(saved.get("last_modified_date"))
    signing_key = jwk.RSAKey.import_key(saved["signing_key"])
    if keys.is_own_key(signing_key):
        pool.json_web_key = signing_key
    else:
        # A file written before pools had keys of their own holds moto's published key:
        # the pool keeps the fresh key it was just given, and older tokens stop verifying.
        log.warning("pool %s had moto's built-in signing key; it now has its own", saved["id"])
    for c in saved.get("clients", []):
        client = CognitoIdpUserPoolClient(pool.id, bool(c["generate_secret"]), None)
        client.id, client.secret = c["id"], c["secret"]
        client.extended_config = _decode(c["extended_config"])
        # A client saved before rotation existed is described as Cognito describes one
        # never given the setting.
        client.extended_config.setdefault("RefreshTokenRotation", dict(rotation.DISABLED))
        pool.clients[client.id] = client
    for u in saved.get("users", []):
        # EXTERNAL_PROVIDER (federated users, federation.py) is not one of moto's statuses.
        status = u["status"]
        known = status in UserStatus._value2member_map_
        user = CognitoIdpUser(
            pool.id, u["username"], u["password"], UserStatus(status) if known else status, []
        )
        user.id = u["id"]
        user.attributes = []
        user.update_attributes(copy.deepcopy(u["attributes"]))
        user.enabled = bool(u["enabled"])
        user.sms_mfa_enabled = bool(u["sms_mfa_enabled"])
        user.software_token_mfa_enabled = bool(u["software_token_mfa_enabled"])
        user.token_verified = bool(u["token_verified"])
        user.preferred_mfa_setting = u.get("preferred_mfa_setting")
        user.create_date = _undate(u.get("create_date"))
        user.last_modified_date = _undate(u.get("last_modified_date"))
        pool.users[user.username] = user
        local = dict(u.get("local") or {})
        devices = {
            key: _dataclass_from(Device, value) for key, value in local.get("devices", {}).items()
        }
        backend.user_states[user.id] = _dataclass_from(UserState, local, devices=devices)
    for g in saved.get("groups", []):
        group = CognitoIdpGroup(
            pool.id, g["name"], g.get("description") or "", g.get("role_arn"), g.get("precedence")
        )
        for name in g.get("members", []):
            member = pool.users.get(name)
            if member is not None:
                group.users.add(member)
                member.groups.add(group)
        pool.groups[group.group_name] = group
    for token, grant in saved.get("refresh_grants", {}).items():
        backend.refresh_grants[token] = _dataclass_from(RefreshGrant, grant)
    pool.refresh_tokens = {
        t: tuple(r) if r is not None else None for t, r in saved.get("refresh_tokens", {}).items()
    }
    pool.access_tokens = {t: tuple(r) for t, r in saved.get("access_tokens", {}).items()}
    pool.id_tokens = {t: tuple(r) for t, r in saved.get("id_tokens", {}).items()}
    backend.user_pools[pool.id] = pool
    for name in saved.get("domains", []):
        backend.user_pool_domains[name] = CognitoIdpUserPoolDomain(pool.id, name)
    for p in saved.get("identity_providers", []):
        pool.identity_providers[p["name"]] = CognitoIdpIdentityProvider(
            p["name"], _decode(p["extended_config"])
        )


class StateStore:
    """One state folder: atomic whole-file writes, skipped when nothing changed."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STATE_FILE
        self._last_written: bytes | None = None
        self.writes = 0

    def reset(self) -> None:
        """Forget everything: the next start provisions a fresh pool."""
        self.path.unlink(missing_ok=True)
        self._remove_temporary_files()
        self._last_written = None

    def load(self) -> dict[str, Any] | None:
        """The saved snapshot, or None when the folder holds none yet."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._remove_temporary_files()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise StateError(
                f"{self.path} is not valid JSON ({exc}); move it away or start with --reset"
            ) from exc
        if not isinstance(data, dict):
            raise StateError(f"{self.path} is not a local Cognito state file")
        self._last_written = raw
        return data

    def save(self, data: dict[str, Any]) -> bool:
        """Write ``data`` atomically; False when it equals what is on disk already."""
        raw = json.dumps(data, separators=(",", ":")).encode()
        if raw == self._last_written:
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)  # passwords and TOTP secrets: the owner's eyes only
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._fsync_folder()
        self._last_written = raw
        self.writes += 1
        return True

    def _fsync_folder(self) -> None:
        # The rename is durable only once the folder's entry is on disk.
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _remove_temporary_files(self) -> None:
        # Left by a crash between the temporary write and the rename: never the live state.
        for stray in self.folder.glob(_TEMP_PREFIX + "*.tmp"):
            stray.unlink(missing_ok=True)
