"""Who the client is: ``X-Forwarded-For`` is trusted only behind ``BFF_TRUSTED_PROXIES``.

With no trusted proxy the header is ignored (a client cannot pick its own rate-limit key);
with ``n`` of them, werkzeug's ``ProxyFix`` takes the address the ``n``-th proxy saw.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from bff.config import BffSettings


def client_address() -> str:
    """The client's address (ProxyFix has already applied a trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def init_app(app: Flask, settings: BffSettings) -> None:
    """Wrap the WSGI app in ProxyFix when proxies are trusted; otherwise nothing."""
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
