"""Every trigger from every state: legal ones land where TRANSITIONS says, illegal ones raise.

The expected table is computed from the TRANSITIONS data (the definition), independently of
the built transitions.Machine, so a machine that disagrees with its own definition fails.
"""

from __future__ import annotations

import itertools

import pytest

from statemachine import STATES, TRANSITIONS, TRIGGERS, Flow, IllegalTransition
from statemachine.lifecycle import ATTEMPT_TRIGGERS, REFLEXIVE, allowed_triggers


def _expected() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for transition in TRANSITIONS:
        for source in transition["source"]:
            dest = source if transition["dest"] == REFLEXIVE else transition["dest"]
            table.setdefault((source, transition["trigger"]), dest)
    return table


EXPECTED = _expected()
LEGAL = sorted(EXPECTED)
ILLEGAL = sorted(set(itertools.product(STATES, TRIGGERS)) - set(EXPECTED))


def test_mission_states_exist_with_exact_names() -> None:
    for name in (
        "SIGNED_UP",
        "CONFIRMED",
        "NEW_PASSWORD_REQUIRED",
        "MFA_SETUP",
        "SOFTWARE_TOKEN_MFA",
        "DEVICE_SRP_AUTH",
        "AUTHENTICATED",
    ):
        assert name in STATES


def test_tables_cover_every_pair() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(STATES) * len(TRIGGERS)
    assert LEGAL and ILLEGAL


@pytest.mark.parametrize(("state", "trigger"), LEGAL, ids=[f"{s}-{t}" for s, t in LEGAL])
def test_legal_transition(state: str, trigger: str) -> None:
    flow = Flow(state=state)
    entry = flow.fire(trigger, action="Test")
    assert flow.state == EXPECTED[(state, trigger)]
    assert (entry.source, entry.trigger, entry.dest) == (state, trigger, flow.state)
    assert flow.journal == [entry]
    if trigger in ATTEMPT_TRIGGERS:
        assert flow.attempts_in(state) == 1


@pytest.mark.parametrize(("state", "trigger"), ILLEGAL, ids=[f"{s}-{t}" for s, t in ILLEGAL])
def test_illegal_transition(state: str, trigger: str) -> None:
    flow = Flow(state=state)
    with pytest.raises(IllegalTransition) as caught:
        flow.fire(trigger)
    error = caught.value
    assert error.state == state and error.trigger == trigger
    assert error.allowed == allowed_triggers(state)
    assert state in str(error)
    for allowed in error.allowed:
        assert allowed in str(error)
    assert flow.state == state and flow.journal == []


def test_unknown_trigger_is_illegal_everywhere() -> None:
    with pytest.raises(IllegalTransition):
        Flow().fire("teleport")


def test_attempts_accumulate_and_reset_on_leaving() -> None:
    flow = Flow(state="SOFTWARE_TOKEN_MFA")
    flow.fire("code_rejected")
    flow.fire("code_rejected")
    assert flow.attempts_in() == 2
    flow.fire("authenticated")
    assert flow.attempts_in("SOFTWARE_TOKEN_MFA") == 0


def test_every_state_reachable_from_new() -> None:
    reached, frontier = {"NEW"}, ["NEW"]
    while frontier:
        state = frontier.pop()
        for trigger in allowed_triggers(state):
            dest = EXPECTED[(state, trigger)]
            if dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    assert reached == set(STATES)


def test_the_machine_is_built_once() -> None:
    from statemachine import lifecycle

    flows = [Flow() for _ in range(50)]
    for flow in flows:
        flow.fire("signed_up")
    assert lifecycle.MACHINE.models == []  # flows are dispatched, never retained
