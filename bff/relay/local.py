"""Local APIs: a team's own routes in the BFF app, behind the same rules as remote ones.

``@local_api`` turns a Flask view into one that answers only a signed-in browser sending the
anti-CSRF header (any method, GET included), and hands it the user first::

    from flask import Blueprint
    from bff.relay import SignedInUser, local_api

    notes = Blueprint("team_notes", __name__, url_prefix="/api/local")

    @notes.get("/whoami")
    @local_api
    def whoami(user: SignedInUser) -> dict[str, str]:
        return {"email": user.claims["email"]}

    app = create_app()
    app.register_blueprint(notes)

``user.claims`` are the ID token's claims; ``user.access_token`` is good for at least a
minute (refreshed once per session when it was about to expire), for calling other APIs.
Without a session the answer is 401 ``not_signed_in`` (``session_expired`` when the refresh
was refused); without ``X-CSRF: 1``, 403 ``csrf_required``; both in the API's error shape.
Put local APIs under ``/api/`` so they get the API's headers (``no-store``, the strict CSP)
and CORS rules.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from flask import request

from bff.errors import CsrfRequired
from bff.relay.session_access import SignedInUser, signed_in_user
from bff.security.csrf import CSRF_HEADER

P = ParamSpec("P")
R = TypeVar("R")


def local_api(view: Callable[Concatenate[SignedInUser, P], R]) -> Callable[P, R]:
    """Require a signed-in session and ``X-CSRF: 1``; call ``view(user, **route_args)``."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if request.headers.get(CSRF_HEADER) != "1":
            raise CsrfRequired(f"Requests to this API must carry the header {CSRF_HEADER}: 1.")
        return view(signed_in_user(), *args, **kwargs)

    return guarded


__all__ = ["SignedInUser", "local_api"]
