"""Every request and response body of the API, as marshmallow schemas (``XxxSchema``).

Request schemas derive from ``BaseSchema`` (``unknown = RAISE``): a field the API does not
know is a 422, never silently dropped. The one exception is the PandaDoc webhook, whose
payload is PandaDoc's and grows without notice: it reads the fields it needs and ignores
the rest (``EXCLUDE``), after its HMAC signature has authenticated the body.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from bff.errors import registered
from bff.flows.steps import STEP_NAMES
from statemachine import STATES

# Cognito's limits: passwords up to 256 characters, usernames up to 128, codes are digits.
CODE_PATTERN = validate.Regexp(r"^[0-9]{6}$", error="Enter the 6-digit code.")
CONFIRMATION_CODE = validate.Regexp(r"^[0-9]{4,10}$", error="Enter the code from the email.")


class StrictBoolean(fields.Boolean):
    """A JSON ``true`` or ``false`` and nothing else (marshmallow's Boolean also takes 0, 1,
    "yes", "on"...; the OpenAPI document says boolean, so the API takes only booleans)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid")


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE


def _username(required: bool = True) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "The Cognito username (this pool: the email address)."},
    )


def _password() -> fields.String:
    """A password field: required, never dumped back."""
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


#: The attributes a user may set at sign-up: the app client's WriteAttributes in
#: local_cognito/user-pool.yaml (email has its own field). Never email_verified,
#: phone_number_verified or a custom attribute: Cognito would store them.
SIGN_UP_ATTRIBUTES = ("name", "given_name", "family_name", "locale", "zoneinfo")
#: At NEW_PASSWORD_REQUIRED Cognito asks for every required attribute the account lacks: an
#: admin-created account without an email is asked for ``email`` (a WriteAttribute too).
NEW_PASSWORD_ATTRIBUTES = ("email", *SIGN_UP_ATTRIBUTES)


def _attributes(allowed: tuple[str, ...] = SIGN_UP_ATTRIBUTES) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(allowed)),
        values=fields.String(validate=validate.Length(max=2048)),
        load_default=dict,
        metadata={
            "description": 'Cognito user attributes by name, e.g. {"name": "Ada"}; only '
            + ", ".join(allowed)
            + "."
        },
    )


class EmptySchema(BaseSchema):
    """A body with nothing in it: ``{}``."""


class SignUpSchema(BaseSchema):
    email = fields.Email(required=True)
    password = _password()
    username = _username(required=False)
    attributes = _attributes()


class ConfirmSchema(BaseSchema):
    code = fields.String(required=True, load_only=True, validate=CONFIRMATION_CODE)
    username = _username(required=False)


class ResendCodeSchema(BaseSchema):
    username = _username(required=False)


class SignInSchema(BaseSchema):
    username = _username()
    password = _password()
    device_name = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "How this browser is listed among the user's devices when Cognito "
            'issues it one at this sign-in (ConfirmDevice DeviceName; default "Web browser").'
        },
    )


class UsernameSchema(BaseSchema):
    username = _username()


class ResetPasswordSchema(BaseSchema):
    code = fields.String(required=True, load_only=True, validate=CONFIRMATION_CODE)
    new_password = _password()
    username = _username(required=False)


class ChangePasswordSchema(BaseSchema):
    previous_password = _password()
    new_password = _password()


class NewPasswordSchema(BaseSchema):
    new_password = _password()
    attributes = _attributes(NEW_PASSWORD_ATTRIBUTES)


class MfaCodeSchema(BaseSchema):
    code = fields.String(required=True, load_only=True, validate=CODE_PATTERN)


class MfaSetupVerifySchema(MfaCodeSchema):
    device_name = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A name for the authenticator app (FriendlyDeviceName)."},
    )


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


class FlowSchema(Schema):
    id = fields.String(required=True)
    state = fields.String(
        required=True, validate=STATE_ENUM, metadata={"description": "The lifecycle state."}
    )
    next_steps = fields.List(
        fields.String(validate=STEP_ENUM),
        required=True,
        metadata={"description": "Steps allowed from here."},
    )
    data = fields.Dict(
        required=True,
        metadata={
            "description": "What the next screen needs: username, code_delivery, reason, "
            "required_attributes, otpauth_uri + qr_svg + secret (once), can_remember_device, "
            "mfa, password_reset, password_changed, authenticator_replaced, sessions_ended."
        },
    )


class FlowResponseSchema(Schema):
    """The ONE step shape."""

    flow = fields.Nested(FlowSchema, required=True)


class CurrentFlowSchema(Schema):
    """The step shape of the browser's flow; ``flow`` is null when there is none."""

    flow = fields.Nested(FlowSchema, required=True, allow_none=True)


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
            "503), cognito_code (Cognito's own code, when it answered with one)."
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
    flow = fields.Nested(FlowSchema, allow_none=True)
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
    flow = fields.Nested(FlowSchema, allow_none=True)


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
