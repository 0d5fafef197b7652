"""The challenge registry (statemachine.challenges) is the one place that lists Cognito's
challenges: the machine, the outcome mapping, the API's steps and routes, the OpenAPI
document and the local Cognito's dispatch all follow it, and no other runtime module names
a challenge."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from bff.flows.challenges import HANDLERS
from bff.flows.steps import STEP_NAMES, step
from statemachine import STATES, TRIGGERS
from statemachine.challenges import CHALLENGES, NOT_SUPPORTED, SUPPORTED
from statemachine.lifecycle import STATE_DESCRIPTIONS, destination
from statemachine.outcomes import trigger_for

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "statemachine" / "challenges.py"
NAMES = frozenset(SUPPORTED) | frozenset(NOT_SUPPORTED)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _challenge_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in NAMES
        and id(node) not in skip
    ]


@pytest.mark.parametrize("package", ["bff", "bff_tools", "statemachine"])
def test_no_runtime_module_but_the_registry_names_a_challenge(package: str) -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}": name
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != REGISTRY
        for line, name in _challenge_literals(path)
    }
    assert found == {}, "name challenges through statemachine.challenges"


@pytest.mark.parametrize("entry", CHALLENGES, ids=lambda c: c.name)
def test_each_challenge_drives_the_machine_and_the_outcomes(entry: Any) -> None:
    assert entry.trigger in TRIGGERS
    answer = {"ChallengeName": entry.name, "ChallengeParameters": {}}
    assert trigger_for("InitiateAuth" if entry.from_sign_in else "RespondToAuthChallenge", answer)
    if entry.state is not None:
        assert entry.state in STATES and STATE_DESCRIPTIONS[entry.state] == entry.state_doc
        for before in entry.after:
            assert destination(entry.trigger, before) == entry.state


@pytest.mark.parametrize("entry", [c for c in CHALLENGES if c.step], ids=lambda c: c.name)
def test_each_answered_challenge_has_a_handler_a_step_and_a_route(entry: Any, app: Any) -> None:
    handler = HANDLERS[entry.name]
    assert handler.step == entry.step and entry.step in STEP_NAMES
    assert step(entry.step).kind == "answers" and step(entry.step).trigger == entry.trigger
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    assert rules[f"/api{handler.route}"].methods >= {"POST"}
    document = app.test_client().get("/api/openapi.json").get_json()
    operation = document["paths"][f"/api{handler.route}"]["post"]
    assert operation["summary"] or operation.get("description")


def test_the_local_cognito_answers_every_challenge_of_the_registry() -> None:
    from local_cognito import fidelity

    assert set(fidelity._ANSWERERS) == set(SUPPORTED)


def test_an_unknown_challenge_is_refused_naming_the_registry() -> None:
    from statemachine import UnsupportedChallenge

    with pytest.raises(UnsupportedChallenge) as caught:
        trigger_for("InitiateAuth", {"ChallengeName": "CUSTOM_CHALLENGE"})
    assert all(name in str(caught.value) for name in SUPPORTED)
