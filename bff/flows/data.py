"""The typed contract of a step answer's ``data``: what each state's screen receives.

The code that produces a state's data declares its schema beside it, with
``@produces(STATE, ...)`` on a ``StepData`` subclass (a use case module: signup, recovery,
account, devices, signin; a challenge handler: its ``data_schema``). A state's data schema
in the OpenAPI document is every declaration for that state merged (bff.api.flow_schemas),
and the step shape is a union of one schema per state, discriminated on ``state``. A key
a producer sends but did not declare fails the contract test that validates the QA
journeys' real answers against the document (tests/api/test_openapi_contract.py).

A key is required in a state's schema only when every declaration for that state requires
it: several steps end in the same state with different data, and a reload
(``GET /api/flow``) repeats the last step's data without what is shown once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from marshmallow import RAISE, Schema, fields

from statemachine import STATES


class StepData(Schema):
    """The base of every declaration: the user the flow is about (null when the browser's
    session does not know it yet), and nothing undeclared."""

    class Meta:
        unknown = RAISE

    username = fields.String(
        allow_none=True, metadata={"description": "The user the flow is about."}
    )


class CodeDeliverySchema(Schema):
    """Where Cognito sent a code (CodeDeliveryDetails)."""

    destination = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Masked by Cognito, e.g. a***@e***; null when none was sent."},
    )
    medium = fields.String(required=True, metadata={"description": "EMAIL or SMS."})
    attribute = fields.String(required=True, allow_none=True)


T = TypeVar("T", bound=type[StepData])

_DECLARED: dict[str, list[type[StepData]]] = {state: [] for state in STATES}


def produces(*states: str) -> Callable[[T], T]:
    """Declare ``schema`` as data a step answers with in each of ``states``."""

    def register(schema: T) -> T:
        for state in states:
            if state not in _DECLARED:
                raise ValueError(f"{schema.__name__}: {state!r} is not a lifecycle state")
            if schema not in _DECLARED[state]:
                _DECLARED[state].append(schema)
        return schema

    return register


def declared(state: str) -> tuple[type[StepData], ...]:
    """The declarations for ``state`` (none: its data holds ``username`` at most)."""
    return tuple(_DECLARED[state])
