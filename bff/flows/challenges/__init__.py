"""The challenge registry, BFF half: one handler module per challenge the SPA answers.

Each handler declares, next to its lifecycle entry (statemachine.challenges), what the
BFF does with the challenge: what the SPA receives when Cognito asks it (``on_enter``), the
answer's schema and route, and how the answer becomes Cognito's ChallengeResponses
(``answer``). The API's challenge routes (bff.api.challenge_views), the OpenAPI document and
the sign-in's entering of a state (bff.flows.signin) are built from ``HANDLERS``; a
registry entry with an API step and no handler stops the app at import.

The first factors of choice-based sign-in (PASSWORD, PASSWORD_SRP, EMAIL_OTP...) have a
handler each in ``FACTOR_HANDLERS`` (bff.flows.challenges.factors): what the SPA sends with
the choice and how it reaches Cognito. A factor that is also a screen (EMAIL_OTP) is in both.

Challenges the BFF answers itself within a step (PASSWORD_VERIFIER in the SRP sign-in, the
remembered device's DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER) have no route: see
bff.flows.challenges.device_srp.
"""

from __future__ import annotations

from typing import Final

from bff.flows.data import produces
from statemachine.challenges import CHALLENGES

from .base import AnswerContext, ChallengeHandler
from .factors import FACTOR_HANDLERS
from .mfa_setup import MfaSetup
from .new_password import NewPassword
from .select_challenge import SelectChallenge
from .select_mfa_type import SelectMfaType
from .sms_mfa import SmsMfa
from .software_token_mfa import SoftwareTokenMfa

HANDLERS: Final[dict[str, ChallengeHandler]] = {
    handler.challenge.name: handler
    for handler in (
        NewPassword(),
        MfaSetup(),
        SoftwareTokenMfa(),
        SmsMfa(),
        SelectMfaType(),
        SelectChallenge(),
        # The first factors answered by a step of their own (a code), not within the choice.
        *(h for h in FACTOR_HANDLERS.values() if h.challenge.step is not None),
    )
}


def _check_registry() -> None:
    expected = {c.name for c in CHALLENGES if c.step is not None}
    if set(HANDLERS) != expected:
        raise RuntimeError(
            f"challenge handlers {sorted(HANDLERS)} do not match the registry's answered "
            f"challenges {sorted(expected)}"
        )


_check_registry()

for _handler in HANDLERS.values():
    produces(_handler.challenge.name)(_handler.data_schema)

#: The handler answering each API step.
BY_STEP: Final[dict[str, ChallengeHandler]] = {h.step: h for h in HANDLERS.values()}


def handler_for_state(state: str) -> ChallengeHandler | None:
    """The handler of the challenge state ``state`` (None: not a state the SPA answers)."""
    return HANDLERS.get(state)


__all__ = [
    "BY_STEP",
    "FACTOR_HANDLERS",
    "HANDLERS",
    "AnswerContext",
    "ChallengeHandler",
    "handler_for_state",
]
