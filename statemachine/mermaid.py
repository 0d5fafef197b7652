"""Mermaid export: the lifecycle as a ``stateDiagram-v2``, generated from the machine itself,
whole (``state_diagram``) or one journey at a time (``journey_diagram``)."""

from __future__ import annotations

from collections.abc import Iterable

from .journeys import Journey
from .lifecycle import NEW, STATES, edges


def state_diagram() -> str:
    """The machine as Mermaid source. Edges between the same two states share one label;
    triggers that keep the state are listed in a note beside it (self-loops made the picture
    unreadable); a state with no way out is drawn as an end (``--> [*]``)."""
    return _diagram(edges(), [NEW], STATES)


def journey_diagram(journey: Journey) -> str:
    """One journey as Mermaid source, drawn like ``state_diagram`` from the machine's edges
    inside the journey; a state with no way out inside the journey is drawn as its end."""
    return _diagram(journey.edges(), journey.starts, journey.states())


def _diagram(
    edge_list: Iterable[tuple[str, str, str]], starts: Iterable[str], states: Iterable[str]
) -> str:
    ordered = list(states)
    labels: dict[tuple[str, str], list[str]] = {}
    for source, trigger, dest in edge_list:
        labels.setdefault((source, dest), []).append(trigger)
    lines = ["stateDiagram-v2", *(f"    [*] --> {start}" for start in starts)]
    for state in ordered:
        for (source, dest), triggers in labels.items():
            if source == state and dest != state:
                lines.append(f"    {source} --> {dest}: {' / '.join(triggers)}")
    for state in ordered:
        if (state, state) in labels:
            kept = ", ".join(labels[(state, state)])
            lines.append(f"    note right of {state}: stays on {kept}")
    exits = {source for (source, dest) in labels if source != dest}
    lines.extend(f"    {state} --> [*]" for state in ordered if state not in exits)
    return "\n".join(lines) + "\n"
