"""``GET /api/session``: what the SPA may know of its session, for a "signed out" screen or
a countdown. The session is read through the relay's one door to it
(bff.relay.session_access), which also refreshes an access token about to expire."""

from __future__ import annotations

from typing import Any

from bff import security
from bff.api.blueprint import Blueprint
from bff.relay import session_access
from bff.relay.schemas import SessionSchema

#: The route that ends the session (POST, with ``X-CSRF: 1``), as ``/api/session`` tells.
SIGN_OUT_URL = "/api/sign-out"

blp = Blueprint(
    "session_status",
    __name__,
    url_prefix="/api",
    description="The browser session as the SPA may see it: claims and time left.",
)


@blp.route("/session", methods=["GET"])
@security.limit_read
@blp.response(200, SessionSchema)
def session() -> dict[str, Any]:
    """The signed-in user's claims, the seconds left before the session ends for idleness
    (`idle_expires_in`) and for good (`absolute_expires_in`), and where to sign out
    (`sign_out_url`, a POST with `X-CSRF: 1`). 401 without a session. Reading it counts as
    activity, like any request of the session."""
    user = session_access.signed_in_user()
    times = session_access.session_times()
    return {
        "user": user.claims,
        "idle_expires_in": times.idle_expires_in,
        "absolute_expires_in": times.absolute_expires_in,
        "sign_out_url": SIGN_OUT_URL,
    }
