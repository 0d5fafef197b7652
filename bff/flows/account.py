"""The signed-in user's own account: change the password, read the MFA settings, replace
the authenticator app."""

from __future__ import annotations

import logging

from marshmallow import Schema, fields

from bff.errors import CodeMismatch, CognitoError, IncorrectPassword, NotAuthorized
from bff.flows.challenges.mfa_setup import AuthenticatorData, authenticator_data
from bff.flows.data import StepData, produces
from bff.flows.outcome import StepOutcome
from bff.flows.protocol import Flows
from bff.flows.recovery import point_at_field
from bff.flows.session import end_user_sessions
from statemachine import Flow
from statemachine.challenges import SOFTWARE_TOKEN_MFA
from statemachine.lifecycle import AUTHENTICATED

log = logging.getLogger(__name__)


class MfaStatusSchema(Schema):
    enabled = fields.List(
        fields.String(), required=True, metadata={"description": "UserMFASettingList."}
    )
    preferred = fields.String(
        required=True, allow_none=True, metadata={"description": "PreferredMfaSetting."}
    )
    authenticator_app = fields.Boolean(required=True)


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
        flows.record_failure(flow, "ChangePassword", exc)
        if type(exc) is NotAuthorized:
            wrong = IncorrectPassword()
            wrong.details["fields"] = {"previous_password": [wrong.message]}
            raise wrong from None
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
    enabled = list(user.mfa_enabled)
    data = {
        "username": flow.username,
        "mfa": {
            "enabled": enabled,
            "preferred": user.mfa_preferred,
            "authenticator_app": SOFTWARE_TOKEN_MFA in enabled,
        },
    }
    return StepOutcome(flow, data)


def replace_authenticator(flows: Flows, flow: Flow, access_token: str) -> StepOutcome:
    """AssociateSoftwareToken with the access token: a new TOTP secret, shown once. The old
    app keeps working until ``verify_authenticator`` succeeds."""
    flows.require(flow, "replace_authenticator")
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
