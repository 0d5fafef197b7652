"""What every challenge handler declares (bff.flows.challenges)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import Schema
from marshmallow import fields as ma_fields

from bff.cognito.types import AuthStep
from bff.flows.data import StepData
from bff.flows.outcome import ExistingDevice
from statemachine import Flow
from statemachine.challenges import Challenge

if TYPE_CHECKING:
    from bff.flows.protocol import Flows

#: Sends Cognito the chosen factor with what it needs (extra AuthParameters at InitiateAuth,
#: or ChallengeResponses next to SELECT_CHALLENGE's ANSWER) and returns Cognito's answer.
SendChoice = Callable[[Mapping[str, str]], AuthStep]


@dataclass(frozen=True)
class AnswerContext:
    """What the browser's session adds to an answer: the last step's public data, how the
    browser asked to be listed as a device, and its device for this user."""

    step_data: Mapping[str, Any] = field(default_factory=dict)
    device_name: str | None = None
    device: ExistingDevice | None = None


class ChallengeHandler:
    """The BFF half of one registry entry. Subclasses set the class attributes and
    implement ``answer``; ``on_enter`` defaults to nothing more than the username."""

    challenge: ClassVar[Challenge]
    #: The answer's body (marshmallow schema; unknown fields are refused).
    schema: ClassVar[type[Schema]]
    #: The POST route under /api that takes the answer.
    route: ClassVar[str]
    #: The route's description in the OpenAPI document.
    summary: ClassVar[str]
    #: The answer changes a credential (password replaced, MFA registered): the browser
    #: session is rotated even when no tokens come yet.
    privilege_changed: ClassVar[bool] = False
    #: What ``on_enter`` gives the SPA (with the username): the challenge state's ``data``
    #: in the OpenAPI document (bff.flows.data).
    data_schema: ClassVar[type[StepData]] = StepData

    @property
    def step(self) -> str:
        step = self.challenge.step
        assert step is not None, f"{self.challenge.name} has no API step"
        return step

    def on_enter(self, flows: Flows, flow: Flow, step: AuthStep) -> dict[str, Any]:
        """What the SPA's screen for this challenge needs (never a secret kept anywhere)."""
        return {}

    def factor_fields(self) -> dict[str, ma_fields.Field[Any]]:
        """As a first factor (the registry's ``factor``): the fields the SPA sends with the
        choice, beyond the factor's name (optional in the schema; ``factor_requires`` says
        which this factor needs). New field objects on every call."""
        return {}

    #: As a first factor: the fields of ``factor_fields`` this factor cannot do without.
    factor_requires: ClassVar[tuple[str, ...]] = ()

    def choose(
        self, flows: Flows, flow: Flow, args: Mapping[str, Any], send: SendChoice
    ) -> AuthStep:
        """As a first factor: sign in with it. ``send`` carries the factor's parameters to
        Cognito; a factor the BFF proves within the step (PASSWORD_SRP) answers what comes
        back before returning. By default: the factor's name alone."""
        return send({})

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        """Call Cognito with the user's answer (``args``, parsed by ``schema``) and the
        claimed ``session``; Cognito's next step (a challenge or tokens). Every call goes
        through ``flows.call`` with the session to give back on a retryable error."""
        raise NotImplementedError

    def respond(
        self, flows: Flows, flow: Flow, responses: Mapping[str, str], session: str
    ) -> AuthStep:
        """RespondToAuthChallenge with ``responses`` for this challenge."""
        return flows.call(
            flow,
            "RespondToAuthChallenge",
            lambda: flows.gateway.respond(self.challenge.name, responses, session),
            restore_session=session,
        )


class CodeChallengeHandler(ChallengeHandler):
    """A challenge answered with the user's name and one code (EMAIL_OTP, SMS_OTP,
    SMS_MFA): ``code_key`` names the code in the ChallengeResponses, ``args["code"]`` holds
    it (the schema's ``code`` field)."""

    code_key: ClassVar[str]

    def answer(
        self,
        flows: Flows,
        flow: Flow,
        session: str,
        args: Mapping[str, Any],
        context: AnswerContext,
    ) -> AuthStep:
        responses = {"USERNAME": flow.username or "", self.code_key: args["code"]}
        return self.respond(flows, flow, responses, session)
