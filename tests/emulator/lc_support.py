"""Helpers shared by the local Cognito's wire tests (imported by the test modules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def cognito_error(call: Callable[..., Any], *args: Any, **params: Any) -> tuple[str, str]:
    """The (Code, Message) of the Cognito error ``call(*args, **params)`` must raise; the
    test fails if it raises none."""
    with pytest.raises(ClientError) as excinfo:
        call(*args, **params)
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]
