"""The per-journey overviews of docs/auth-lifecycle.md: drawn from the machine, every trigger
placed in one (their text is kept current by the generated-docs drift test, their Mermaid
rendered by tests/test_mermaid_render.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from statemachine import TRIGGERS
from statemachine.journeys import JOURNEYS, Journey, JourneyError, Walk, unplaced_triggers
from statemachine.lifecycle import AUTHENTICATED, CONFIRMED, NEW, SIGNED_UP, edges
from statemachine.mermaid import journey_diagram

DOC = Path(__file__).resolve().parents[2] / "docs" / "auth-lifecycle.md"


def test_every_trigger_of_the_machine_is_drawn_in_a_journey() -> None:
    assert unplaced_triggers() == [], (
        "place these triggers in a journey of statemachine/journeys.py, then run `bff docs`"
    )


def test_a_trigger_left_out_of_every_journey_is_reported() -> None:
    without_sign_up = tuple(j for j in JOURNEYS if j.name != "sign-up")
    assert {"signed_up", "signed_up_confirmed"} <= set(unplaced_triggers(without_sign_up))


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.name for j in JOURNEYS])
def test_a_journey_draws_only_machine_edges_and_each_trigger_it_names(journey: Journey) -> None:
    drawn = journey.edges()
    assert set(drawn) <= set(edges())
    assert journey.triggers() == {trigger for _, trigger, _ in drawn}
    assert {s for edge in drawn for s in (edge[0], edge[2])} <= set(journey.states())


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.name for j in JOURNEYS])
def test_each_journey_is_smaller_than_the_machine_and_in_the_doc(journey: Journey) -> None:
    moves = [edge for edge in journey.edges() if edge[0] != edge[2]]
    assert 0 < len(moves) <= 10
    assert journey_diagram(journey) in DOC.read_text(encoding="utf-8")


def test_journey_names_are_unique_and_together_cover_every_trigger() -> None:
    assert len({j.name for j in JOURNEYS}) == len(JOURNEYS)
    assert set().union(*(j.triggers() for j in JOURNEYS)) == set(TRIGGERS)


def test_a_walk_the_machine_does_not_allow_is_refused() -> None:
    wrong = Journey("x", "X", "", walks=(Walk(NEW, ("signed_up", "authenticated")),))
    with pytest.raises(JourneyError, match="authenticated is not allowed from SIGNED_UP"):
        wrong.edges()


def test_a_diagram_draws_the_walk_the_triggers_on_the_way_and_at_the_end() -> None:
    journey = Journey(
        "x",
        "X",
        "",
        walks=(Walk(NEW, ("signed_up", "confirmed")),),
        on_the_way=("code_rejected",),
        at_the_end=("credentials_rejected",),
    )
    assert journey_diagram(journey) == (
        "stateDiagram-v2\n"
        f"    [*] --> {NEW}\n"
        f"    {NEW} --> {SIGNED_UP}: signed_up\n"
        f"    {SIGNED_UP} --> {CONFIRMED}: confirmed\n"
        f"    note right of {NEW}: stays on code_rejected\n"
        f"    note right of {SIGNED_UP}: stays on code_rejected\n"
        f"    note right of {CONFIRMED}: stays on credentials_rejected\n"
        f"    {CONFIRMED} --> [*]\n"
    )
    # A trigger at the end is drawn only where a walk ends.
    moved = replace(journey, walks=(Walk(NEW, ("signed_up",)),))
    assert "credentials_rejected" not in journey_diagram(moved)
    assert AUTHENTICATED not in journey_diagram(journey)
