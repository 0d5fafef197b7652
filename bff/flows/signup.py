"""Sign-up: create the account, confirm it with the emailed code, send another code.

Confirming and resending answer alike for a wrong code, an unknown user and an account
already confirmed, so the steps cannot tell who has an account (docs/security.md,
enumeration).
"""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import fields

from bff.cognito.types import CodeDelivery
from bff.errors import CodeMismatch, InvalidParameter, NotAuthorized, UserNotFound
from bff.flows.budgets import for_username, mailing
from bff.flows.data import CodeDeliverySchema, StepData, produces
from bff.flows.outcome import StepOutcome, delivery_data
from bff.flows.protocol import Flows
from statemachine import Flow
from statemachine.lifecycle import CONFIRMED, SIGNED_UP

#: Cognito's text for a wrong confirmation code (ConfirmSignUp, CodeMismatchException).
CODE_MISMATCH_MESSAGE = "Invalid verification code provided, please try again."


@produces(SIGNED_UP)
class SignedUpData(StepData):
    """Sign-up and "send another code": where the confirmation code went."""

    code_delivery = fields.Nested(CodeDeliverySchema)


@produces(CONFIRMED)
class ConfirmedData(StepData):
    """Confirmed: sign in next."""


def sign_up(
    flows: Flows,
    username: str,
    password: str,
    *,
    email: str,
    attributes: Mapping[str, str] | None = None,
) -> StepOutcome:
    """SignUp in a new flow; the code goes to ``email``."""
    flow = flows.new_flow(username)
    result = flows.gateway.sign_up(username, password, email=email, attributes=attributes)
    flow.apply("SignUp", {"UserConfirmed": result.user_confirmed})
    flows.store.flows.create(flow, flows.ttl(flow))
    data: dict[str, object] = {"username": username}
    if result.code_delivery:
        data["code_delivery"] = delivery_data(result.code_delivery)
    return StepOutcome(flow, data)


def confirm(
    flows: Flows, flow: Flow | None, code: str, *, username: str | None = None
) -> StepOutcome:
    """ConfirmSignUp with the emailed code (in the sign-up's flow, or a new one)."""
    flow, is_new = flows.flow_for_code_step(flow, "confirm", username)
    name = flow.username or ""

    def confirm_sign_up() -> None:
        try:
            flows.gateway.confirm_sign_up(name, code)
        except (CodeMismatch, NotAuthorized, UserNotFound):
            # One answer for a wrong code, an unknown user and an already confirmed one
            # ("User cannot be confirmed. Current status is CONFIRMED").
            raise CodeMismatch(
                CODE_MISMATCH_MESSAGE, cognito_code="CodeMismatchException"
            ) from None

    with for_username(flows.budgets, "confirm", name):
        flows.call(flow, "ConfirmSignUp", confirm_sign_up, is_new=is_new)
    flow.apply("ConfirmSignUp", {})
    flows.persist(flow, is_new=is_new)
    return StepOutcome(flow, {"username": name})


def resend_code(flows: Flows, flow: Flow | None, *, username: str | None = None) -> StepOutcome:
    """ResendConfirmationCode: another code by email. Past the username's mail budget the
    answer is the same and nothing is sent (bff.flows.budgets.mailing)."""
    flow, is_new = flows.flow_for_code_step(flow, "resend_code", username)
    name = flow.username or ""
    quiet = CodeDelivery(destination=None, delivery_medium="EMAIL", attribute_name="email")

    def resend() -> CodeDelivery:
        try:
            return flows.gateway.resend_confirmation_code(name)
        except InvalidParameter as exc:
            # "User is already confirmed.": answered like a sent code (Cognito itself
            # simulates a delivery for an unknown user). Nothing is sent.
            if "already confirmed" not in (exc.cognito_message or exc.message).lower():
                raise
            return quiet

    with mailing(flows.budgets, "mail_confirm", name) as send:
        delivery = (
            flows.call(flow, "ResendConfirmationCode", resend, is_new=is_new) if send else quiet
        )
    flow.apply("ResendConfirmationCode", {})
    flows.persist(flow, is_new=is_new)
    code_delivery = delivery_data(delivery, masked_for=name)
    return StepOutcome(flow, {"username": name, "code_delivery": code_delivery})
