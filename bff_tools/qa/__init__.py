"""QA tools: scripted HTTP journeys against a running BFF.

``bff qa run FILE`` plays a journey script (bff_tools/qa/journey.py describes the YAML format)
against a BFF and prints a pass/fail table. ``bff journal FLOW_ID`` (bff_tools.journal_cli,
outside this package: it needs no YAML) prints what the BFF's store journaled for one flow.
"""

from .journey import Journey, JourneyError, Step, load_journey
from .runner import JourneyFailed, JourneyRunner, StepResult

__all__ = [
    "Journey",
    "JourneyError",
    "JourneyFailed",
    "JourneyRunner",
    "Step",
    "StepResult",
    "load_journey",
]
