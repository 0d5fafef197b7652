"""The answers to Cognito's challenges, one route per registry entry (bff.flows.challenges).

Each handler declares its route, its answer's schema and its description; this module
turns every one of them into a POST view that parses the answer, hands it to
``signin.answer_challenge`` with what the browser's session adds, and records the step.
A new challenge handler gets its route, its rate limit (the code budget shared by every
code step), its CSRF check and its place in the OpenAPI document without an edit here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bff import security
from bff.api import context
from bff.api.flow_views import blp
from bff.api.schemas import FlowResponseSchema
from bff.flows import signin
from bff.flows.challenges import HANDLERS, ChallengeHandler


def _view(handler: ChallengeHandler) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def answer(args: dict[str, Any]) -> dict[str, Any]:
        outcome = signin.answer_challenge(
            context.flows(), context.require_flow(), handler, args, context.answer_context()
        )
        return context.answer_step(outcome)

    answer.__name__ = handler.step
    answer.__qualname__ = handler.step
    answer.__doc__ = handler.summary
    return answer


def register(handler: ChallengeHandler) -> None:
    view = blp.response(200, FlowResponseSchema)(_view(handler))
    view = blp.arguments(handler.schema)(view)
    if "password" in handler.schema().fields:
        # A password answered here (the PASSWORD factor) is delayed per username like one
        # given at sign-in: a new sign-in per guess must not get around the delay.
        view = security.throttle_passwords(view)
    view = security.limit_mfa(view)
    blp.route(handler.route, methods=["POST"], endpoint=handler.step)(view)


for _handler in HANDLERS.values():
    register(_handler)
