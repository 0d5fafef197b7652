"""The relay's routes: one proxy route per remote API.

A remote API's route is ``<prefix><path:rest>`` with exactly the configured methods, so a
method outside the allow-list is 405 from the router (with ``Allow``) and a path outside it
404 from bff.relay.paths: in both cases nothing leaves the BFF. The anti-CSRF header is
required on every proxied request, GET included (RFC 10017, 6.1.3.3.2: the BFF cannot tell
a safe upstream route from an unsafe one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, NotFound

from bff import body
from bff.config import BffSettings
from bff.errors import BffError, CsrfRequired
from bff.ops import request_id
from bff.relay import metrics, session_access
from bff.relay.forward import (
    BodyTooLarge,
    Outgoing,
    Upstream,
    bounded_body,
    request_headers,
    response_headers,
    send,
    stream_answer,
)
from bff.relay.paths import PathRefused, upstream_path
from bff.remote_apis import is_loopback
from bff.security.csrf import CSRF_HEADER
from bff.security.proxies import client_address

log = logging.getLogger(__name__)

ENDPOINT_PREFIX = "relay_"
EXTENSION = "bff_relay"


def add_proxy_route(app: Flask, upstream: Upstream) -> None:
    api = upstream.api
    view = body.streams_own_body(_proxy_view(upstream))
    app.add_url_rule(
        api.prefix + "<path:rest>",
        endpoint=f"{ENDPOINT_PREFIX}proxy_{api.name}",
        view_func=view,
        methods=list(api.methods),
        merge_slashes=False,  # "//" must reach the path check, not become a redirect
    )


def _proxy_view(upstream: Upstream) -> Callable[[str], Response]:
    api = upstream.api

    def proxy(rest: str) -> Response:
        status = 500
        try:
            response = _forward(upstream, rest)
            status = response.status_code
            return response
        except BffError as exc:
            status = exc.status
            raise
        except HTTPException as exc:
            status = exc.code or 500
            raise
        finally:
            metrics.count_request(api.name, request.method, status)

    proxy.__name__ = f"proxy_{api.name}"
    return proxy


def _forward(upstream: Upstream, rest: str) -> Response:
    api = upstream.api
    if request.headers.get(CSRF_HEADER) != "1":
        raise CsrfRequired(f"Requests to this API must carry the header {CSRF_HEADER}: 1.")
    raw_target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    try:
        path = upstream_path(api, rest, raw_target)
    except PathRefused as exc:
        log.info("relay %s: path refused (%s)", api.name, exc.reason)
        raise NotFound() from None
    added = {
        "X-Forwarded-For": client_address(),
        "X-Forwarded-Proto": request.scheme,
        "X-Forwarded-Host": request.host,
        "X-Forwarded-Prefix": api.prefix.rstrip("/"),
    }
    rid = request_id.current()
    if rid:
        added["X-Request-Id"] = rid
    if api.token == "access" and (api.require_user or session_access.has_user()):
        added["Authorization"] = "Bearer " + session_access.signed_in_user().access_token
    length = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    outgoing_body = None
    if length is not None and length > api.max_body_bytes:
        raise BodyTooLarge()
    if length or chunked:
        # The API's limit, not the app's JSON-sized one. Werkzeug refuses a chunked body
        # that reaches its limit; bounded_body refuses one past the API's: one byte apart.
        request.max_content_length = api.max_body_bytes + 1
        outgoing_body = bounded_body(request.stream, api.max_body_bytes)
        if length:
            added["Content-Length"] = str(length)
    query = request.environ.get("QUERY_STRING") or ""
    outgoing = Outgoing(
        method=request.method,
        target=path + (f"?{query}" if query else ""),
        headers=request_headers(list(request.headers.items()), added),
        body=outgoing_body,
        length=length if outgoing_body is not None else None,
    )
    started = time.perf_counter()
    answer = send(upstream, outgoing)
    elapsed = time.perf_counter() - started
    metrics.observe_upstream(api.name, elapsed)
    # DEBUG: the request's own line (bff.ops) already has the route, status and time.
    log.debug("relay %s %s: %d in %.1f ms", api.name, request.method, answer.status, elapsed * 1000)

    method = request.method  # the generator below runs after the request context ends

    def done(complete: bool) -> None:
        if not complete:
            log.info("relay %s %s: answer cut short", api.name, method)

    headers = response_headers(answer)
    response = Response(
        stream_answer(answer, done), status=answer.status, headers=headers, direct_passthrough=True
    )
    if not any(name.lower() == "content-type" for name, _ in headers):
        del response.headers["Content-Type"]  # not Flask's default text/html
    return response


def init_app(app: Flask, settings: BffSettings) -> dict[str, Upstream]:
    """One route (and one connection pool) per remote API of ``settings``."""
    upstreams: dict[str, Upstream] = {}
    for remote in settings.remote_apis:
        if remote.scheme == "http" and not is_loopback(remote.host) and not settings.is_local:
            log.warning(
                "remote API %s: the access token goes to %s over plain http",
                remote.name,
                remote.host,
            )
        upstream = Upstream.open(remote)
        upstreams[remote.name] = upstream
        add_proxy_route(app, upstream)
    app.extensions[EXTENSION] = upstreams
    return upstreams
