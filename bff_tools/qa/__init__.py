"""QA tools: scripted HTTP journeys against a running BFF, and a flow's journal.

``bff qa run FILE`` plays a journey script (bff_tools/qa/journey.py describes the YAML format)
against a BFF and prints a pass/fail table; ``bff journal FLOW_ID`` prints what the BFF's
store journaled for one flow (input for ``bff replay``).
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
