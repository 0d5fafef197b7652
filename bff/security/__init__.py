"""The BFF's request guards, response headers, rate limits and log scrubbing.

``init_app(app, settings)`` refuses an unsafe production config first (``validate``: the
app is not built at all), then wires each concern through its own ``init_app``, in the
order a request meets them:

- bff.security.proxies: ProxyFix only when ``BFF_TRUSTED_PROXIES`` is set;
- bff.security.headers: CORS preflights answered first; security headers on every response;
- bff.security.csrf: ``X-CSRF: 1`` and JSON-only bodies on state-changing requests, then
  the one body parser (bff.body): nothing after it (rate-limit keys, schemas, views) reads
  a body outside its limits;
- bff.security.rate_limits, bff.security.throttle and bff.security.read_limits: the
  limits the views are decorated with, and bff.security.budgets: the failure budgets the
  flows charge (``failure_budgets(app)``; counters in bff.security.counters);
- bff.security.step_up: the budget of wrong current passwords per session;
- bff.security.scrubbing: secrets scrubbed from every log record.

Every refusal raises a ``bff.errors.BffError`` and leaves through the one error handler
(bff.api.errors), with ``Retry-After`` where a wait applies. Each module keeps its state
in ``app.extensions``; nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin

from bff import body
from bff.config import BffSettings
from bff.config_checks import validate
from bff.security import (
    csrf,
    headers,
    proxies,
    rate_limits,
    read_limits,
    scrubbing,
    step_up,
    throttle,
)
from bff.security.csrf import STATE_CHANGING, csrf_exempt
from bff.security.rate_limits import failure_budgets, limit_mfa, limit_resend, limit_sign_up
from bff.security.read_limits import limit_read
from bff.security.scrubbing import install_log_scrubbing, scrub
from bff.security.throttle import failure_delay, limit_sign_in, throttle_passwords

__all__ = [
    "EXTENSION",
    "STATE_CHANGING",
    "csrf_exempt",
    "failure_budgets",
    "failure_delay",
    "init_app",
    "install_log_scrubbing",
    "limit_mfa",
    "limit_read",
    "limit_resend",
    "limit_sign_in",
    "limit_sign_up",
    "scrub",
    "throttle_passwords",
]

#: ``app.extensions[EXTENSION]``: the settings the app's guards were built with.
EXTENSION = "bff_security"


class _NoFlaskSession(SessionInterface):
    """Flask's ``session`` is never used here: every request gets the null session (writing
    to it raises), and nothing is saved."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None  # Flask then uses make_null_session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def init_app(app: Flask, settings: BffSettings, clock: Callable[[], float] | None = None) -> None:
    """Refuse an unsafe config, then install guards, headers, rate limits, log scrubbing.
    ``clock``: the store's (epoch seconds), for rate-limit counters kept in this process."""
    validate(settings)
    app.extensions[EXTENSION] = settings
    app.config.setdefault("SECRET_KEY", settings.secret_key)
    # Flask's own cookie session is not used (the store holds sessions: bff.sessions): it is
    # neither opened nor saved, so no request pays for it or can set its cookie.
    app.session_interface = _NoFlaskSession()
    proxies.init_app(app, settings)
    headers.init_app(app, settings)
    csrf.init_app(app)
    app.before_request(body.parse_request_body)
    rate_limits.init_app(app, settings, clock)
    throttle.init_app(app, settings)
    read_limits.init_app(app, settings)
    step_up.init_app(app, settings)
    scrubbing.init_app(app)
