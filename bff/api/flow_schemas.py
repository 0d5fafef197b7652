"""The step shape in the OpenAPI document: one schema per state, a union on ``state``.

Each state's ``data`` schema merges what the code producing that state's data declares
(bff.flows.data); each state's flow schema pins ``state`` to that one state. ``StepFlow``
is the field the response schemas use for a flow: it dumps the flow as the view built it,
and the document describes it as ``oneOf`` the per-state schemas with a ``discriminator``
on ``state``, so a code generator gives the SPA one type per screen.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from marshmallow import Schema, fields, validate

# The producers' modules declare their data on import: import them all before merging.
from bff.flows import (  # noqa: F401
    account,
    auth_factors,
    challenges,
    devices,
    recovery,
    signin,
    signup,
)
from bff.flows.data import StepData, declared
from bff.flows.steps import next_steps
from statemachine import STATES


def _camel(state: str) -> str:
    return "".join(part.capitalize() for part in state.split("_"))


def _merged_fields(state: str) -> dict[str, fields.Field[Any]]:
    """Every declared field for ``state``; required only where every declaration (and a
    reload, which repeats the data) requires it."""
    declarations = declared(state) or (StepData,)
    merged: dict[str, fields.Field[Any]] = {}
    for schema in declarations:
        for name, field in schema._declared_fields.items():
            known = merged.get(name)
            if known is not None and type(known) is not type(field):
                raise TypeError(f"{state}: {name!r} is declared as two different types")
            if known is None:
                merged[name] = field
    required = {
        name
        for name in merged
        if all(
            name in s._declared_fields and s._declared_fields[name].required for s in declarations
        )
    }
    return {name: _copy(merged[name], name in required) for name in sorted(merged)}


def _copy(field: fields.Field[Any], required: bool) -> fields.Field[Any]:
    clone = copy.copy(field)
    clone.required = required
    return clone


def _data_schema(state: str) -> type[Schema]:
    body: dict[str, Any] = dict(_merged_fields(state))
    body["__doc__"] = f"`data` in state {state}."
    return type(f"{_camel(state)}Data", (StepData,), body)


def _flow_schema(state: str, data: type[Schema]) -> type[Schema]:
    body: dict[str, Any] = {
        "__doc__": f"A flow in state {state}.",
        "id": fields.String(required=True),
        "state": fields.String(required=True, validate=validate.OneOf([state])),
        "next_steps": fields.List(
            fields.String(validate=validate.OneOf(next_steps(state))),
            required=True,
            metadata={"description": "Steps allowed from here (the machine's, in its order)."},
        ),
        "data": fields.Nested(data, required=True),
    }
    return type(f"{_camel(state)}Flow", (Schema,), body)


#: The flow schema of each state, in the machine's order.
FLOW_SCHEMAS: Final[dict[str, type[Schema]]] = {
    state: _flow_schema(state, _data_schema(state)) for state in STATES
}


class StepFlow(fields.Field[Any]):
    """A flow as the view built it (``flow_view``), dumped unchanged; documented as the
    union of ``FLOW_SCHEMAS`` (``step_flow_property``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


def step_flow_property(converter: Any, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a ``StepFlow`` field's OpenAPI property."""
    if not isinstance(field, StepFlow):
        return {}
    refs = {state: converter.resolve_nested_schema(s) for state, s in FLOW_SCHEMAS.items()}
    union: dict[str, Any] = {
        "oneOf": list(refs.values()),
        "discriminator": {
            "propertyName": "state",
            "mapping": {state: ref["$ref"] for state, ref in refs.items()},
        },
    }
    if field.allow_none:
        union["nullable"] = True
    return union
