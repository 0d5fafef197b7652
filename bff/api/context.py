"""What the views share: the app's service objects, the browser's typed session
(bff.session_record.BrowserSession) and its flow, and recording a step's outcome.

Views parse with a schema, call one function of the service layer (bff.flows) with what
they get here, and answer with ``answer_step``; the session cookie is theirs, the flow is
the service's.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from bff import ops, sessions
from bff.cognito.gateway import CognitoGateway
from bff.config import BffSettings
from bff.errors import NotAuthorized, NotSignedIn, SessionExpired, UserNotFound
from bff.flows import CLEAR_DEVICE_COOKIE, Flows, NoFlow, StepOutcome, devices, flow_view
from bff.flows.applications import ApplicationIntake
from bff.flows.challenges import AnswerContext
from bff.flows.outcome import ExistingDevice
from bff.flows.steps import next_steps
from bff.flows.tokens import claims
from bff.relay import session_access
from bff.session_record import BrowserSession, device_secrets, token_record
from bff.store import Store
from bff.usernames import same_username
from statemachine import Flow
from statemachine.lifecycle import AUTHENTICATED

EXTENSION = "bff"
#: Step data never kept in the session: shown once, in the step's own answer.
ONCE_ONLY = ("secret", "otpauth_uri", "qr_svg")


def ext() -> dict[str, Any]:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def flows() -> Flows:
    found: Flows = ext()["flows"]
    return found


def applications() -> ApplicationIntake:
    return ApplicationIntake(gateway(), store())


def gateway() -> CognitoGateway:
    found: CognitoGateway = ext()["gateway"]
    return found


def settings() -> BffSettings:
    found: BffSettings = ext()["settings"]
    return found


def store() -> Store:
    found: Store = ext()["store"]
    return found


def browser_session() -> BrowserSession | None:
    """This browser's live session, or None."""
    record = sessions.current_session()
    return BrowserSession.from_record(record) if record is not None else None


def save(session: BrowserSession) -> None:
    sessions.save_session(session.to_record())


def reading() -> bool:
    """Whether this request only reads (GET, HEAD): it may call Cognito and refresh the
    session's tokens, but never writes a flow or the session's step data."""
    return request.method in ("GET", "HEAD")


def current_flow() -> Flow | None:
    """The browser's flow (None without a session or flow; expired flows come back EXPIRED,
    saved so only by a request that is not a read)."""
    session = browser_session()
    if session is None or not session.flow_id:
        return None
    try:
        return flows().load(session.flow_id, save_expiry=not reading())
    except NoFlow:
        return None


def require_flow() -> Flow:
    """The browser's flow, or NoFlow."""
    flow = current_flow()
    if flow is None:
        raise NoFlow()
    return flow


def signed_in() -> BrowserSession:
    """The session of a signed-in browser, or 401; its tokens re-validated with Cognito
    when due (``revalidate``)."""
    session = browser_session()
    if session is None or session.tokens is None:
        raise NotSignedIn()
    return revalidate(session)


def signed_in_flow() -> tuple[BrowserSession, Flow]:
    """The signed-in session and its flow (401 / 404 otherwise)."""
    return signed_in(), require_flow()


def access_token(session: BrowserSession) -> str:
    assert session.tokens is not None, "signed_in() answers signed-in sessions only"
    return session.tokens["access_token"]


def revalidate(session: BrowserSession) -> BrowserSession:
    """Ask Cognito whether the session's tokens still stand, at most every
    ``BFF_SESSION_REVALIDATE_SECONDS``; an access token within a minute of its expiry (the
    store's clock) is refreshed instead, as the relay does.

    Sign-out elsewhere (GlobalSignOut, AdminUserGlobalSignOut), a disabled or deleted user,
    a local Cognito restarted with an empty pool: GetUser refuses the access token. An
    expired access token is refreshed instead. A refusal ends the session here: 401
    ``session_expired``. A Cognito outage is a 503; the session is kept.
    """
    now = store().clock()
    assert session.tokens is not None, "signed_in() answers signed-in sessions only"
    due = now - session.validated_at >= settings().session_revalidate_seconds
    if session_access.expiring(session.tokens, now):
        return refresh(session, flow=None)
    if not due:
        return session
    try:
        gateway().get_user(access_token(session))
    except (NotAuthorized, UserNotFound, SessionExpired):
        sessions.end_session()
        raise SessionExpired("Your session has ended. Sign in again.") from None
    session.validated_at = now
    save(session)
    return session


def refresh(session: BrowserSession, *, flow: Flow | None) -> BrowserSession:
    """New tokens from the session's refresh token (REFRESH_TOKEN_AUTH, with the device the
    tokens were issued to; GetTokensFromRefreshToken when the client rotates refresh
    tokens, and its new refresh token replaces the old), saved — once per session however
    many requests ask at the same time (bff.relay.session_access). Refused, the session
    ends: 401 ``session_expired``."""
    if session.sid is None or session.tokens is None:
        sessions.end_session()
        raise SessionExpired("Your session has ended. Sign in again.")
    session_access.refresh_tokens(session.sid, replacing=session.tokens["access_token"], flow=flow)
    fresh = browser_session()
    if fresh is None or fresh.tokens is None:
        sessions.end_session()  # signed out while refreshing
        raise SessionExpired("Your session has ended. Sign in again.")
    return fresh


def device_id() -> str | None:
    """The browser's device cookie (shape-checked; the vault decides whether it is real)."""
    return sessions.current_device_id()


def remembered_device() -> ExistingDevice | None:
    """The browser's device (device cookie → the vault), if any: remembered, or declined
    but kept so the next sign-in reuses it (``device.remembered`` tells)."""
    found_id = device_id()
    if not found_id:
        return None
    found = devices.browser_device(flows(), found_id)
    if found is None:
        sessions.clear_device_cookie()  # a cookie for nothing: drop it
    return found


def answer_context() -> AnswerContext:
    """What this browser's session adds to a challenge answer: the last step's data, its
    device name, and its device when it belongs to the user signing in."""
    session = browser_session() or BrowserSession()
    device = remembered_device()
    if device is not None and not same_username(device.username, session.username or ""):
        device = None
    return AnswerContext(
        step_data=session.step_data, device_name=session.device_name, device=device
    )


def apply_device_cookie(instruction: str | None) -> None:
    """Do what the service said of the browser's device cookie (None: leave it alone)."""
    if instruction == CLEAR_DEVICE_COOKIE:
        sessions.clear_device_cookie()
    elif instruction is not None:
        sessions.set_device_cookie(instruction)


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
    if start:
        session = BrowserSession(
            username=outcome.data.get("username") or flow.username, device_name=device_name
        )
    else:
        session = browser_session() or BrowserSession()
    session.flow_id = flow.id
    session.step_data = {k: v for k, v in outcome.data.items() if k not in ONCE_ONLY}
    if outcome.tokens is not None:
        session.tokens = token_record(outcome.tokens, now=store().clock())
        session.validated_at = store().clock()  # Cognito just issued them
        session.cognito_username = claims(outcome.tokens.access_token).get("username") or (
            flow.username
        )
        session.pending_device = device_secrets(outcome.confirmed_device)
        session.device_key = (
            outcome.new_device.device_key if outcome.new_device else outcome.device_key_used
        )
    if forget_new_device:
        session.pending_device = None
    apply_device_cookie(outcome.device_cookie)
    if start:
        sessions.start_session(session.to_record())
    elif outcome.privilege_changed:
        sessions.rotate_session(session.to_record())  # new id and new data in one write
    else:
        save(session)
    ops.note_step_state(flow.state)
    return flow_view(flow, outcome.data, can_remember=_device_offered(flow.state, session))


def answer_read(outcome: StepOutcome) -> dict[str, Any]:
    """The step shape for a read (the MFA status): the flow as it is and the read's data,
    with nothing recorded, neither in the flow nor in the session."""
    session = browser_session() or BrowserSession()
    return flow_view(
        outcome.flow, outcome.data, can_remember=_device_offered(outcome.flow.state, session)
    )


def _device_offered(state: str, session: BrowserSession) -> bool:
    return state == AUTHENTICATED and session.pending_device is not None


def steps_here(state: str) -> list[str]:
    """The steps this browser may take from ``state``: the machine's, minus
    ``remember_device`` when Cognito offered no device at this sign-in. The step answers
    and the 409 ``illegal_step`` answers both list these, so they always agree."""
    session = browser_session() or BrowserSession()
    offered = _device_offered(state, session)
    exclude = frozenset() if offered else frozenset({"remember_device"})
    return next_steps(state, exclude=exclude)


def view_of(flow: Flow, session: BrowserSession) -> dict[str, Any]:
    """The step shape for a flow read back (GET /api/flow)."""
    data = dict(session.step_data)
    data.setdefault("username", session.username)
    offered = _device_offered(flow.state, session)
    if flow.state == AUTHENTICATED:
        data["can_remember_device"] = offered
    return flow_view(flow, data, can_remember=offered)
