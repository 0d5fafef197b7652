"""Forwarding one request to its remote API with urllib3, streaming both bodies.

urllib3 (already installed with botocore) gives what the proxy needs and nothing more: a
connection pool per upstream with keep-alive (``HTTPConnectionPool``; the pool is bound to
one host and port, and ``assert_same_host`` makes any other destination an error), separate
connect and read timeouts, request bodies sent from an iterator (chunked when the length is
unknown) and responses read in chunks (``preload_content=False``). Retries are off: a
proxied POST must not be sent twice, and the browser decides whether to try again.

Headers: the browser's ``Cookie``, ``Authorization``, ``X-CSRF``, ``Host``, the BFF's own
admin key, forwarding headers and hop-by-hop headers (RFC 9110 section 7.6.1, and any named
in ``Connection``) never reach the upstream; it gets the user's access token as
``Authorization: Bearer``, ``X-Forwarded-For/Proto/Host/Prefix`` and the request id. The
upstream's answer comes back as it was (status, body, headers), minus hop-by-hop headers and
``Set-Cookie``: the upstream shares no cookies with the browser, and a cookie set on the
BFF's origin could shadow the session cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from bff.errors import PayloadTooLarge, UpstreamTimeout, UpstreamUnavailable
from bff.remote_apis import RemoteApi

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
#: Hop-by-hop headers (RFC 9110 7.6.1) and what a proxy must not pass on either way.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
#: Request headers of the browser's that are the BFF's business, not the upstream's.
DROPPED_REQUEST = HOP_BY_HOP | {
    "cookie",
    "authorization",
    "x-csrf",
    "host",
    "content-length",
    "expect",
    "x-admin-key",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-prefix",
    "x-forwarded-port",
    "x-real-ip",
    "x-request-id",
}
DROPPED_RESPONSE = HOP_BY_HOP | {"set-cookie", "set-cookie2"}


class BodyTooLarge(PayloadTooLarge):
    """A proxied body past its remote API's ``max_body_bytes``."""


@dataclass(frozen=True)
class Outgoing:
    """What is sent upstream: method, path with query, headers, body."""

    method: str
    target: str
    headers: dict[str, str]
    body: Iterator[bytes] | None
    length: int | None


@dataclass
class Upstream:
    """One remote API's connection pool (one per process; urllib3 pools are thread-safe)."""

    api: RemoteApi
    pool: urllib3.HTTPConnectionPool

    @classmethod
    def open(cls, api: RemoteApi) -> Upstream:
        timeout = urllib3.Timeout(connect=api.connect_timeout, read=api.read_timeout)
        kind = urllib3.HTTPSConnectionPool if api.scheme == "https" else urllib3.HTTPConnectionPool
        pool = kind(
            api.host,
            api.port,
            timeout=timeout,
            maxsize=api.pool_size,
            block=False,  # past maxsize: a new connection, not kept afterwards
            retries=False,
        )
        return cls(api, pool)

    def close(self) -> None:
        self.pool.close()


def request_headers(incoming: list[tuple[str, str]], added: dict[str, str]) -> dict[str, str]:
    """The headers sent upstream: the browser's minus the dropped ones, plus ``added``."""
    named_in_connection = {
        token.strip().lower()
        for name, value in incoming
        if name.lower() == "connection"
        for token in value.split(",")
    }
    kept: dict[str, str] = {}
    for name, value in incoming:
        lower = name.lower()
        if lower in DROPPED_REQUEST or lower in named_in_connection:
            continue
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    kept.update(added)
    return kept


def response_headers(upstream: urllib3.BaseHTTPResponse) -> list[tuple[str, str]]:
    """The upstream's answer headers minus hop-by-hop ones and ``Set-Cookie``."""
    named = {
        token.strip().lower()
        for token in (upstream.headers.get("Connection") or "").split(",")
        if token.strip()
    }
    return [
        (name, value)
        for name, value in upstream.headers.items()
        if name.lower() not in DROPPED_RESPONSE and name.lower() not in named
    ]


def bounded_body(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    """The browser's body in chunks, never holding more than one; BodyTooLarge past
    ``limit`` bytes (a chunked body has no length to check up front)."""
    sent = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return
        sent += len(chunk)
        if sent > limit:
            raise BodyTooLarge()
        yield chunk


def send(upstream: Upstream, outgoing: Outgoing) -> urllib3.BaseHTTPResponse:
    """Send ``outgoing`` and return the answer with its body unread. 502 when the upstream
    cannot be reached, 504 when it does not connect or answer in time, 413 when the body
    grows past the limit while streaming."""
    try:
        return upstream.pool.urlopen(
            outgoing.method,
            outgoing.target,
            body=outgoing.body,
            headers=outgoing.headers,
            chunked=outgoing.body is not None and outgoing.length is None,
            preload_content=False,
            decode_content=False,  # bytes pass through as sent (gzip stays gzip)
            redirect=False,
            assert_same_host=True,
            release_conn=False,
        )
    except BodyTooLarge:
        raise
    except NewConnectionError:
        # Checked before ConnectTimeoutError, its base class in urllib3 2.
        raise UpstreamUnavailable() from None
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError):
        raise UpstreamTimeout() from None
    except ProtocolError as exc:
        if isinstance(exc.__context__, BodyTooLarge):
            raise BodyTooLarge() from None
        if isinstance(exc.__context__, TimeoutError):
            raise UpstreamTimeout() from None
        raise UpstreamUnavailable() from None
    except HTTPError:
        raise UpstreamUnavailable() from None


def stream_answer(
    upstream: urllib3.BaseHTTPResponse, done: Callable[[bool], None]
) -> Iterator[bytes]:
    """The upstream's body in chunks as it arrives; ``done(True)`` once all of it went
    through, ``done(False)`` when the upstream or the browser broke off. The connection goes
    back to the pool only after a complete read."""
    complete = False
    try:
        yield from upstream.stream(CHUNK_BYTES, decode_content=False)
        complete = True
    except (HTTPError, OSError) as exc:
        # The status line is already sent: all the proxy can do is cut the body short.
        log.warning("relay: upstream body broke off: %s", type(exc).__name__)
    finally:
        if complete:
            upstream.release_conn()
        else:
            upstream.close()
        done(complete)
