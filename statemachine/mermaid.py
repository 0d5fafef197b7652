"""Mermaid export: the lifecycle as a ``stateDiagram-v2``, generated from the machine itself."""

from __future__ import annotations

from .lifecycle import NEW, STATES, edges


def state_diagram() -> str:
    """The machine as Mermaid source. Edges between the same two states share one label;
    triggers that keep the state are listed in a note beside it (self-loops made the picture
    unreadable); a state with no way out is drawn as an end (``--> [*]``)."""
    labels: dict[tuple[str, str], list[str]] = {}
    for source, trigger, dest in edges():
        labels.setdefault((source, dest), []).append(trigger)
    lines = ["stateDiagram-v2", f"    [*] --> {NEW}"]
    for state in STATES:
        for (source, dest), triggers in labels.items():
            if source == state and dest != state:
                lines.append(f"    {source} --> {dest}: {' / '.join(triggers)}")
    for state in STATES:
        if (state, state) in labels:
            kept = ", ".join(labels[(state, state)])
            lines.append(f"    note right of {state}: stays on {kept}")
    exits = {source for (source, dest) in labels if source != dest}
    lines.extend(f"    {state} --> [*]" for state in STATES if state not in exits)
    return "\n".join(lines) + "\n"
