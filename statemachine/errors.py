"""The lifecycle's own errors. The BFF maps them to its HTTP error shape in one place."""

from __future__ import annotations

from .challenges import SUPPORTED


class LifecycleError(Exception):
    """Base of every error raised by the statemachine package."""


class IllegalTransition(LifecycleError):
    """A trigger that is not allowed from the flow's current state."""

    def __init__(self, trigger: str, state: str, allowed: list[str]):
        self.trigger = trigger
        self.state = state
        self.allowed = list(allowed)
        allowed_text = ", ".join(self.allowed) or "none"
        super().__init__(
            f"{trigger!r} is not allowed from state {state}; allowed from {state}: {allowed_text}"
        )


class UnsupportedChallenge(LifecycleError):
    """Cognito sent a challenge this project does not handle (SMS_MFA, CUSTOM_CHALLENGE, ...)."""

    def __init__(self, challenge_name: str):
        self.challenge_name = challenge_name
        super().__init__(
            f"Cognito challenge {challenge_name!r} is not supported by this BFF "
            f"(supported: {', '.join(SUPPORTED)})"
        )


class UnknownOutcome(LifecycleError):
    """A Cognito action or response the lifecycle cannot interpret."""


class JournalError(LifecycleError):
    """A journal (or flow document) that cannot be read."""
