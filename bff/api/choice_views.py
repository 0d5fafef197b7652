"""The start of a choice-based sign-in (``POST /api/sign-in/choice``): a username and,
optionally, the factor the user prefers (bff.flows.choice). The answers that follow
(SELECT_CHALLENGE, an emailed code) are challenge routes (bff.api.challenge_views).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from bff import security
from bff.api import context
from bff.api.flow_views import blp
from bff.api.schemas import FlowResponseSchema
from bff.fields import username_field
from bff.flows import choice
from bff.flows.challenges.factors import factor_choice_schema

ChoiceSignInSchema = factor_choice_schema(
    "ChoiceSignInSchema",
    {
        "username": username_field(),
        "device_name": fields.String(
            validate=validate.Length(min=1, max=64),
            metadata={
                "description": "How this browser is listed among the user's devices when "
                'Cognito issues it one (ConfirmDevice DeviceName; default "Web browser").'
            },
        ),
    },
    factor_required=False,
)


@blp.route("/sign-in/choice", methods=["POST"])
@security.limit_sign_in
@blp.arguments(ChoiceSignInSchema)
@blp.response(200, FlowResponseSchema)
def sign_in_choice(args: dict[str, Any]) -> dict[str, Any]:
    """Start a choice-based sign-in (InitiateAuth USER_AUTH, Cognito's Essentials plan).

    Without `factor`, the flow enters SELECT_CHALLENGE and `data.factors` lists the factors
    to offer (answer at `/api/sign-in/factor`). With `factor` (Cognito's
    PREFERRED_CHALLENGE) the sign-in goes straight to it: EMAIL_OTP emails a code (answer
    at `/api/sign-in/email-code`); PASSWORD and PASSWORD_SRP take `password` here. An
    unknown user gets the same kind of answer as anyone: factors to choose from, or a code
    "sent", which no code answers.
    """
    outcome = choice.start(
        context.flows(),
        context.current_flow(),
        args["username"],
        args,
        device=context.remembered_device(),
        device_name=args.get("device_name"),
    )
    outcome.data["username"] = args["username"]
    return context.answer_step(outcome, start=True, device_name=args.get("device_name"))
