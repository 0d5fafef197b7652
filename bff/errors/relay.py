"""The errors of the token relay (bff.relay): a remote API unreachable or silent, and a
refresh another instance holds."""

from __future__ import annotations

from typing import Any

from bff.errors.base import OUTAGE_RETRY_AFTER_SECONDS, BffError


class _Outage(BffError):
    """Something the BFF depends on for this request is down: ``Retry-After``."""

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.details.setdefault("retry_after", OUTAGE_RETRY_AFTER_SECONDS)


class UpstreamUnavailable(_Outage):
    """A remote API (`BFF_REMOTE_APIS`) refused the connection or broke it before answering:
    `Retry-After`."""

    code = "upstream_unavailable"
    status = 502
    default_message = "The API behind this route cannot be reached. Try again shortly."


class UpstreamTimeout(_Outage):
    """A remote API did not connect or answer within its `connect_timeout` / `read_timeout`:
    `Retry-After`."""

    code = "upstream_timeout"
    status = 504
    default_message = "The API behind this route did not answer in time."


class RefreshPending(_Outage):
    """Another BFF instance is refreshing this session's tokens and did not finish within
    the Cognito deadline: `Retry-After`."""

    code = "refresh_pending"
    status = 503
    default_message = "This session's tokens are being renewed. Try again in a moment."
