"""Choice-based sign-in (InitiateAuth ``AuthFlow=USER_AUTH``): start with a username and,
optionally, the factor the user prefers; Cognito answers SELECT_CHALLENGE with the factors
the user can choose from, or the preferred factor's challenge (an emailed code), or tokens
(a password given with the start).

The choice of factor, here and at SELECT_CHALLENGE, goes through the factor's handler
(bff.flows.challenges.factors); what follows is the sign-in's (bff.flows.signin ``enter``):
MFA after a password, a new password, a remembered device.

Whether the account exists is not told: with PreventUserExistenceErrors Cognito answers an
unknown user with a selection of factors like anyone's (developer guide, "Managing user
existence error responses"); without it, the UserNotFoundException becomes the same 401 as
a wrong password (bff.flows.signin).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bff.cognito.types import AuthStep
from bff.errors import CognitoError
from bff.flows import signin
from bff.flows.challenges import FACTOR_HANDLERS
from bff.flows.outcome import ExistingDevice, StepOutcome
from bff.flows.protocol import Flows
from bff.usernames import same_username
from statemachine import Flow

#: The step that starts a choice-based sign-in (bff.flows.steps).
START_STEP = "sign_in_choice"


def start(
    flows: Flows,
    flow: Flow | None,
    username: str,
    args: Mapping[str, Any],
    *,
    device: ExistingDevice | None = None,
    device_name: str | None = None,
) -> StepOutcome:
    """InitiateAuth USER_AUTH for ``username``, with ``args["factor"]`` as
    PREFERRED_CHALLENGE (and that factor's fields) when given."""
    if device is not None and not same_username(device.username, username):
        device = None  # another user's remembered device says nothing about this one
    flow, is_new = flows.flow_for(flow, START_STEP, username)
    device_key = device.device.device_key if device else None
    factor_name = args.get("factor")

    def send(parameters: Mapping[str, str]) -> AuthStep:
        return flows.gateway.initiate_user_auth(
            username, preferred=factor_name, parameters=parameters, device_key=device_key
        )

    try:
        if factor_name:
            step = FACTOR_HANDLERS[factor_name].choose(flows, flow, args, send)
        else:
            step = send({})
    except CognitoError as exc:
        return signin.refused(flows, flow, is_new, username, exc)
    if is_new:
        flows.store.flows.create(flow, flows.ttl(flow))
    return signin.enter_proving_device(
        flows, flow, "InitiateAuth", step, device_name=device_name, device=device
    )
