"""The BFF's request guards and response headers, wired by ``init_app(app, settings)``.

- Startup refusal: ``validate(settings)`` runs first; an unsafe production config stops
  the app from being built at all.
- CSRF: every state-changing request (POST/PUT/PATCH/DELETE, on any route) must carry
  ``X-CSRF: 1``. A browser cannot add a custom header cross-origin without a CORS preflight,
  and we grant none to foreign origins (IETF draft "OAuth 2.0 for Browser-Based Apps",
  BFF section; Duende BFF uses the same header). Only views marked ``@csrf_exempt`` skip it
  (the PandaDoc webhook, which is server-to-server and HMAC-authenticated). The check does
  not look at ``TESTING``: a test proves the real behaviour.
- JSON only: a state-changing request with a body must be ``application/json`` (415
  otherwise), so no HTML form or ``text/plain`` "simple request" is ever parsed. The body
  is then parsed once, with limits, by ``bff.body`` (400 ``invalid_json`` outside them).
- CORS: only the configured origins, with credentials; everything else gets no grant.
- Headers: HSTS, CSP (``default-src 'none'; frame-ancestors 'none'`` on the API),
  nosniff, Referrer-Policy, X-Frame-Options, ``Cache-Control: no-store`` on the API and on
  any response that sets a cookie, ``Vary: Cookie``. Written here instead of with
  Flask-Talisman, which resets the session cookie's SameSite to Lax.
- Rate limits (Flask-Limiter): ``limit_mfa``, ``limit_sign_up``, ``limit_resend``, each
  counted per client address AND per username, shared by every route carrying the same
  decorator. ``limit_sign_in`` counts per client address; per username it counts *failed*
  passwords only, with progressive delays reset by a success (``SignInThrottle``), so a
  stranger cannot lock a user out. Storage is the Redis store when the store is Redis
  (shared by all instances), else ``memory://`` (per process: with several SQLite workers
  each worker counts alone; documented in docs/security.md).
- ProxyFix only when ``BFF_TRUSTED_PROXIES`` is set: otherwise X-Forwarded-For is ignored
  and a client cannot pick its own rate-limit key.
- Logging: every log record is scrubbed of passwords, codes, secrets, Cognito sessions,
  JWTs and session ids (``SecretScrubbingFilter``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, Request, Response, current_app, g, jsonify, request
from flask.sessions import SessionInterface, SessionMixin
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from limits.storage import MemoryStorage
from werkzeug.middleware.proxy_fix import ProxyFix

from bff import body
from bff.config import BffSettings, validate
from bff.errors import BffError, NotAuthorized, TooManyRequests

log = logging.getLogger(__name__)

EXTENSION = "bff_security"
API_PREFIX = "/api"
CSRF_HEADER = "X-CSRF"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HSTS = "max-age=63072000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
CORS_MAX_AGE = "600"

F = TypeVar("F", bound=Callable[..., Any])


class CsrfRequired(BffError):
    code = "csrf_required"
    status = 403
    default_message = f"State-changing requests must carry the header {CSRF_HEADER}: 1."


class UnsupportedMediaType(BffError):
    code = "unsupported_media_type"
    status = 415
    default_message = "Send the request body as application/json."


class OriginNotAllowed(BffError):
    code = "origin_not_allowed"
    status = 403
    default_message = "This origin may not call the API."


# ---- CSRF exemption -------------------------------------------------------------------------

_EXEMPT_ATTR = "_bff_csrf_exempt"
_exempt_names: set[str] = set()


def _qualified(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"


def csrf_exempt(view: F) -> F:
    """Mark a view (function, or MethodView class/method) as exempt from the CSRF header.

    Works above or below the route decorator: the mark is kept on the function and, by
    qualified name, in a registry that survives ``functools.wraps`` wrappers.
    """
    setattr(view, _EXEMPT_ATTR, True)
    _exempt_names.add(_qualified(view))
    return view


def _is_exempt(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    if view is None:
        return False
    candidates: list[Any] = [view]
    inner = view
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
        candidates.append(inner)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        candidates += [view_class, getattr(view_class, request.method.lower(), None)]
    return any(
        c is not None and (getattr(c, _EXEMPT_ATTR, False) or _qualified(c) in _exempt_names)
        for c in candidates
    )


# ---- rate limits ----------------------------------------------------------------------------


def client_address() -> str:
    """The client's address (ProxyFix has already applied trusted X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def _client_key() -> str:
    return "client:" + client_address()


def _username_of_request() -> str | None:
    """Who the attempt is for: the body's username/email, else the session's or flow's user."""
    cached = g.get("_bff_ratelimit_username", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    username: str | None = None
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        for field in ("username", "email"):
            value = data.get(field)
            if isinstance(value, str) and value.strip():
                username = value.strip().lower()
                break
    if username is None and "bff_sessions" in current_app.extensions:
        from bff import sessions

        record = sessions.current_session()
        if record and isinstance(record.get("username"), str):
            username = record["username"].lower()
        elif request.view_args and isinstance(request.view_args.get("flow_id"), str):
            store = current_app.extensions["bff_sessions"].store
            flow = store.flows.load(request.view_args["flow_id"])
            if flow is not None and flow.username:
                username = flow.username.lower()
    g._bff_ratelimit_username = username
    return username


def _username_key() -> str:
    # Hashed: the limiter's storage (Redis) then holds no e-mail addresses.
    username = _username_of_request() or ""
    return "user:" + hashlib.sha256(username.encode()).hexdigest()[:32]


LIMIT_NAMES = ("sign_in", "mfa", "sign_up", "resend")


def _scope_of(limit: RequestLimit) -> str:
    """The limit's scope (``sign_in:client``...): never the key, which holds an address."""
    for part in limit.request_args:
        name, _, per = str(part).partition(":")
        if name in LIMIT_NAMES and per in ("client", "user"):
            return str(part)
    return "other"


def _breach(limit: RequestLimit) -> Response:
    from bff.ops.metrics import count_rate_limit_refusal

    count_rate_limit_refusal(_scope_of(limit))
    retry_after = max(1, math.ceil(limit.reset_at - time.time()))
    error = TooManyRequests(
        f"Too many attempts. Try again in {retry_after} seconds.",
        details={"retry_after": retry_after},
    )
    response = jsonify({"error": error.to_dict()})
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


# One limiter for the process: views are decorated at import time, before any app exists.
# Everything per-app (storage, limits, enabled) is read at init_app / request time.
limiter = Limiter(
    key_func=_client_key,
    strategy="sliding-window-counter",
    headers_enabled=False,  # Retry-After is set on the 429 itself (see _breach)
    on_breach=_breach,
    key_prefix="bff-rl",
)


def _limit_value(name: str) -> Callable[[], str]:
    def value() -> str:
        settings: BffSettings = current_app.extensions[EXTENSION]
        return str(getattr(settings, f"ratelimit_{name}"))

    return value


def _limit_decorator(name: str) -> Callable[[F], F]:
    by_client = limiter.shared_limit(
        _limit_value(name), scope=f"{name}:client", key_func=_client_key
    )
    by_user = limiter.shared_limit(
        _limit_value(name),
        scope=f"{name}:user",
        key_func=_username_key,
        exempt_when=lambda: _username_of_request() is None,
    )

    def decorate(view: F) -> F:
        return cast(F, by_client(by_user(view)))  # flask-limiter's wrapper keeps the view's call

    decorate.__name__ = f"limit_{name}"
    decorate.__doc__ = f"Rate-limit a view with BFF_RATELIMIT_{name.upper()}, per client and user."
    return decorate


# ---- sign-in: progressive delays per username, counted on failures only -----------------

THROTTLE_EXTENSION = "bff_sign_in_throttle"
#: Failures are forgotten this long after the first of a series (and at once on success).
FAILURE_WINDOW_SECONDS = 3600


def failure_delay(failures: int, free: int, cap: int) -> int:
    """Seconds a username waits after ``failures`` wrong passwords: none for the first
    ``free - 1``, then 1, 2, 4, ... doubling, never more than ``cap``."""
    if failures < free:
        return 0
    return int(min(cap, 2 ** (failures - free)))


class SignInThrottle:
    """Per-username progressive delays (OWASP Authentication Cheat Sheet, "account lockout":
    delays, not hard lockouts; Cognito's own model for wrong passwords is the same).

    Only wrong passwords count, and a right one resets the count: a stranger cannot lock a
    user out, only make the next try wait at most ``cap`` seconds after their last failure.
    Counters live in the rate limiter's storage (Redis when the store is Redis: shared by
    every instance), keyed by a hash of the username.
    """

    def __init__(self, storage_url: str, options: dict[str, Any], free: int, cap: int) -> None:
        from limits.storage import Storage, storage_from_string

        storage = storage_from_string(storage_url, **options)
        assert isinstance(storage, Storage)  # the synchronous kind, for these URL schemes
        self.storage: Storage = storage
        self.free = free
        self.cap = cap

    @staticmethod
    def _keys(username: str) -> tuple[str, str]:
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        return f"bff-signin-fail:{digest}", f"bff-signin-wait:{digest}"

    def wait(self, username: str) -> int:
        """Seconds left before ``username`` may try again (0: now)."""
        _, wait_key = self._keys(username)
        if self.storage.get(wait_key) <= 0:
            return 0
        return max(1, math.ceil(self.storage.get_expiry(wait_key) - time.time()))

    def failed(self, username: str) -> None:
        fail_key, wait_key = self._keys(username)
        failures = self.storage.incr(fail_key, FAILURE_WINDOW_SECONDS)
        delay = failure_delay(failures, self.free, self.cap)
        if delay:
            self.storage.clear(wait_key)
            self.storage.incr(wait_key, delay)

    def succeeded(self, username: str) -> None:
        for key in self._keys(username):
            self.storage.clear(key)


def _throttle_sign_in(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        throttle: SignInThrottle | None = current_app.extensions.get(THROTTLE_EXTENSION)
        username = _username_of_request() if throttle is not None else None
        if throttle is None or not username:
            return view(*args, **kwargs)
        wait = throttle.wait(username)
        if wait:
            error = TooManyRequests(
                f"Too many failed sign-ins for this user. Try again in {wait} seconds.",
                details={"retry_after": wait},
            )
            response = jsonify({"error": error.to_dict()})
            response.status_code = 429
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            result = view(*args, **kwargs)
        except NotAuthorized:
            throttle.failed(username)
            raise
        throttle.succeeded(username)
        return result

    return wrapper  # type: ignore[return-value]


_sign_in_by_client = limiter.shared_limit(
    _limit_value("sign_in"), scope="sign_in:client", key_func=_client_key
)


def limit_sign_in(view: F) -> F:
    """Rate-limit sign-in per client address (BFF_RATELIMIT_SIGN_IN) and delay it per
    username after failed passwords only (``SignInThrottle``)."""
    return cast(F, _sign_in_by_client(_throttle_sign_in(view)))


limit_mfa = _limit_decorator("mfa")
limit_sign_up = _limit_decorator("sign_up")
limit_resend = _limit_decorator("resend")


def _rate_limited(exc: RateLimitExceeded) -> Response:
    if isinstance(exc.response, Response):
        return exc.response  # built by _breach in the project's error shape
    response = jsonify({"error": TooManyRequests().to_dict()})
    response.status_code = 429
    response.headers["Retry-After"] = "60"
    return response


class _Sweeper(threading.Thread):
    """Drops expired counters of a ``memory://`` rate-limit storage every few seconds.

    limits' MemoryStorage starts a new ``threading.Timer`` (10 ms) from every hit whose
    previous timer has finished, to drop expired counters: a thread start per request or so,
    which a busy machine makes cost milliseconds (tests/benchmarks/step_overhead.py). Its
    counters are correct without that sweep (``get`` checks expiry itself); the sweep only
    frees memory. So one long-lived sweeper takes the timer's place: alive, so the storage
    starts no timer, and it ends when the storage is gone.
    """

    INTERVAL_SECONDS = 5.0

    def __init__(self, storage: Any, expire: Callable[[], None]) -> None:
        super().__init__(name="bff-ratelimit-sweeper", daemon=True)
        self._storage = weakref.ref(storage)
        self._expire = weakref.WeakMethod(expire)

    def run(self) -> None:
        while True:
            time.sleep(self.INTERVAL_SECONDS)
            expire = self._expire()
            if expire is None or self._storage() is None:
                return
            expire()
            del expire

    def cancel(self) -> None:
        """threading.Timer's API, which MemoryStorage may call."""


def _sweep_memory_storage_in_the_background() -> None:
    storage = getattr(limiter, "_storage", None)
    expire = getattr(storage, "_MemoryStorage__expire_events", None)
    if not isinstance(storage, MemoryStorage) or expire is None or not hasattr(storage, "timer"):
        return  # Redis, or a limits version that changed how it expires: nothing to do
    sweeper = _Sweeper(storage, expire)
    sweeper.start()
    storage.timer = sweeper  # type: ignore[assignment]  # duck-typed: is_alive, cancel


# ---- request guards and headers -------------------------------------------------------------


def _is_api() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def _origin_allowed(settings: BffSettings, origin: str | None) -> bool:
    return bool(origin and origin.rstrip("/") in settings.cors_origins)


def _guard() -> Response | None:
    settings: BffSettings = current_app.extensions[EXTENSION]
    origin = request.headers.get("Origin")
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        if not _origin_allowed(settings, origin):
            raise OriginNotAllowed()
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {CSRF_HEADER}"
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        return response
    if request.method not in STATE_CHANGING:
        return None
    if request.headers.get(CSRF_HEADER) != "1" and not _is_exempt(current_app):
        raise CsrfRequired()
    if (body.has_body(request) or request.content_type) and not _is_json_type(request.mimetype):
        raise UnsupportedMediaType()
    return None


def _is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _headers(response: Response) -> Response:
    settings: BffSettings = current_app.extensions[EXTENSION]
    headers = response.headers
    origin = request.headers.get("Origin")
    if _origin_allowed(settings, origin):
        headers["Access-Control-Allow-Origin"] = origin.rstrip("/")  # type: ignore[union-attr]
        headers["Access-Control-Allow-Credentials"] = "true"
        headers["Access-Control-Expose-Headers"] = "Retry-After"
    if settings.cors_origins:
        response.vary.add("Origin")
    headers["Strict-Transport-Security"] = HSTS
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if _is_api():
        headers["Content-Security-Policy"] = API_CSP
        headers["Cache-Control"] = "no-store"
    else:
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    if "Set-Cookie" in headers:
        headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


class _NoFlaskSession(SessionInterface):
    """Flask's ``session`` is never used here: every request gets the null session (writing
    to it raises), and nothing is saved."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None  # Flask then uses make_null_session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def init_app(app: Flask, settings: BffSettings) -> None:
    """Refuse an unsafe config, then install guards, headers, rate limits, log scrubbing."""
    validate(settings)
    app.extensions[EXTENSION] = settings
    app.config.setdefault("SECRET_KEY", settings.secret_key)
    # Flask's own cookie session is not used (the store holds sessions: bff.sessions): it is
    # neither opened nor saved, so no request pays for it or can set its cookie.
    app.session_interface = _NoFlaskSession()
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
    )
    if settings.ratelimit_storage_url.startswith(("redis://", "rediss://", "unix://")):
        # The counters' Redis gets the store's bound too: a stopped Redis is a quick 503
        # store_unavailable, not a request hanging on the limiter (limits passes these
        # options to redis-py).
        timeout = settings.store_timeout_seconds
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
        }
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    # Guards first: a refused or preflight request never reaches the rate limiter. Then the
    # one body parser (bff.body): nothing after it (rate-limit keys, schemas, views) reads
    # a body outside its limits.
    app.before_request(_guard)
    app.before_request(body.parse_request_body)
    app.after_request(_headers)
    limiter.init_app(app)
    # flask-limiter also checks application-wide limits in a before_request hook, on every
    # request. There are none here: each limit decorates its view (limit_sign_in...) and is
    # checked there. The hook only cost a limit lookup per request, so it goes.
    app.before_request_funcs[None] = [
        hook
        for hook in app.before_request_funcs.get(None, [])
        if hook != limiter._check_request_limit
    ]
    _sweep_memory_storage_in_the_background()
    if settings.ratelimit_enabled:
        app.extensions[THROTTLE_EXTENSION] = SignInThrottle(
            settings.ratelimit_storage_url,
            app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
            settings.sign_in_free_failures,
            settings.sign_in_delay_cap_seconds,
        )
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    install_log_scrubbing()


# ---- log scrubbing --------------------------------------------------------------------------

_SECRET_KEYS = (
    r"(?:new_|previous_|proposed_|temporary_)?password|PASSWORD_CLAIM_SIGNATURE|"
    r"(?:confirmation|mfa|totp|user|otp|verification)?_?code|SOFTWARE_TOKEN_MFA_CODE|SMS_MFA_CODE|"
    r"EMAIL_OTP_CODE|(?:totp_|client_|device_)?secret(?:_code|_hash)?|secret_?code|"
    r"SECRET_HASH|(?:cognito_)?session(?:_id)?|sid|(?:access_|refresh_|id_)?tokens?|"
    r"accesstoken|refreshtoken|idtoken|device_?password|cookie|set-cookie|authorization|"
    r"x-admin-key|x-csrf-token|api_?key|signature|__Host-bff_session|__Host-bff_device|"
    r"bff_session|bff_device"
)
_KEY_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])([\"']?(?:" + _SECRET_KEYS + r")[\"']?\s*[:=]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s,;&}\])]+)"
)
# A query-string parameter whose name carries a secret-ish word anywhere (x_admin_key,
# X-Admin-Key, api_key, id_token, client_secret, signature...): its value, up to the next
# & or space, is redacted, whatever precedes the name.
_QUERY_SECRET = re.compile(
    r"(?i)([?&][^=&\s]*(?:key|secret|token|passw|code|sig|session|auth|otp|cookie)[^=&\s]*=)"
    r"([^&\s\"']*)"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_\-+/=])[A-Za-z0-9_\-+/]{32,}={0,2}(?![A-Za-z0-9_\-+/=])")
_BASE32 = re.compile(r"\b[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9])")
_DIGITS = re.compile(r"(?<![\d.:/-])\d{6,8}(?![\d.:/-])")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
REDACTED = "[redacted]"


def _redact_value(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


def _redact_opaque(match: re.Match[str]) -> str:
    text = match.group(0)
    if _UUID.match(text):
        return text
    if "/" in text and not any(c.isupper() for c in text):
        return text  # a file path in a traceback (base64 secrets always mix in capitals)
    classes = sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
        )
    )
    return REDACTED if classes >= 2 else text


def _redact_base32(match: re.Match[str]) -> str:
    text = match.group(0)
    return REDACTED if any(c.isdigit() for c in text) else text


def scrub(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``[redacted]``."""
    text = _KEY_VALUE.sub(_redact_value, text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _OPAQUE.sub(_redact_opaque, text)
    text = _BASE32.sub(_redact_base32, text)
    return _DIGITS.sub(REDACTED, text)


class SecretScrubbingFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with secrets redacted; never drops."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_bff_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: keep the template, drop the args
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._bff_scrubbed = True
        return True


_install_lock = threading.Lock()
_installed = False


def install_log_scrubbing() -> None:
    """Scrub every log record of the process, whatever logger or handler it goes to.

    A filter on one logger misses records of its children and of handlers added later
    (gunicorn's, pytest's), so the filter runs in the log record factory: every record is
    clean from birth. Idempotent.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()
        scrubber = SecretScrubbingFilter()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrubber.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
