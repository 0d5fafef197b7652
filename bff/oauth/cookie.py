"""The pre-sign-in cookie: the id of a started sign-in's record (bff.oauth.pre_sign_in),
the only part of it the browser holds.

The cookie is ``SameSite=Lax``, not ``Strict`` like the session cookie: the callback is a
top-level navigation that starts on the pool's domain (a cross-site redirect when the
domain is Cognito's), and browsers send ``Strict`` cookies on no request a cross-site
navigation leads to. ``Lax`` cookies go with top-level GET navigations, which is exactly
the callback, and with nothing else cross-site. HttpOnly, Path=/, no Domain, and the
``__Host-`` prefix whenever cookies are Secure, like the session cookie.
"""

from __future__ import annotations

import re
from typing import Final

from flask import Request
from werkzeug.wrappers import Response

COOKIE: Final = "__Host-bff_oauth"
LOCAL_COOKIE: Final = "bff_oauth"  # local plain-http mode: __Host- requires Secure
_ID_SHAPE: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")


def cookie_name(secure: bool) -> str:
    return COOKIE if secure else LOCAL_COOKIE


def cookie_value(request: Request, secure: bool) -> str | None:
    """The browser's pre-sign-in id, if it has the shape of one."""
    value = request.cookies.get(cookie_name(secure))
    return value if value and _ID_SHAPE.match(value) else None


def set_cookie(response: Response, record_id: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        cookie_name(secure),
        record_id,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        cookie_name(secure), path="/", secure=secure, httponly=True, samesite="Lax"
    )
