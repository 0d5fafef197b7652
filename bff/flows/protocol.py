"""The step protocol, written once: load the flow, check the step, claim the single-use
Cognito session, call Cognito, apply what it answered, save with compare-and-set.

``Flows`` holds the gateway, the store and the flow settings; every use case (sign-up,
sign-in and its challenges, devices, recovery, account, session) is a function taking it
as its first argument, cosmicpython style, and knows nothing of HTTP.

1. ``load`` the flow, and ``require`` that the step is allowed from its state
   (``IllegalStep``: 409 with the state and the allowed steps) and that its challenge
   session has not expired (``SessionExpired``, state EXPIRED: Cognito's challenge Session
   lives 3 minutes);
2. for a challenge answer, ``claim_session``: take the single-use Cognito session out of
   the flow and save (compare-and-set). Of N concurrent submissions exactly one claims it
   and calls Cognito; the others lose the compare-and-set, or find the session already
   taken, and get ``Conflict`` (409) without calling Cognito;
3. ``call`` the gateway; on a Cognito error, ``record_failure`` fires what the error means
   (``flow.apply(action, error_code=..., error_message=...)`` with Cognito's own code and
   message), saves, and the error is re-raised;
4. ``flow.apply(action, ...)`` and ``save`` with compare-and-set.

The journal never sees a secret; neither do the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from bff.cognito.gateway import CognitoGateway
from bff.errors import (
    CognitoError,
    Conflict,
    IllegalStep,
    InvalidInput,
    NoFlow,
    SessionExpired,
)
from bff.flows.budgets import UNLIMITED, Budgets
from bff.flows.steps import next_steps, step_allowed
from bff.store import Store
from bff.usernames import same_username
from statemachine import Flow, IllegalTransition
from statemachine.challenges import CHALLENGE_STATES
from statemachine.lifecycle import EXPIRED

log = logging.getLogger(__name__)

T = TypeVar("T")

#: After a challenge flow expired the store keeps it this much longer, so the SPA learns
#: "session_expired" (and the journal survives) instead of "no such flow".
EXPIRED_FLOW_GRACE_SECONDS = 3600


class Flows:
    """The flows of one Cognito gateway and one store, and the protocol every step follows."""

    def __init__(
        self,
        gateway: CognitoGateway,
        store: Store,
        *,
        challenge_seconds: int = 180,
        flow_seconds: int = 28800,
        totp_issuer: str = "Cognito BFF",
        budgets: Budgets = UNLIMITED,
    ) -> None:
        self.gateway = gateway
        #: The failure budgets the steps charge (bff.flows.budgets).
        self.budgets = budgets
        self.store = store
        self.challenge_seconds = challenge_seconds
        self.flow_seconds = flow_seconds
        self.totp_issuer = totp_issuer

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.store.clock(), UTC)

    def ttl(self, flow: Flow) -> int:
        if flow.state in CHALLENGE_STATES:
            return self.challenge_seconds + EXPIRED_FLOW_GRACE_SECONDS
        return self.flow_seconds

    def new_flow(self, username: str | None = None) -> Flow:
        flow = Flow(username=username, clock=self.now)
        flow.created_at = flow.updated_at = self.now()
        return flow

    def save(self, flow: Flow) -> None:
        """Save with compare-and-set on the flow's version (``Conflict`` when it lost)."""
        self.store.flows.save(flow, self.ttl(flow))

    def persist(self, flow: Flow, *, is_new: bool) -> None:
        if is_new:
            self.store.flows.create(flow, self.ttl(flow))
        else:
            self.save(flow)

    def save_quietly(self, flow: Flow, what: str) -> None:
        """Save a step whose effect at Cognito stands whatever the flow's version says (a
        sign-out, a read): losing the compare-and-set to another tab changes nothing."""
        try:
            self.save(flow)
        except Conflict:
            log.info("flow %s changed during %s", flow.id, what)

    def load(self, flow_id: str | None, *, save_expiry: bool = True) -> Flow:
        """The flow (challenge expiry applied), or NoFlow.

        A read (``save_expiry=False``: a GET) sees a challenge flow past its life as
        EXPIRED but saves nothing: reads are not transitions, so any number of them leave
        the stored flow as it was. The next step that loads it journals the expiry."""
        flow = self.store.flows.load(flow_id) if flow_id else None
        if flow is None:
            raise NoFlow()
        flow.clock = self.now
        self._expire_if_due(flow, save=save_expiry)
        return flow

    def _expire_if_due(self, flow: Flow, *, save: bool) -> None:
        if flow.state not in CHALLENGE_STATES:
            return
        age = (self.now() - flow.updated_at).total_seconds()
        if age < self.challenge_seconds:
            return
        flow.fire("session_expired", action="BffFlowTimeout")
        flow.cognito_session = None
        if not save:
            return
        try:
            self.save(flow)
        except Conflict:
            pass  # someone else expired it (or advanced it) first; either way it is decided

    def require(self, flow: Flow, step: str) -> None:
        """The step is allowed from the flow's state, or the 409 that says which are."""
        if flow.state == EXPIRED and step != "sign_in":
            raise SessionExpired(details={"state": flow.state, "allowed_steps": ["sign_in"]})
        if not step_allowed(step, flow.state):
            raise IllegalStep(
                f"{step!r} is not allowed now (the flow is in {flow.state}).",
                details={"state": flow.state, "allowed_steps": next_steps(flow.state)},
            )

    def claim_session(self, flow: Flow) -> str:
        """Take the single-use Cognito session out of the flow and save: one winner."""
        session = flow.cognito_session
        if not session:
            raise Conflict("This step was already submitted; wait for its answer or restart.")
        flow.cognito_session = None
        self.save(flow)  # Conflict for every concurrent loser
        return session

    def call(
        self,
        flow: Flow,
        action: str,
        call: Callable[[], T],
        *,
        restore_session: str | None = None,
        is_new: bool = False,
        request: Mapping[str, Any] | None = None,
    ) -> T:
        """Call Cognito; on its error fire what the error means, save, and re-raise."""
        try:
            return call()
        except CognitoError as exc:
            self.record_failure(
                flow, action, exc, is_new=is_new, restore_session=restore_session, request=request
            )
            raise

    def record_failure(
        self,
        flow: Flow,
        action: str,
        exc: CognitoError,
        *,
        is_new: bool = False,
        restore_session: str | None = None,
        request: Mapping[str, Any] | None = None,
    ) -> None:
        """The one failure path: fire what Cognito's error means (its own code and message),
        give a still-usable challenge session back, save. An error the state does not
        expect fires nothing (logged): the caller re-raises Cognito's error either way."""
        try:
            if exc.cognito_code is not None:  # else refused here, before Cognito was asked
                flow.apply(
                    action,
                    request=request,
                    error_code=exc.cognito_code,
                    error_message=exc.cognito_message,
                )
        except IllegalTransition:
            log.info("flow %s: %s error not applicable in %s", flow.id, action, flow.state)
        if flow.state in CHALLENGE_STATES and not isinstance(exc, SessionExpired):
            # A wrong code leaves Cognito's session usable: give it back for a retry.
            flow.cognito_session = restore_session
        else:
            flow.cognito_session = None
        self.persist(flow, is_new=is_new)

    def flow_for(self, flow: Flow | None, step: str, username: str) -> tuple[Flow, bool]:
        """The browser's flow when it allows ``step`` for this user (one journal tells
        sign-up → confirm → sign-in), else a new flow; (flow, is_new)."""
        is_new = not (
            flow is not None
            and step_allowed(step, flow.state)
            and (flow.username is None or same_username(flow.username, username))
        )
        if is_new or flow is None:
            flow = self.new_flow(username)
            is_new = True
        flow.username = username
        flow.cognito_session = None
        return flow, is_new

    def flow_for_code_step(
        self, flow: Flow | None, step: str, username: str | None
    ) -> tuple[Flow, bool]:
        """The sign-up's own flow when it allows the step; a fresh one for a named user
        (a code typed in another browser); else the error that explains why not (a missing
        username is a 422, never "no flow")."""
        if flow is not None and step_allowed(step, flow.state) and flow.username:
            if not username or same_username(username, flow.username):
                return flow, False
        if username:
            return self.new_flow(username), True
        if flow is None:
            raise InvalidInput.field("username", "Give the username, or sign up first.")
        self.require(flow, step)
        raise InvalidInput.field("username", "Give the username whose code this is.")
