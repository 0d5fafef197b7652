"""Response headers on every answer, and CORS for the configured origins only.

- Headers: HSTS, CSP (``default-src 'none'; frame-ancestors 'none'`` on the API), nosniff,
  Referrer-Policy, X-Frame-Options, ``Cache-Control: no-store`` on the API and on any
  response that sets a cookie, ``Vary: Cookie``. Written here instead of with
  Flask-Talisman, which resets the session cookie's SameSite to Lax.
- CORS: a preflight from a configured origin is answered (credentials allowed, the CSRF
  header among the allowed ones); any other origin's preflight is 403
  ``origin_not_allowed``, and its requests get no grant.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app, request

from bff.config import BffSettings
from bff.errors import OriginNotAllowed
from bff.security.csrf import CSRF_HEADER

EXTENSION = "bff_headers"
API_PREFIX = "/api"
HSTS = "max-age=63072000; includeSubDomains"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
CORS_MAX_AGE = "600"


@dataclass(frozen=True)
class CorsPolicy:
    """The origins that may call the API with credentials (``BFF_CORS_ORIGINS``)."""

    origins: tuple[str, ...]

    def allows(self, origin: str | None) -> bool:
        return bool(origin and origin.rstrip("/") in self.origins)


def _policy() -> CorsPolicy:
    policy: CorsPolicy = current_app.extensions[EXTENSION]
    return policy


def _is_api() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def answer_preflight() -> Response | None:
    """A CORS preflight is answered here, before any other guard; other requests pass."""
    if request.method != "OPTIONS" or not request.headers.get("Access-Control-Request-Method"):
        return None
    if not _policy().allows(request.headers.get("Origin")):
        raise OriginNotAllowed()
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
    response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {CSRF_HEADER}"
    response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return response


def add_headers(response: Response) -> Response:
    """The security headers and, for an allowed origin, the CORS grant."""
    policy = _policy()
    headers = response.headers
    origin = request.headers.get("Origin")
    if origin and policy.allows(origin):
        headers["Access-Control-Allow-Origin"] = origin.rstrip("/")
        headers["Access-Control-Allow-Credentials"] = "true"
        headers["Access-Control-Expose-Headers"] = "Retry-After"
    if policy.origins:
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


def init_app(app: Flask, settings: BffSettings) -> None:
    """Answer preflights first of the guards; add the headers to every response."""
    app.extensions[EXTENSION] = CorsPolicy(tuple(settings.cors_origins))
    app.before_request(answer_preflight)
    app.after_request(add_headers)
