"""Which upstream path a proxied request may reach, decided before anything leaves the BFF.

The part of the request path after the remote API's prefix is checked segment by segment and
re-encoded, so what the upstream receives is exactly what was checked. Refused (404, nothing
sent): ``.`` and ``..`` segments, empty segments (``//host``), backslashes, control
characters, ``%`` after decoding (double encoding), and, in the raw request line, encoded
``/``, ``\\``, ``.`` and NUL (``%2f``, ``%5c``, ``%2e``, ``%00``), which a server decodes into
the path before routing and an upstream might decode again. The upstream's host is never
taken from the request: each remote API has its own connection pool bound to one host and
port (bff.relay.forward), so an absolute URL or a ``Host`` header cannot change it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bff.remote_apis import RemoteApi

#: Encoded characters refused in the raw request target (case-insensitive).
_ENCODED_TRICKS = re.compile(r"%(?:2f|5c|2e|00)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: What stays unencoded in a segment sent upstream: RFC 3986's unreserved and sub-delims,
#: ":" and "@" (pchar). Everything else is percent-encoded from its UTF-8 bytes.
_SAFE = "-._~!$&'()*+,;=:@"


class PathRefused(Exception):
    """The path cannot be forwarded; ``reason`` says why (for logs, never for the client)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upstream_path(api: RemoteApi, rest: str, raw_target: str | None) -> str:
    """The path (no query) to send upstream for ``rest``, the decoded part of the request
    path after ``api.prefix``; ``raw_target`` is the request line's target as the client
    sent it, when the server tells (``RAW_URI`` / ``REQUEST_URI``).

    Raises PathRefused when the path holds a trick or lies outside the allow-list."""
    if raw_target is not None:
        raw_path = raw_target.split("?", 1)[0]
        if _ENCODED_TRICKS.search(raw_path):
            raise PathRefused("encoded slash, backslash, dot or NUL in the request target")
        if not raw_path.startswith("/"):
            raise PathRefused("absolute-form request target")
    if "\\" in rest or "%" in rest or _CONTROL.search(rest):
        raise PathRefused("backslash, percent or control character in the path")
    trailing = rest.endswith("/")
    segments = rest[:-1].split("/") if trailing else rest.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise PathRefused("empty, . or .. segment")
    relative = "/" + "/".join(segments) + ("/" if trailing else "")
    if not api.allows_path(relative):
        raise PathRefused("outside the allowed paths")
    encoded = "/".join(quote(s, safe=_SAFE) for s in segments)
    return f"{api.base_path}/{encoded}{'/' if trailing else ''}"
