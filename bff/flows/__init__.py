"""The service layer: every step over the Cognito gateway and the store, one module per use
case (signup, signin and its challenges, devices, recovery, account, session), each a set of
functions taking the ``Flows`` of the step protocol (bff.flows.protocol)."""

from bff.errors import NoDeviceOffered, NoFlow

from .outcome import CLEAR_DEVICE_COOKIE, ExistingDevice, StepOutcome, flow_view
from .protocol import Flows
from .steps import STEP_NAMES, STEPS, next_steps, step_allowed

__all__ = [
    "CLEAR_DEVICE_COOKIE",
    "STEPS",
    "STEP_NAMES",
    "ExistingDevice",
    "Flows",
    "NoDeviceOffered",
    "NoFlow",
    "StepOutcome",
    "flow_view",
    "next_steps",
    "step_allowed",
]
