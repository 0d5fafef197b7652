"""NEW_PASSWORD_REQUIRED: the first sign-in with a temporary password sets the user's own.

Cognito's challenge parameters carry ``requiredAttributes`` (a JSON-array string, names
prefixed ``userAttributes.``); the answer is ``USERNAME``, ``NEW_PASSWORD`` and
``userAttributes.<name>`` for each of them (API reference, RespondToAuthChallenge).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from bff.cognito.gateway import CognitoGateway
from bff.cognito.types import AuthStep
from bff.errors import InvalidParameter
from bff.fields import NEW_PASSWORD_ATTRIBUTES, BaseSchema, attributes_field, password_field
from bff.flows.data import StepData
from statemachine import Flow
from statemachine.challenges import NEW_PASSWORD_REQUIRED, challenge

from .base import AnswerContext, ChallengeHandler

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

log = logging.getLogger(__name__)

CHALLENGE = challenge(NEW_PASSWORD_REQUIRED)


class NewPasswordSchema(BaseSchema):
    new_password = password_field()
    attributes = attributes_field(NEW_PASSWORD_ATTRIBUTES)


class NewPasswordData(StepData):
    required_attributes = fields.List(
        fields.String(),
        metadata={
            "description": "Attributes to send as `attributes` with the new password "
            "(Cognito's requiredAttributes, without the `userAttributes.` prefix)."
        },
    )


def required_attributes(step: AuthStep) -> list[str]:
    """The challenge's ``requiredAttributes`` (a JSON-array string on the wire), without
    Cognito's ``userAttributes.`` prefix; none when it is not a JSON array."""
    raw = step.challenge_parameters.get("requiredAttributes") or "[]"
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        log.warning("Cognito sent requiredAttributes that is not JSON; treating as none")
        return []
    if not isinstance(names, list):
        return []
    return [str(n).removeprefix("userAttributes.") for n in names]


def answer_new_password(
    gateway: CognitoGateway,
    username: str,
    new_password: str,
    session: str,
    *,
    attributes: Mapping[str, str] | None = None,
    required: list[str] | None = None,
    admin: bool = False,
) -> AuthStep:
    """Answer NEW_PASSWORD_REQUIRED: the one code path of the SPA's new-password step and of
    the applicant's server-side first sign-in (bff.flows.applicants).

    ``username`` is the challenge's (``AuthStep.challenge_username``); ``required`` the
    challenge's required attributes, each of which must be in ``attributes``
    (InvalidParameter naming the missing ones, before Cognito is called); when they are
    known, only they are sent. ``admin`` answers with AdminRespondToAuthChallenge.
    """
    given = dict(attributes or {})
    missing = [name for name in required or [] if not given.get(name)]
    if missing:
        raise InvalidParameter(
            f"Missing required attributes: {', '.join(missing)}.",
            details={"missing_attributes": missing},
        )
    if required is not None:
        given = {name: given[name] for name in required}
    responses = {"USERNAME": username, "NEW_PASSWORD": new_password}
    responses.update({f"userAttributes.{name}": str(value) for name, value in given.items()})
    return gateway.respond(CHALLENGE.name, responses, session, admin=admin)


class NewPassword(ChallengeHandler):
    challenge = CHALLENGE
    schema = NewPasswordSchema
    route = "/sign-in/new-password"
    summary = (
        "Replace the temporary password (NEW_PASSWORD_REQUIRED), with any attributes Cognito "
        "listed in `data.required_attributes`."
    )
    privilege_changed = True
    data_schema = NewPasswordData

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        return {"required_attributes": required_attributes(step)}

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        required = context.step_data.get("required_attributes")
        return flows.call(
            flow,
            "RespondToAuthChallenge",
            lambda: answer_new_password(
                flows.gateway,
                flow.username or "",
                args["new_password"],
                session,
                attributes=args["attributes"],
                required=required if isinstance(required, list) else None,
            ),
            restore_session=session,
        )
