"""How long a request may wait for Cognito, and which failed calls are tried again.

botocore's own retries are off (``total_max_attempts=1`` in ``botocore_config``): its
"standard" mode retries a *read timeout* like any transient error, also on calls that are not
idempotent (InitiateAuth, SignUp, AdminCreateUser...), so a blackholed Cognito made a sign-in
wait two read timeouts and could send a request twice. ``ResilientClient`` wraps the boto3
client instead and decides per call:

* **A per-request deadline.** ``request_deadline(seconds)`` (set by the app for every HTTP
  request: ``COGNITO_CONNECT_TIMEOUT + COGNITO_READ_TIMEOUT``) bounds the time *all* the
  Cognito calls of one request may take together. A call runs in a worker thread and the
  request waits at most the time left; past it the request gets ``CognitoUnavailable`` (503
  with ``Retry-After``) while the call, if it had started, ends on its own socket timeout.
  A call queued but not started is cancelled, so it never reaches Cognito late.
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
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
)

from bff.errors import CognitoUnavailable

#: Actions that change nothing at Cognito: any failure may be tried again.
READ_ONLY = frozenset({"get_user", "admin_get_user", "list_users", "list_devices"})
#: Cognito refused before acting: always safe to try again.
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException"})
BACKOFF_BASE = 0.05
BACKOFF_CAP = 0.5
MAX_WORKERS = 32

_deadline: ContextVar[float | None] = ContextVar("bff_cognito_deadline", default=None)
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


_executor_pid = 0


def _pool() -> ThreadPoolExecutor:
    """The worker threads for Cognito calls, made per process (a forked gunicorn worker
    never inherits its parent's threads, so it builds its own)."""
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():
            _executor = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="cognito-call")
            _executor_pid = os.getpid()
        return _executor


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
    return CognitoUnavailable(cognito_code="RequestDeadlineExceeded")


class ResilientClient:
    """A boto3 ``cognito-idp`` client with the deadline and retry rules above."""

    def __init__(self, client: Any, *, max_attempts: int = 3) -> None:
        self._client = client
        self.max_attempts = max(1, max_attempts)
        self.meta = client.meta

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

    @staticmethod
    def _once(method: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        left = remaining()
        if left is None:
            return method(**kwargs)
        if left <= 0:
            raise _out_of_time()
        future: Future[Any] = _pool().submit(method, **kwargs)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            future.cancel()  # not started yet: it never will be
            raise _out_of_time() from None
