"""Sign-in and its challenges: start with username and password, enter whatever Cognito
asks next (bff.flows.challenges), take the SPA's answers.

A browser's remembered device is named at the start (DEVICE_KEY): Cognito then answers
DEVICE_SRP_AUTH, which the BFF answers itself, and the sign-in skips MFA. When Cognito no
longer knows the device, the sign-in starts once more without it and the browser's device
cookie is cleared.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from marshmallow import fields, validate

from bff.cognito.types import AuthStep
from bff.errors import (
    CognitoError,
    NotAuthorized,
    PasswordResetRequired,
    TemporaryPasswordExpired,
    UserNotConfirmed,
    UserNotFound,
)
from bff.flows import devices
from bff.flows.budgets import charged, password_accepted, sign_in_key
from bff.flows.challenges import AnswerContext, ChallengeHandler, handler_for_state
from bff.flows.challenges.device_srp import prove_device
from bff.flows.data import StepData, produces
from bff.flows.outcome import ExistingDevice, StepOutcome
from bff.flows.protocol import Flows
from bff.flows.steps import next_steps
from bff.usernames import same_username
from statemachine import Flow
from statemachine.challenges import DEVICE_SRP_AUTH, MFA_CHALLENGES, MFA_SETUP
from statemachine.lifecycle import AUTHENTICATED, RESET_CODE_SENT, SIGNED_UP

log = logging.getLogger(__name__)

#: What a sign-in refused with PasswordResetRequiredException tells the user.
PASSWORD_RESET_REQUIRED_MESSAGE: Final = (
    "An administrator reset your password. Enter the code we emailed you and choose a new password."
)


@produces(SIGNED_UP)
class UnconfirmedAtSignInData(StepData):
    """A sign-in found the user unconfirmed: confirm the sign-up first."""

    reason = fields.String(validate=validate.OneOf(["user_not_confirmed"]))


@produces(RESET_CODE_SENT)
class ResetRequiredAtSignInData(StepData):
    """A sign-in found that an administrator reset the password."""

    reason = fields.String(validate=validate.OneOf(["password_reset_required"]))
    message = fields.String(metadata={"description": "What to tell the user."})


@produces(AUTHENTICATED)
class SignedInData(StepData):
    can_remember_device = fields.Boolean(
        metadata={"description": "Cognito issued this browser a device: ask to remember it."}
    )


class _DeviceRefused(Exception):
    """Cognito refused the browser's remembered device; ``flow`` is the flow to sign in
    again with (None: a new one)."""

    def __init__(self, flow: Flow | None) -> None:
        super().__init__("device refused")
        self.flow = flow


def sign_in(
    flows: Flows,
    flow: Flow | None,
    username: str,
    password: str,
    *,
    device: ExistingDevice | None = None,
    device_name: str | None = None,
) -> StepOutcome:
    """InitiateAuth (USER_PASSWORD_AUTH); a remembered device answers DEVICE_SRP_AUTH here.

    Continues the browser's flow when it allows a sign-in for this user (so one journal
    tells sign-up → confirm → sign-in), else starts a new flow. ``device_name``: how a
    device Cognito issues at this step is listed; the later steps of the sign-in take it too.
    """
    if device is not None and not same_username(device.username, username):
        device = None  # another user's remembered device says nothing about this one
    try:
        return _initiate(flows, flow, username, password, device, device_name)
    except _DeviceRefused as refused:
        assert device is not None
        # Forgotten at Cognito (elsewhere): sign in without it; the vault's copy goes.
        outcome = _initiate(flows, refused.flow, username, password, None, device_name)
        return devices.forget_browser_device(flows, outcome, device)


def _initiate(
    flows: Flows,
    flow: Flow | None,
    username: str,
    password: str,
    device: ExistingDevice | None,
    device_name: str | None,
) -> StepOutcome:
    flow, is_new = flows.flow_for(flow, "sign_in", username)
    device_key = device.device.device_key if device else None
    try:
        step = flows.gateway.initiate_auth(username, password, device_key=device_key)
    except CognitoError as exc:
        if device is not None and exc.cognito_code == "ResourceNotFoundException":
            raise _DeviceRefused(None if is_new else flow) from None  # "Device does not exist"
        return refused(flows, flow, is_new, username, exc)
    password_accepted()
    device_rounds = step.challenge_name == DEVICE_SRP_AUTH
    if is_new and not device_rounds:
        # Stored before entering: entering a state may call Cognito (MFA_SETUP associates
        # an authenticator), and a failure there is journaled in the stored flow.
        flows.store.flows.create(flow, flows.ttl(flow))
        is_new = False
    outcome = enter(
        flows,
        flow,
        "InitiateAuth",
        step,
        device_name=device_name,
        device=device,
        save=not device_rounds,
    )
    if device_rounds:
        assert device is not None
        # The BFF answers at once: the flow is written once, with the single-use session
        # already taken out of it (the compare-and-set that makes this request its owner).
        session = flow.cognito_session or ""
        flow.cognito_session = None
        flows.persist(flow, is_new=is_new)
        final = prove_device(flows, flow, device, session)
        if final is None:
            raise _DeviceRefused(None)
        outcome = enter(flows, flow, "RespondToAuthChallenge", final)
        outcome.device_key_used = device.device.device_key
        return outcome
    asked_for_mfa = flow.state == MFA_SETUP or flow.state in MFA_CHALLENGES
    if device is not None and device.device.remembered and asked_for_mfa:
        # Cognito ignored the device (forgotten or not remembered any more): the vault's
        # copy is stale. A device the user declined gets the MFA challenge by design.
        return devices.forget_browser_device(flows, outcome, device)
    return outcome


def refused(
    flows: Flows, flow: Flow, is_new: bool, username: str, exc: CognitoError
) -> StepOutcome:
    """A sign-in Cognito refused: journaled; Amplify's next step where there is one
    (confirm the sign-up, reset the password), else the error."""
    if isinstance(exc, UserNotConfirmed):
        flows.record_failure(flow, "InitiateAuth", exc, is_new=is_new)
        return StepOutcome(flow, {"username": username, "reason": "user_not_confirmed"})
    if isinstance(exc, PasswordResetRequired):
        # Cognito emailed the code when the administrator reset the password.
        flows.record_failure(flow, "InitiateAuth", exc, is_new=is_new)
        data = {
            "username": username,
            "reason": "password_reset_required",
            "message": PASSWORD_RESET_REQUIRED_MESSAGE,
        }
        return StepOutcome(flow, data)
    if isinstance(exc, TemporaryPasswordExpired):
        flows.record_failure(flow, "InitiateAuth", exc, is_new=is_new)
        exc.details.update(flow_id=flow.id, state=flow.state, next_steps=next_steps(flow.state))
        raise exc
    if isinstance(exc, UserNotFound):
        # PreventUserExistenceErrors normally hides this; if a pool does not, do it here: an
        # unknown user and a wrong password must look the same (ASVS v5 6.3.8), in the
        # journal too.
        exc = NotAuthorized(
            cognito_code="NotAuthorizedException", cognito_message=NotAuthorized.default_message
        )
    flows.record_failure(flow, "InitiateAuth", exc, is_new=is_new)
    if type(exc) is NotAuthorized:
        # One body for wrong password and unknown user, whatever Cognito said.
        raise NotAuthorized(cognito_code="NotAuthorizedException") from None
    raise exc


def enter(
    flows: Flows,
    flow: Flow,
    action: str,
    step: AuthStep,
    *,
    device_name: str | None = None,
    device: ExistingDevice | None = None,
    save: bool = True,
) -> StepOutcome:
    """Fire what Cognito's answer means, prepare the next screen's data, save (unless the
    caller writes the flow itself: ``save=False``).

    A challenge state's data comes from its handler; tokens sign the user in (and confirm
    the device Cognito issued with them). ``device``: the browser's device named
    (DEVICE_KEY) at this sign-in: when the user declined to remember it, Cognito signs in
    with it and issues no new device, and the remember prompt offers it again."""
    flow.apply(action, step.as_response())
    if step.challenge_parameters.get("USERNAME"):
        # Challenge answers must name the user as Cognito does (its internal username).
        flow.username = step.challenge_parameters["USERNAME"]
    flow.cognito_session = step.session
    data: dict[str, Any] = {"username": flow.username}
    outcome = StepOutcome(flow, data)
    handler = handler_for_state(flow.state)
    if handler is not None:
        data.update(handler.on_enter(flows, flow, step))
    elif flow.state == AUTHENTICATED:
        _signed_in(flows, outcome, step, device_name, device)
    if save:
        flows.save(flow)
    return outcome


def _signed_in(
    flows: Flows,
    outcome: StepOutcome,
    step: AuthStep,
    device_name: str | None,
    device: ExistingDevice | None,
) -> None:
    flow = outcome.flow
    flow.cognito_session = None
    outcome.tokens = step.tokens
    outcome.new_device = step.new_device
    outcome.privilege_changed = True
    if step.new_device is not None and step.tokens is not None:
        outcome.confirmed_device = devices.confirm_new_device(
            flows, flow, step.tokens.access_token, step.new_device, device_name
        )
    elif device is not None and not device.device.remembered:
        # No new device: Cognito signed in with the DEVICE_KEY ``sign_in`` sent.
        outcome.device_key_used = device.device.device_key
        outcome.confirmed_device = device.device
    outcome.data["can_remember_device"] = outcome.confirmed_device is not None


def answer_challenge(
    flows: Flows,
    flow: Flow,
    handler: ChallengeHandler,
    args: Mapping[str, Any],
    context: AnswerContext,
) -> StepOutcome:
    """The SPA's answer to the challenge the flow is in: claim the Cognito session (one
    winner among concurrent submissions), let the handler call Cognito, enter what Cognito
    answered."""
    flows.require(flow, handler.step)
    # Wrong answers count against this sign-in's budget, never the username's: a stranger
    # naming the user cannot spend it (bff.flows.budgets).
    with charged(flows.budgets, "mfa", sign_in_key(flow)):
        session = flows.claim_session(flow)
        step = handler.answer(flows, flow, session, args, context)
    outcome = enter_proving_device(
        flows,
        flow,
        "RespondToAuthChallenge",
        step,
        device_name=context.device_name,
        device=context.device,
    )
    if handler.privilege_changed:
        outcome.privilege_changed = True
    return outcome


def enter_proving_device(
    flows: Flows,
    flow: Flow,
    action: str,
    step: AuthStep,
    *,
    device_name: str | None,
    device: ExistingDevice | None,
) -> StepOutcome:
    """``enter``, except that a remembered device's DEVICE_SRP_AUTH (after a factor chosen
    in choice-based sign-in) is answered at once, as the password sign-in does."""
    if step.challenge_name != DEVICE_SRP_AUTH or device is None:
        return enter(flows, flow, action, step, device_name=device_name, device=device)
    outcome = enter(flows, flow, action, step, save=False)
    session = flow.cognito_session or ""
    flow.cognito_session = None
    flows.save(flow)
    final = prove_device(flows, flow, device, session)
    if final is None:
        # Forgotten at Cognito: the vault's copy goes; the user signs in again without it.
        return devices.forget_browser_device(flows, outcome, device)
    outcome = enter(flows, flow, "RespondToAuthChallenge", final)
    outcome.device_key_used = device.device.device_key
    return outcome
