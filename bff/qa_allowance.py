"""The local-mode QA allowance: a request carrying the admin key skips the rate limits.

``bff qa run`` plays every journey in tests/qa/journeys against a default ``bff serve``
from one address, in a minute: far more sign-ins, codes and resends than the per-address
limits allow a browser (BFF_RATELIMIT_*), which must stay as they are. So in **local mode
only**, a request whose ``X-Admin-Key`` is the BFF's admin key (``bff serve`` generates
one in the instance folder, mode 0600, and ``bff qa run`` sends it on every request) is
exempt from the rate limits. Production mode never exempts anything, whatever the key;
the per-username sign-in delay after failed passwords (bff.security.throttle) applies to
everyone.
"""

from __future__ import annotations

import hmac

from flask import Flask, current_app, request

from bff.api.admin_views import ADMIN_HEADER
from bff.api.context import EXTENSION
from bff.config import BffSettings
from bff.security import rate_limits


def exempt() -> bool:
    """Whether this request is a local QA tool's (local mode, the admin key)."""
    extension = current_app.extensions.get(EXTENSION)
    settings: BffSettings | None = extension["settings"] if extension else None
    if settings is None or not settings.is_local or not settings.admin_api_key:
        return False
    sent = request.headers.get(ADMIN_HEADER, "")
    return hmac.compare_digest(sent.encode(), settings.admin_api_key.encode())


def init_app(app: Flask) -> None:
    """Register the allowance with the app's rate limits (after bff.security's init_app;
    it reads the app's own settings per request)."""
    rate_limits.exempt_when(app, exempt)
