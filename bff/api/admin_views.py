"""Operations: create users with a temporary password, resend it, look users up, read a
flow's journal.

Deny by default: a ``before_request`` on the whole blueprint checks ``X-Admin-Key``
against ``BFF_ADMIN_API_KEY`` in constant time before any admin view runs, so a route added
later is protected without remembering to be. No key configured → every admin route is 403;
no header → 401; a wrong key → 403.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import request

from bff.api import context
from bff.api.blueprint import Blueprint
from bff.api.schemas import (
    CreateUserSchema,
    EmptySchema,
    JournalSchema,
    ListUsersQuerySchema,
    UserPageSchema,
    UserSchema,
)
from bff.cognito.types import CognitoUser
from bff.errors import AdminDisabled, AdminKeyMissing, AdminKeyRejected
from bff.flows import NoFlow, applicants

log = logging.getLogger(__name__)

ADMIN_HEADER = "X-Admin-Key"

blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/api/admin",
    description=f"Operations. Every route needs the header {ADMIN_HEADER}.",
)


@blp.before_request
def require_admin_key() -> None:
    if request.method == "OPTIONS":
        return
    expected = context.settings().admin_api_key
    if not expected:
        raise AdminDisabled()
    given = request.headers.get(ADMIN_HEADER)
    if not given:
        raise AdminKeyMissing()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("admin route %s refused: wrong %s", request.path, ADMIN_HEADER)
        raise AdminKeyRejected()


def user_dict(user: CognitoUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "status": user.status,
        "enabled": user.enabled,
        "attributes": dict(user.attributes),
        "created": user.created,
        "modified": user.modified,
        "mfa_enabled": list(user.mfa_enabled),
    }


@blp.route("/users", methods=["POST"])
@blp.arguments(CreateUserSchema)
@blp.response(201, UserSchema)
def create_user(args: dict[str, Any]) -> dict[str, Any]:
    """Create a user with a temporary password Cognito emails them (AdminCreateUser).

    Without `temporary_password` Cognito generates one to the pool's policy.
    """
    user = applicants.create_cognito_user(
        args["email"], args.get("temporary_password"), gateway=context.gateway()
    )
    log.info("admin created user %s", user.username)
    return user_dict(user)


@blp.route("/users/<string:username>/resend-temporary-password", methods=["POST"])
@blp.arguments(EmptySchema)
@blp.response(200, UserSchema)
def resend_temporary_password(_args: dict[str, Any], username: str) -> dict[str, Any]:
    """Email a new temporary password (AdminCreateUser, MessageAction=RESEND): the user
    must still be in FORCE_CHANGE_PASSWORD."""
    user = applicants.resend_temporary_password(username, gateway=context.gateway())
    return user_dict(user)


@blp.route("/users/<string:username>", methods=["GET"])
@blp.response(200, UserSchema)
def get_user(username: str) -> dict[str, Any]:
    """One user (AdminGetUser)."""
    return user_dict(context.gateway().admin_get_user(username))


@blp.route("/users", methods=["GET"])
@blp.arguments(ListUsersQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(args: dict[str, Any]) -> dict[str, Any]:
    """Users, one page at a time (ListUsers): pass `pagination_token` for the next."""
    page = context.gateway().list_users(
        filter=args.get("filter"),
        limit=args.get("limit"),
        pagination_token=args.get("pagination_token"),
    )
    return {"users": [user_dict(u) for u in page.users], "pagination_token": page.pagination_token}


@blp.route("/flows/<string:flow_id>/journal", methods=["GET"])
@blp.response(200, JournalSchema)
def flow_journal(flow_id: str) -> dict[str, Any]:
    """A flow's journal: every transition, when, and which Cognito action caused it
    (no secrets; replay it with `bff replay`)."""
    flow = context.store().flows.load(flow_id)
    if flow is None:
        raise NoFlow("No flow with this id (unknown, or expired and collected).")
    return {
        "flow_id": flow.id,
        "state": flow.state,
        "journal": [entry.to_dict() for entry in flow.journal],
    }


__all__ = ["ADMIN_HEADER", "blp"]
