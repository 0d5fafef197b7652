"""The remote APIs the BFF forwards to: their configuration, read once and checked.

A remote API is declared by the deployment, never by a request: the local prefix the SPA
calls, the one upstream it goes to, and an explicit allow-list of methods and path prefixes
(RFC 10017, section 6.1.3.4: the BFF's proxy forwards only to the destinations it was told
about). ``BFF_REMOTE_APIS`` holds a JSON list of entries; ``BFF_REMOTE_APIS_FILE`` names a
JSON or TOML file with the same entries (TOML: an array of ``[[api]]`` tables). An invalid
entry stops the app at start with a message naming the entry and the field.

This module imports nothing of the BFF: ``bff.config`` reads it while loading settings, and
the relay that serves these APIs (bff.relay) imports the API and the settings.
"""

from __future__ import annotations

import ipaddress
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_JSON = "BFF_REMOTE_APIS"
ENV_FILE = "BFF_REMOTE_APIS_FILE"
#: Every remote API lives under this prefix, so the API's security headers (no-store, the
#: strict CSP) and its CORS rules cover it.
PREFIX_ROOT = "/api/"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
TOKENS = ("access", "none")
DEFAULT_METHODS = ("GET",)
DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
#: How many idle keep-alive connections the BFF keeps open to one upstream (per process).
DEFAULT_POOL_SIZE = 10
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@-]+$")
_KEYS = frozenset(
    {
        "name",
        "prefix",
        "upstream",
        "methods",
        "paths",
        "require_user",
        "token",
        "connect_timeout",
        "read_timeout",
        "max_body_bytes",
        "pool_size",
    }
)


class RemoteApiError(ValueError):
    """A remote API entry cannot be used; the message names the entry and the field."""


@dataclass(frozen=True)
class RemoteApi:
    """One upstream API the SPA reaches through the BFF at ``prefix``."""

    name: str
    prefix: str  # e.g. "/api/remote/notes/": starts with /api/, ends with /
    upstream: str  # e.g. "https://notes.internal:8443/v1": scheme, host, port, base path
    methods: tuple[str, ...] = DEFAULT_METHODS
    paths: tuple[str, ...] = ("/",)  # allowed path prefixes, relative to the upstream base
    require_user: bool = True
    token: str = "access"  # the user's access token, or "none"
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    pool_size: int = DEFAULT_POOL_SIZE

    @property
    def scheme(self) -> str:
        return urlsplit(self.upstream).scheme

    @property
    def host(self) -> str:
        return urlsplit(self.upstream).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.upstream)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def base_path(self) -> str:
        """The upstream URL's path without its trailing slash ("" for the root)."""
        return urlsplit(self.upstream).path.rstrip("/")

    def allows_path(self, path: str) -> bool:
        """Whether ``path`` (normalised, starting with "/") is under an allowed prefix, on a
        segment boundary: ``/notes`` allows ``/notes`` and ``/notes/1``, not ``/notes-admin``."""
        for allowed in self.paths:
            if allowed == "/" or path == allowed or path.startswith(allowed.rstrip("/") + "/"):
                return True
        return False


def remote_apis_from_env(env: Mapping[str, str]) -> tuple[RemoteApi, ...]:
    """The remote APIs of ``BFF_REMOTE_APIS`` (JSON) and ``BFF_REMOTE_APIS_FILE``; both may
    be set (the file's entries come first). RemoteApiError on anything unusable."""
    entries: list[tuple[str, Any]] = []
    path = (env.get(ENV_FILE) or "").strip()
    if path:
        entries += [(f"{ENV_FILE} ({path}) entry {i + 1}", e) for i, e in enumerate(_read(path))]
    raw = (env.get(ENV_JSON) or "").strip()
    if raw:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise RemoteApiError(f"{ENV_JSON} is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise RemoteApiError(f"{ENV_JSON} must be a JSON list of remote APIs")
        entries += [(f"{ENV_JSON} entry {i + 1}", e) for i, e in enumerate(data)]
    apis = tuple(parse_entry(where, entry) for where, entry in entries)
    _check_unique(apis)
    return apis


def _read(path: str) -> list[Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RemoteApiError(f"{ENV_FILE}: cannot read {path}: {exc.strerror}") from None
    try:
        data: Any = tomllib.loads(text) if path.endswith(".toml") else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise RemoteApiError(f"{ENV_FILE}: {path} cannot be parsed: {exc}") from None
    if isinstance(data, dict):
        data = data.get("api", [])
    if not isinstance(data, list):
        raise RemoteApiError(f"{ENV_FILE}: {path} must hold a list of remote APIs")
    return data


def parse_entry(where: str, entry: Any) -> RemoteApi:
    """One entry (a JSON object / TOML table) as a RemoteApi; ``where`` names it in errors."""
    if not isinstance(entry, dict):
        raise RemoteApiError(f"{where}: must be an object")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise RemoteApiError(f"{where}: name must be 1-40 lowercase letters, digits, - or _")
    where = f"{where} ({name})"

    def fail(message: str) -> RemoteApiError:
        return RemoteApiError(f"{where}: {message}")

    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise fail(f"unknown field(s) {', '.join(unknown)}")

    prefix = entry.get("prefix", f"/api/remote/{name}/")
    if not isinstance(prefix, str) or not prefix.startswith(PREFIX_ROOT) or prefix[-1] != "/":
        raise fail(f"prefix must start with {PREFIX_ROOT} and end with /")
    if any(not _SEGMENT.match(s) or s in (".", "..") for s in prefix.strip("/").split("/")):
        raise fail("prefix must be plain path segments")
    upstream = _upstream(entry.get("upstream"), fail)
    methods = [
        m.upper() for m in _strings(entry.get("methods", list(DEFAULT_METHODS)), "methods", fail)
    ]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise fail(f"methods must be some of {', '.join(METHODS)} (got {', '.join(bad)})")
    paths = _strings(entry.get("paths", ["/"]), "paths", fail)
    for path in paths:
        segments = path.strip("/").split("/") if path != "/" else []
        if not path.startswith("/") or any(not _SEGMENT.match(s) for s in segments):
            raise fail(f"path {path!r} must start with / and hold plain segments")
        if any(s in (".", "..") for s in segments):
            raise fail(f"path {path!r} must not hold . or ..")
    require_user = entry.get("require_user", True)
    if not isinstance(require_user, bool):
        raise fail("require_user must be true or false")
    token = entry.get("token", "access")
    if token not in TOKENS:
        raise fail(f"token must be one of {', '.join(TOKENS)}")
    return RemoteApi(
        name=name,
        prefix=prefix,
        upstream=upstream,
        methods=tuple(dict.fromkeys(methods)),
        paths=tuple(paths),
        require_user=require_user,
        token=token,
        connect_timeout=_number(entry, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, 60, fail),
        read_timeout=_number(entry, "read_timeout", DEFAULT_READ_TIMEOUT, 600, fail),
        max_body_bytes=int(_number(entry, "max_body_bytes", DEFAULT_MAX_BODY_BYTES, 2**40, fail)),
        pool_size=int(_number(entry, "pool_size", DEFAULT_POOL_SIZE, 1000, fail)),
    )


def _upstream(value: Any, fail: Any) -> str:
    if not isinstance(value, str):
        raise fail("upstream must be a URL such as https://api.internal/v1")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("upstream must be an http:// or https:// URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise fail("upstream must not carry credentials, a query or a fragment")
    try:
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        raise fail("upstream has an invalid port") from None
    segments = [s for s in parts.path.split("/") if s]
    if "\\" in value or any(s in (".", "..") for s in segments):
        raise fail("upstream's path must be plain segments")
    return value


def _strings(value: Any, name: str, fail: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{name} must be a list of strings")
    return list(value)


def _number(entry: Mapping[str, Any], key: str, default: float, most: float, fail: Any) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= most:
        raise fail(f"{key} must be a number above 0 and at most {most:g}")
    return float(value)


def _check_unique(apis: tuple[RemoteApi, ...]) -> None:
    seen: dict[str, str] = {}
    for api in apis:
        for key in (f"name {api.name}", f"prefix {api.prefix}"):
            if key in seen:
                raise RemoteApiError(f"remote APIs {seen[key]} and {api.name} share the {key}")
            seen[key] = api.name
        for other in apis:
            if other is not api and api.prefix.startswith(other.prefix):
                raise RemoteApiError(
                    f"remote API {api.name}'s prefix {api.prefix} is inside {other.name}'s"
                )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (an http:// upstream is then acceptable)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
