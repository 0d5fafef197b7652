"""What the views share: the app's service objects, the browser's session and flow.

The session record (server-side, see bff.sessions) holds::

    flow_id        the browser's current flow
    username       what the user typed at sign-in / sign-up
    device_name    how this browser asked to be listed among the user's devices (sign-in)
    step_data      the last step's public data (for GET /api/flow after a reload; never
                   the TOTP secret, which is shown once)
    tokens         Cognito's tokens, once AUTHENTICATED (never sent to the browser)
    cognito_username  Cognito's internal username (refresh with a client secret)
    device_key     the device key the tokens were issued to (refresh needs it)
    pending_device the secrets of the device confirmed at this sign-in, until the user
                   remembers it (→ the vault) or declines; the record is encrypted at rest
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from bff import ops, sessions
from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import RememberedDevice
from bff.config import BffSettings
from bff.errors import NotAuthorized, NotSignedIn, SessionExpired, UserNotFound
from bff.flows import (
    CLEAR_DEVICE_COOKIE,
    ExistingDevice,
    FlowService,
    NoFlow,
    StepOutcome,
    flow_view,
)
from bff.flows.applications import ApplicationIntake
from bff.flows.steps import next_steps
from bff.flows.tokens import claims, secrets_from_record, secrets_to_record, tokens_to_record
from bff.store import Store
from statemachine import Flow
from statemachine.lifecycle import AUTHENTICATED

EXTENSION = "bff"
#: Step data never kept in the session: shown once, in the step's own answer.
ONCE_ONLY = ("secret", "otpauth_uri", "qr_svg")


def ext() -> dict[str, Any]:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def service() -> FlowService:
    return ext()["flows"]  # type: ignore[no-any-return]


def applications() -> ApplicationIntake:
    return ApplicationIntake(gateway(), store())


def gateway() -> CognitoGateway:
    return ext()["gateway"]  # type: ignore[no-any-return]


def settings() -> BffSettings:
    return ext()["settings"]  # type: ignore[no-any-return]


def store() -> Store:
    return ext()["store"]  # type: ignore[no-any-return]


def current_flow() -> Flow | None:
    """The browser's flow (None without a session or flow; expired flows come back EXPIRED)."""
    record = sessions.current_session()
    if not record or not record.get("flow_id"):
        return None
    try:
        return service().load(record["flow_id"])
    except NoFlow:
        return None


def signed_in_record() -> dict[str, Any]:
    """The session record of a signed-in browser, or 401; its tokens re-validated with
    Cognito when due (``revalidate``)."""
    record = sessions.current_session()
    if not record or not record.get("tokens"):
        raise NotSignedIn()
    return revalidate(record)


def revalidate(record: dict[str, Any]) -> dict[str, Any]:
    """Ask Cognito whether the session's tokens still stand, at most every
    ``BFF_SESSION_REVALIDATE_SECONDS`` (and always once the access token has expired).

    Sign-out elsewhere (GlobalSignOut, AdminUserGlobalSignOut), a disabled or deleted user,
    a local Cognito restarted with an empty pool: GetUser refuses the access token. An
    expired access token is refreshed instead. A refusal ends the session here: 401
    ``session_expired``. A Cognito outage is a 503; the session is kept.
    """
    now = store().clock()
    tokens = record["tokens"]
    expires_at = claims(tokens.get("access_token") or "").get("exp")
    expired = isinstance(expires_at, int | float) and expires_at <= now
    due = now - float(record.get("validated_at") or 0) >= settings().session_revalidate_seconds
    if not (expired or due):
        return record
    try:
        if expired:
            if not tokens.get("refresh_token"):
                raise NotAuthorized()
            fresh = service().refresh(
                None,
                tokens["refresh_token"],
                username=record.get("cognito_username"),
                device_key=record.get("device_key"),
            )
            tokens = tokens_to_record(fresh, previous=tokens)
        else:
            gateway().get_user(tokens["access_token"])
    except (NotAuthorized, UserNotFound, SessionExpired):
        sessions.end_session()
        raise SessionExpired("Your session has ended. Sign in again.") from None
    updated = {k: v for k, v in record.items() if k not in ("sid", "created_at", "last_seen_at")}
    updated["tokens"] = tokens
    updated["validated_at"] = now
    sessions.save_session(updated)
    return sessions.current_session() or {**record, "tokens": tokens, "validated_at": now}


def remembered_device() -> ExistingDevice | None:
    """The browser's device (device cookie → the service's vault), if any: remembered, or
    declined but kept so the next sign-in reuses it (``device.remembered`` tells)."""
    device_id = sessions.current_device_id()
    if not device_id:
        return None
    found = service().browser_device(device_id)
    if found is None:
        sessions.clear_device_cookie()  # a cookie for nothing: drop it
    return found


def sign_in_device() -> ExistingDevice | None:
    """The browser's device, for the later steps of a sign-in: only when it belongs to the
    user signing in (as ``sign_in`` named it to Cognito)."""
    found = remembered_device()
    username = str((sessions.current_session() or {}).get("username") or "")
    if found is None or found.username.casefold() != username.casefold():
        return None
    return found


def apply_device_cookie(instruction: str | None) -> None:
    """Do what the service said of the browser's device cookie (None: leave it alone)."""
    if instruction == CLEAR_DEVICE_COOKIE:
        sessions.clear_device_cookie()
    elif instruction is not None:
        sessions.set_device_cookie(instruction)


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ONCE_ONLY}


def answer_step(
    outcome: StepOutcome,
    *,
    start: bool = False,
    forget_new_device: bool = False,
    device_name: str | None = None,
) -> dict[str, Any]:
    """Record the step in the browser's session and build the step shape.

    ``start``: a sign-in or sign-up begins, so the session id is new (any previous
    session of this browser, and its tokens, end here). ``forget_new_device``: the device
    Cognito offered at this sign-in was answered (remembered or declined).
    ``device_name``: the sign-in's name for this browser, kept for the later steps.
    """
    flow = outcome.flow
    previous = sessions.current_session() or {}
    record: dict[str, Any] = {
        k: v for k, v in previous.items() if k not in ("sid", "created_at", "last_seen_at")
    }
    if start:
        record = {"username": outcome.data.get("username") or flow.username}
        if device_name:
            record["device_name"] = device_name
    record["flow_id"] = flow.id
    record["step_data"] = _public(outcome.data)
    if outcome.tokens is not None:
        access = outcome.tokens.access_token
        record["tokens"] = tokens_to_record(outcome.tokens)
        record["validated_at"] = store().clock()  # Cognito just issued them
        record["cognito_username"] = claims(access).get("username") or flow.username
        record["pending_device"] = secrets_to_record(outcome.confirmed_device)
        record["device_key"] = (
            outcome.new_device.device_key if outcome.new_device else outcome.device_key_used
        )
    if forget_new_device:
        record["pending_device"] = None
    apply_device_cookie(outcome.device_cookie)
    if start:
        sessions.start_session(record)
    else:
        sessions.save_session(record)
        if outcome.privilege_changed:
            sessions.rotate_session()
    ops.note_step_state(flow.state)
    return flow_view(flow, outcome.data, can_remember=can_remember(flow, record))


def can_remember(flow: Flow, record: dict[str, Any]) -> bool:
    return _device_offered(flow.state, record)


def _device_offered(state: str, record: dict[str, Any]) -> bool:
    return state == AUTHENTICATED and pending_device(record) is not None


def steps_here(state: str) -> list[str]:
    """The steps this browser may take from ``state``: the machine's, minus
    ``remember_device`` when Cognito offered no device at this sign-in. The step answers
    and the 409 ``illegal_step`` answers both list these, so they always agree."""
    record = sessions.current_session() or {}
    exclude = frozenset() if _device_offered(state, record) else frozenset({"remember_device"})
    return next_steps(state, exclude=exclude)


def signed_in_flow() -> tuple[dict[str, Any], Flow]:
    """The signed-in session record and its flow (401 / 404 otherwise)."""
    record = signed_in_record()
    flow = current_flow()
    if flow is None:
        raise NoFlow()
    return record, flow


def device_name() -> str | None:
    """How this browser asked to be listed when Cognito issues it a device (sign-in's
    ``device_name``), for the steps after the sign-in."""
    record = sessions.current_session() or {}
    name = record.get("device_name")
    return str(name) if name else None


def pending_device(record: dict[str, Any]) -> RememberedDevice | None:
    """The device confirmed at this sign-in, awaiting the user's remember / not choice."""
    return secrets_from_record(record.get("pending_device"))


def view_of(flow: Flow, record: dict[str, Any]) -> dict[str, Any]:
    """The step shape for a flow read back (GET /api/flow)."""
    data = dict(record.get("step_data") or {})
    data.setdefault("username", record.get("username"))
    if flow.state == AUTHENTICATED:
        data["can_remember_device"] = can_remember(flow, record)
    return flow_view(flow, data, can_remember=can_remember(flow, record))
