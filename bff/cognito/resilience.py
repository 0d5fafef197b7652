"""How long a request may wait for Cognito, and which failed calls are tried again.

botocore's own retries are off (``total_max_attempts=1`` in ``botocore_config``): its
"standard" mode retries a *read timeout* like any transient error, also on calls that are not
idempotent (InitiateAuth, SignUp, AdminCreateUser...), so a blackholed Cognito made a sign-in
wait two read timeouts and could send a request twice. ``ResilientClient`` wraps the boto3
client instead and decides per call:

* **A per-request deadline.** ``request_deadline(seconds)`` (set by the app for every HTTP
  request: ``COGNITO_CONNECT_TIMEOUT + COGNITO_READ_TIMEOUT``) bounds the time *all* the
  Cognito calls of one request may take together. Each call runs in the request's own
  thread with its read timeout cut to the time left (botocore's per-call ``read_timeout``
  in the request context, botocore >= 1.43.68); a call that would start past the deadline
  is not sent. Either way the request gets ``CognitoUnavailable`` (503 with
  ``Retry-After``, ``details.reason`` ``deadline_exceeded``). A connect still has its own
  ``COGNITO_CONNECT_TIMEOUT``, so one request waits at most the deadline plus one connect
  timeout. (Calls used to run in a worker thread the request waited on: the same bound,
  but two thread switches per call, about 0.2 ms each on the benchmark machine.)
* **Retries only when they are safe**, at most ``COGNITO_MAX_ATTEMPTS`` tries in all, with
  short jittered backoff, and only while the deadline leaves time:
  - the connection was never made (refused, connect timeout): Cognito saw nothing;
  - ``TooManyRequestsException`` / ``ThrottlingException``: Cognito refused before acting;
  - a read timeout, a dropped connection or a 5xx *only* for read-only actions (GetUser,
    AdminGetUser, ListUsers, ListDevices): Cognito may have acted on anything else.

Outside a request (the CLI scenario, scripts) there is no deadline: calls run in the
caller's thread, with the same retry rules.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

from bff.errors import CognitoUnavailable

#: Actions that change nothing at Cognito: any failure may be tried again.
READ_ONLY = frozenset({"get_user", "admin_get_user", "list_users", "list_devices"})
#: Cognito refused before acting: always safe to try again.
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException"})
BACKOFF_BASE = 0.05
BACKOFF_CAP = 0.5

_deadline: ContextVar[float | None] = ContextVar("bff_cognito_deadline", default=None)
#: The read timeout of the call being made in this context (None: the client's own).
_call_read_timeout: ContextVar[float | None] = ContextVar("bff_cognito_read_timeout", default=None)


def _apply_read_timeout(context: dict[str, Any], **_: Any) -> None:
    """botocore ``before-call`` handler: the current call's read timeout, if cut."""
    seconds = _call_read_timeout.get()
    if seconds is not None:
        context["read_timeout"] = seconds


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Every Cognito call inside the block shares ``seconds`` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def start_deadline(seconds: float) -> Any:
    """Start a deadline for the current context; ``end_deadline(token)`` ends it."""
    return _deadline.set(time.monotonic() + seconds)


def end_deadline(token: Any) -> None:
    _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left of the current deadline (None: no deadline)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def retryable(action: str, error: Exception) -> bool:
    """Whether a call of ``action`` that failed with ``error`` may be sent again."""
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return True  # nothing reached Cognito
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "")
        if code in THROTTLED:
            return True
        return action in READ_ONLY and (_status(error) >= 500 or code == "InternalErrorException")
    if isinstance(error, HTTPClientError):  # read timeout, connection closed mid-answer
        return action in READ_ONLY
    return False


_TRANSIENT = (ClientError, HTTPClientError, EndpointConnectionError, ConnectTimeoutError)


def _out_of_time() -> CognitoUnavailable:
    return CognitoUnavailable(details={"reason": "deadline_exceeded"})


class ResilientClient:
    """A boto3 ``cognito-idp`` client with the deadline and retry rules above."""

    def __init__(self, client: Any, *, max_attempts: int = 3) -> None:
        self._client = client
        self.max_attempts = max(1, max_attempts)
        self.meta = client.meta
        self._read_timeout = float(getattr(client.meta.config, "read_timeout", None) or 60)
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{service}", _apply_read_timeout)

    def __getattr__(self, action: str) -> Callable[..., Any]:
        method = getattr(self._client, action)
        if not callable(method) or action.startswith("_") or action in ("close",):
            return method  # type: ignore[no-any-return]

        def call(**kwargs: Any) -> Any:
            return self._call(action, method, kwargs)

        return call

    def _call(self, action: str, method: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        attempt = 1
        while True:
            try:
                return self._once(method, kwargs)
            except _TRANSIENT as error:
                if attempt >= self.max_attempts or not retryable(action, error):
                    raise
                pause = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
                left = remaining()
                if left is not None and left <= pause:
                    raise
                time.sleep(pause)
                attempt += 1

    def _once(self, method: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        left = remaining()
        if left is None:
            return method(**kwargs)
        if left <= 0:
            raise _out_of_time()
        cut = left < self._read_timeout
        token = _call_read_timeout.set(left if cut else None)
        try:
            return method(**kwargs)
        except ReadTimeoutError:
            if cut:  # the deadline's timeout, not Cognito's usual one
                raise _out_of_time() from None
            raise
        finally:
            _call_read_timeout.reset(token)
