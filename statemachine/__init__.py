"""The Cognito sign-in lifecycle as a ``transitions`` state machine.

Pure Python: this package imports neither Flask nor boto3 nor moto. It is the single source
of truth for the lifecycle: the API's allowed next steps, the docs diagram, replay and the
tests' tables all derive from ``statemachine.lifecycle``.
"""

from .errors import (
    IllegalTransition,
    JournalError,
    LifecycleError,
    UnknownOutcome,
    UnsupportedChallenge,
)
from .flow import (
    Flow,
    JournalEntry,
    journal_from_json,
    journal_request_id,
    journal_to_json,
    set_journal_request_id,
)
from .lifecycle import (
    MACHINE,
    STATE_DESCRIPTIONS,
    STATES,
    TRANSITIONS,
    TRIGGER_DESCRIPTIONS,
    TRIGGERS,
    allowed_triggers,
    destination,
    may_fire,
)
from .outcomes import trigger_for

__all__ = [
    "MACHINE",
    "STATES",
    "STATE_DESCRIPTIONS",
    "TRANSITIONS",
    "TRIGGERS",
    "TRIGGER_DESCRIPTIONS",
    "Flow",
    "IllegalTransition",
    "JournalEntry",
    "JournalError",
    "LifecycleError",
    "UnknownOutcome",
    "UnsupportedChallenge",
    "allowed_triggers",
    "destination",
    "journal_from_json",
    "journal_request_id",
    "journal_to_json",
    "may_fire",
    "set_journal_request_id",
    "trigger_for",
]
