"""Every request and response body of the API, as marshmallow schemas (``XxxSchema``).

Request schemas derive from ``BaseSchema`` (``unknown = RAISE``): a field the API does not
know is a 422, never silently dropped. The one exception is the PandaDoc webhook, whose
payload is PandaDoc's and grows without notice: it reads the fields it needs and ignores
the rest (``EXCLUDE``), after its HMAC signature has authenticated the body.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from bff.api.flow_schemas import StepFlow
from bff.errors import registered
from bff.fields import (
    CONFIRMATION_CODE,
    BaseSchema,
    StrictBoolean,
    attributes_field,
    password_field,
    username_field,
)
from bff.flows.steps import STEP_NAMES
from statemachine import STATES


class EmptySchema(BaseSchema):
    """A body with nothing in it: ``{}``."""


class SignUpSchema(BaseSchema):
    email = fields.Email(required=True)
    password = password_field()
    username = username_field(required=False)
    attributes = attributes_field()


class ConfirmSchema(BaseSchema):
    code = fields.String(required=True, load_only=True, validate=CONFIRMATION_CODE)
    username = username_field(required=False)


class ResendCodeSchema(BaseSchema):
    username = username_field(required=False)


class SignInSchema(BaseSchema):
    username = username_field()
    password = password_field()
    device_name = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "How this browser is listed among the user's devices when Cognito "
            'issues it one at this sign-in (ConfirmDevice DeviceName; default "Web browser").'
        },
    )


class UsernameSchema(BaseSchema):
    username = username_field()


class ResetPasswordSchema(BaseSchema):
    code = fields.String(required=True, load_only=True, validate=CONFIRMATION_CODE)
    new_password = password_field()
    username = username_field(required=False)


class ChangePasswordSchema(BaseSchema):
    previous_password = password_field()
    new_password = password_field()


class ReplaceAuthenticatorSchema(BaseSchema):
    #: The current password: replacing the authenticator app asks for it (step-up).
    password = password_field()


class RememberDeviceSchema(BaseSchema):
    remember = StrictBoolean(required=True)


class CreateUserSchema(BaseSchema):
    email = fields.Email(required=True)
    temporary_password = fields.String(
        load_only=True,
        validate=validate.Length(min=6, max=256),
        metadata={"description": "Omit to let Cognito generate one to the pool's policy."},
    )


class ListUsersQuerySchema(BaseSchema):
    filter = fields.String(
        validate=validate.Length(max=256),
        metadata={"description": 'A ListUsers filter, e.g. email ^= "ada".'},
    )
    limit = fields.Integer(validate=validate.Range(min=1, max=60))
    pagination_token = fields.String(validate=validate.Length(max=4096))


class PandaDocRecipientSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    email = fields.String(load_default=None)
    role = fields.String(load_default=None, allow_none=True)
    recipient_type = fields.String(load_default=None, allow_none=True)
    first_name = fields.String(load_default=None, allow_none=True)
    last_name = fields.String(load_default=None, allow_none=True)


class PandaDocDocumentSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(load_default=None)
    name = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None)
    recipients = fields.List(fields.Nested(PandaDocRecipientSchema), load_default=list)


class PandaDocEventSchema(Schema):
    """One event of PandaDoc's webhook array (only the fields the BFF reads)."""

    class Meta:
        unknown = EXCLUDE

    event = fields.String(required=True)
    data = fields.Nested(PandaDocDocumentSchema, load_default=dict)


#: The enums of the OpenAPI document, derived from their one source so they cannot drift:
#: the machine's states, the step table's steps, the error hierarchy's codes.
STATE_ENUM = validate.OneOf(STATES)
STEP_ENUM = validate.OneOf(STEP_NAMES)
ERROR_CODE_ENUM = validate.OneOf(sorted(registered()))


class FlowResponseSchema(Schema):
    """The ONE step shape."""

    flow = StepFlow(required=True)


class CurrentFlowSchema(Schema):
    """The step shape of the browser's flow; ``flow`` is null when there is none."""

    flow = StepFlow(required=True, allow_none=True)


class ErrorBodySchema(Schema):
    code = fields.String(
        required=True,
        validate=ERROR_CODE_ENUM,
        metadata={"description": "Stable error code (docs/api.md, the error catalogue)."},
    )
    message = fields.String(required=True)
    details = fields.Dict(
        metadata={
            "description": "fields (422), state + allowed_steps (409), retry_after (429, "
            "503), cognito_code (Cognito's own code, when it answered with one), "
            "attempts_left (incorrect_password: wrong current passwords before the "
            "session ends)."
        }
    )


class ErrorSchema(Schema):
    """The ONE error shape."""

    error = fields.Nested(ErrorBodySchema, required=True)


class MeSchema(Schema):
    user = fields.Dict(required=True, metadata={"description": "Claims of the ID token."})
    expires_in = fields.Integer(metadata={"description": "Seconds the access token had."})


class SignedOutSchema(Schema):
    signed_out = fields.Boolean(required=True)
    flow = StepFlow(allow_none=True)
    sessions_ended = fields.Integer(
        metadata={"description": "Sign out everywhere: how many BFF sessions ended."}
    )


class DeviceSchema(Schema):
    device_key = fields.String(required=True)
    this_session = fields.Boolean(
        required=True,
        metadata={
            "description": "The device this session's tokens are bound to: forgetting it "
            "ends the session (Cognito refreshes them no more)."
        },
    )
    name = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "Cognito's device_status."})
    remembered = fields.Boolean(required=True)
    created = fields.DateTime(allow_none=True)
    last_authenticated = fields.DateTime(allow_none=True)
    this_browser = fields.Boolean(required=True)


class DeviceListSchema(Schema):
    devices = fields.List(fields.Nested(DeviceSchema), required=True)
    signed_out = fields.Boolean(
        metadata={"description": "True when forgetting the session's own device ended it."}
    )
    flow = StepFlow(allow_none=True)


class UserSchema(Schema):
    username = fields.String(required=True)
    status = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    created = fields.DateTime(allow_none=True)
    modified = fields.DateTime(allow_none=True)
    mfa_enabled = fields.List(fields.String())


class UserPageSchema(Schema):
    users = fields.List(fields.Nested(UserSchema), required=True)
    pagination_token = fields.String(allow_none=True)


class JournalEntrySchema(Schema):
    seq = fields.Integer(required=True)
    trigger = fields.String(required=True)
    from_ = fields.String(data_key="from", attribute="from", required=True)
    to = fields.String(required=True)
    at = fields.String(required=True)
    action = fields.String(allow_none=True)
    challenge = fields.String(allow_none=True)
    request_id = fields.String(
        metadata={"description": "The X-Request-Id of the request that fired it, if any."}
    )


class JournalSchema(Schema):
    flow_id = fields.String(required=True)
    state = fields.String(required=True, validate=STATE_ENUM)
    journal = fields.List(fields.Nested(JournalEntrySchema), required=True)


class WebhookEventResultSchema(Schema):
    event = fields.String(required=True)
    outcome = fields.String(
        required=True,
        metadata={
            "description": "user_created | user_exists | ignored | no_recipient | rejected "
            "| duplicate"
        },
    )
    email = fields.String(allow_none=True)


class WebhookResultSchema(Schema):
    duplicate = fields.Boolean(required=True)
    results = fields.List(fields.Nested(WebhookEventResultSchema), required=True)
