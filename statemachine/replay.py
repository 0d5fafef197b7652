"""Replay for QA: re-run a recorded journal's triggers on a fresh flow and find where it diverges.

A journal comes from a bug report or a test run (``Flow.journal_json()``, the admin endpoint,
``bff journal``). Replaying it answers "does today's machine still walk that path?": the first
step whose recorded ``from`` state differs from the replayed one, whose trigger is illegal
there, or whose recorded ``to`` state differs, is the divergence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import IllegalTransition
from .flow import Flow, JournalEntry
from .lifecycle import NEW, STATES


@dataclass(frozen=True)
class ReplayStep:
    seq: int
    trigger: str
    recorded_from: str
    recorded_to: str
    replayed_from: str
    replayed_to: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class ReplayReport:
    steps: list[ReplayStep] = field(default_factory=list)

    @property
    def divergence(self) -> ReplayStep | None:
        return next((step for step in self.steps if not step.ok), None)

    @property
    def ok(self) -> bool:
        return self.divergence is None

    @property
    def final_state(self) -> str | None:
        if not self.steps:
            return None
        last = self.steps[-1]
        return last.replayed_to if last.replayed_to is not None else last.replayed_from


def replay(journal: Sequence[JournalEntry], *, initial: str | None = None) -> ReplayReport:
    """Re-run ``journal`` on a fresh flow; stop at the first divergence.

    The fresh flow starts in ``initial``, by default the first entry's recorded ``from``
    state when it is a known state (a journal may begin mid-lifecycle), else NEW.
    """
    if initial is None:
        first = journal[0].source if journal else NEW
        initial = first if first in STATES else NEW
    flow = Flow(state=initial)
    report = ReplayReport()
    for entry in journal:
        before = flow.state
        if entry.source != before:
            report.steps.append(
                _step(entry, before, None, f"recorded from {entry.source}, replay is in {before}")
            )
            break
        try:
            flow.fire(entry.trigger, action=entry.action, challenge=entry.challenge)
        except IllegalTransition as exc:
            allowed = ", ".join(exc.allowed) or "none"
            illegal = f"{entry.trigger!r} is illegal in {before} (allowed: {allowed})"
            report.steps.append(_step(entry, before, None, illegal))
            break
        after = flow.state
        differs = (
            None if after == entry.dest else f"recorded to {entry.dest}, replay went to {after}"
        )
        report.steps.append(_step(entry, before, after, differs))
        if differs:
            break
    return report


def _step(entry: JournalEntry, before: str, after: str | None, problem: str | None) -> ReplayStep:
    return ReplayStep(
        seq=entry.seq,
        trigger=entry.trigger,
        recorded_from=entry.source,
        recorded_to=entry.dest,
        replayed_from=before,
        replayed_to=after,
        problem=problem,
    )


def format_report(report: ReplayReport, total: int | None = None) -> str:
    """A plain-text table of the replayed steps and a closing verdict line."""
    header = ("#", "trigger", "recorded", "replayed", "result")
    rows = [
        (
            str(step.seq),
            step.trigger,
            f"{step.recorded_from} -> {step.recorded_to}",
            f"{step.replayed_from} -> {step.replayed_to or '(illegal)'}",
            "ok" if step.ok else f"DIVERGES: {step.problem}",
        )
        for step in report.steps
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    total = len(report.steps) if total is None else total
    if report.ok:
        lines.append(f"replayed {len(report.steps)} of {total} steps: no divergence")
    else:
        divergence = report.divergence
        assert divergence is not None
        lines.append(f"diverged at step {divergence.seq} of {total}: {divergence.problem}")
    return "\n".join(lines)
