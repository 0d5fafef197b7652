"""The signed-in user's own account: change the password, read the MFA settings, replace
the authenticator app."""

from __future__ import annotations

import logging

from marshmallow import fields

from bff.errors import CodeMismatch, CognitoError, Conflict, IncorrectPassword, NotAuthorized
from bff.flows.challenges.mfa_setup import AuthenticatorData, authenticator_data
from bff.flows.data import StepData, produces
from bff.flows.mfa_preferences import MfaStatusSchema
from bff.flows.mfa_preferences import mfa_status as mfa_status_data
from bff.flows.outcome import StepOutcome
from bff.flows.protocol import Flows
from bff.flows.recovery import point_at_field
from bff.flows.session import end_user_sessions
from statemachine import Flow
from statemachine.lifecycle import AUTHENTICATED

log = logging.getLogger(__name__)


@produces(AUTHENTICATED)
class AccountData(StepData):
    """The account steps' answers (signed in)."""

    password_changed = fields.Boolean()
    sessions_ended = fields.Integer(
        metadata={"description": "The user's other BFF sessions that ended."}
    )
    mfa = fields.Nested(MfaStatusSchema)
    authenticator_replaced = fields.Boolean()


# replace_authenticator's new key, shown once
produces(AUTHENTICATED)(AuthenticatorData)


def change_password(
    flows: Flows,
    flow: Flow,
    access_token: str,
    previous_password: str,
    new_password: str,
    *,
    keep_session: str | None = None,
) -> StepOutcome:
    """ChangePassword (the current password checked by Cognito). The browser's session is
    rotated; every other BFF session of the user ends."""
    flows.require(flow, "change_password")
    try:
        flows.gateway.change_password(access_token, previous_password, new_password)
    except CognitoError as exc:
        _record_failure(flows, flow, "ChangePassword", exc)
        if type(exc) is NotAuthorized:
            raise _incorrect("previous_password") from None
        point_at_field(exc, "new_password")
        raise
    flow.apply("ChangePassword", {})
    flows.save(flow)
    ended = end_user_sessions(flows, flow.username or "", keep_session=keep_session)
    data = {"username": flow.username, "password_changed": True, "sessions_ended": ended}
    return StepOutcome(flow, data, privilege_changed=True)


def mfa_status(flows: Flows, flow: Flow, access_token: str) -> StepOutcome:
    """GetUser: which MFA the user has (``UserMFASettingList``) and prefers
    (``PreferredMfaSetting``).

    A read: the machine says where it is allowed (``mfa_status_read``), but nothing is
    applied or saved, whatever Cognito answers. A journal entry per read grew the flow
    record without bound (thousands of reads, hundreds of kilobytes)."""
    flows.require(flow, "mfa_status")
    user = flows.gateway.get_user(access_token)
    data = {"username": flow.username, "mfa": mfa_status_data(user)}
    return StepOutcome(flow, data)


def check_password(flows: Flows, flow: Flow, password: str, *, field_name: str) -> None:
    """The signed-in user's current password, checked by Cognito (InitiateAuth, as a
    sign-in starts: Cognito has no other call that checks a password without changing it).
    A wrong one is journaled (``credentials_rejected``) and answered ``IncorrectPassword``
    naming ``field_name``. A right one answers the sign-in's next challenge (MFA), left
    unanswered; should Cognito issue tokens at once, they are revoked."""
    try:
        step = flows.gateway.initiate_auth(flow.username or "", password)
    except CognitoError as exc:
        _record_failure(flows, flow, "InitiateAuth", exc)
        if type(exc) is NotAuthorized:
            raise _incorrect(field_name) from None
        raise
    if step.tokens is not None and step.tokens.refresh_token:
        try:
            flows.gateway.revoke_token(step.tokens.refresh_token)
        except CognitoError as exc:
            log.info("step-up: RevokeToken refused (%s)", exc.cognito_code)


def _record_failure(flows: Flows, flow: Flow, action: str, exc: CognitoError) -> None:
    """Journal a refused current password; losing the flow's compare-and-set to a
    concurrent step changes nothing: the answer is still Cognito's, so a wrong password
    is still counted against the session (bff.security.step_up), never turned into 409."""
    try:
        flows.record_failure(flow, action, exc)
    except Conflict:
        log.info("flow %s changed during %s", flow.id, action)


def _incorrect(field_name: str) -> IncorrectPassword:
    wrong = IncorrectPassword()
    wrong.details["fields"] = {field_name: [wrong.message]}
    return wrong


def replace_authenticator(
    flows: Flows, flow: Flow, access_token: str, password: str
) -> StepOutcome:
    """The current password (``check_password``), then AssociateSoftwareToken with the
    access token: a new TOTP secret, shown once. The old app keeps working until
    ``verify_authenticator`` succeeds."""
    flows.require(flow, "replace_authenticator")
    check_password(flows, flow, password, field_name="password")
    association = flows.call(
        flow,
        "AssociateSoftwareToken",
        lambda: flows.gateway.associate_software_token(access_token=access_token),
    )
    flow.apply("AssociateSoftwareToken", {})
    flows.save(flow)
    data = {
        "username": flow.username,
        **authenticator_data(flows, flow.username, association.secret_code),
    }
    return StepOutcome(flow, data)


def verify_authenticator(
    flows: Flows,
    flow: Flow,
    access_token: str,
    code: str,
    *,
    friendly_device_name: str | None = None,
) -> StepOutcome:
    """VerifySoftwareToken with the new app's first code, then SetUserMFAPreference (TOTP
    enabled and preferred): the new app replaces the old one, whose codes fail from now on.
    A credential changed: the session is rotated."""
    flows.require(flow, "verify_authenticator")
    verified = flows.call(
        flow,
        "VerifySoftwareToken",
        lambda: flows.gateway.verify_software_token(
            code, access_token=access_token, friendly_device_name=friendly_device_name
        ),
    )
    flow.apply("VerifySoftwareToken", {"Status": verified.status})
    if not verified.succeeded:
        flows.save(flow)
        raise CodeMismatch()
    flows.call(
        flow,
        "SetUserMFAPreference",
        lambda: flows.gateway.set_user_mfa_preference(access_token),
    )
    flow.apply("SetUserMFAPreference", {})
    flows.save(flow)
    data = {"username": flow.username, "authenticator_replaced": True}
    return StepOutcome(flow, data, privilege_changed=True)
