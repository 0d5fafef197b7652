"""One error hierarchy, one meaning per code, published where a client's code generator sees
it: the error catalogue in docs/api.md and the OpenAPI document's enums (error codes,
states, next steps) are derived from the code, so they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from api_helpers import SpaClient, error_of
from flask import Flask

import bff.app  # noqa: F401  # every module of the runtime: any error class defined anywhere
from bff.errors import BffError, catalogue, registered
from bff.flows.steps import STEP_NAMES, next_steps
from statemachine import STATES

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = re.search(
    r"<!-- BEGIN GENERATED: error-catalogue -->\n(.*?)<!-- END GENERATED",
    (ROOT / "docs" / "api.md").read_text(encoding="utf-8"),
    re.DOTALL,
)


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_the_openapi_document_publishes_codes_states_and_steps_as_enums(app: Flask) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    error_body = _schema(spec, "ErrorBody")["properties"]
    assert error_body["code"]["enum"] == sorted(registered())
    # The step shape is a union of one flow schema per state, discriminated on ``state``;
    # each lists the steps the machine allows from its state.
    union = _schema(spec, "FlowResponse")["properties"]["flow"]
    mapping = union["discriminator"]["mapping"]
    assert union["discriminator"]["propertyName"] == "state"
    assert list(mapping) == list(STATES)
    assert [ref["$ref"] for ref in union["oneOf"]] == list(mapping.values())
    steps_seen: set[str] = set()
    for state, ref in mapping.items():
        flow = _schema(spec, ref.rsplit("/", 1)[1])["properties"]
        assert flow["state"]["enum"] == [state]
        assert flow["next_steps"]["items"]["enum"] == next_steps(state)
        steps_seen.update(next_steps(state))
    assert steps_seen <= set(STEP_NAMES)


def test_the_catalogue_in_docs_lists_every_code_once() -> None:
    assert CATALOGUE is not None, "docs/api.md has no generated error catalogue"
    rows = re.findall(r"^\| `(\w+)` \| (\d{3}) \|", CATALOGUE.group(1), re.MULTILINE)
    assert sorted(code for code, _ in rows) == sorted(registered())
    assert {code: int(status) for code, status in rows} == {
        entry.code: entry.status for entry in catalogue()
    }


def test_every_error_class_lives_in_the_hierarchy_and_says_when() -> None:
    for code, error in registered().items():
        assert error.__module__.startswith("bff.errors"), (code, error.__module__)
        assert 400 <= error.status < 600, code
        assert (error.__doc__ or "").strip() and error.default_message, code


def test_a_code_cannot_take_a_second_meaning() -> None:
    with pytest.raises(TypeError, match="already means"):
        type("AnotherConflict", (BffError,), {"code": "conflict", "status": 409})
    # A narrower raise site keeps its parent's code (and meaning) without declaring it.
    narrower = type("NarrowerConflict", (registered()["conflict"],), {})
    assert narrower.code == "conflict" and registered()["conflict"] is not narrower


@pytest.mark.parametrize("path", ["/api/sign-up/confirm", "/api/sign-up/resend-code"])
def test_a_code_step_without_a_username_is_invalid_input_not_404(spa: SpaClient, path: str) -> None:
    body = {"code": "123456"} if path.endswith("confirm") else {}
    error = error_of(spa.post(path, body), 422)
    assert error["code"] == "invalid_input"
    assert list(error["details"]["fields"]) == ["username"]
