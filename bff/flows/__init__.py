"""The service layer: the sign-up / sign-in steps over the Cognito gateway and the store."""

from .service import (
    CLEAR_DEVICE_COOKIE,
    ExistingDevice,
    FlowService,
    NoDeviceOffered,
    NoFlow,
    StepOutcome,
    flow_view,
)
from .steps import STEP_NAMES, STEPS, next_steps, step_allowed

__all__ = [
    "CLEAR_DEVICE_COOKIE",
    "STEPS",
    "STEP_NAMES",
    "ExistingDevice",
    "FlowService",
    "NoDeviceOffered",
    "NoFlow",
    "StepOutcome",
    "flow_view",
    "next_steps",
    "step_allowed",
]
