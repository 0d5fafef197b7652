"""A running local Cognito's clock, over HTTP (standard library only).

The local Cognito keeps a clock of its own, real time plus an offset that only grows
(``GET /_local/clock`` shows it, ``POST /_local/clock {"advance_seconds": N}`` moves it); code
and session expiry and TOTP codes run on it. A tool that computes TOTP codes for a local
Cognito in another process (``bff qa run``, ``bff scenario --endpoint``) computes them at
this clock's time, and moves it to the next 30-second step instead of waiting for one.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class LocalClockError(RuntimeError):
    """The local Cognito's clock could not be read or moved (not running, bad answer)."""


class LocalClock:
    """The clock of the local Cognito at ``endpoint_url``: ``now()`` and ``advance()``."""

    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        if urllib.parse.urlsplit(endpoint_url).scheme not in ("http", "https"):
            raise ValueError(f"endpoint_url must be an http(s) URL, not {endpoint_url!r}")
        self.url = endpoint_url.rstrip("/") + "/_local/clock"
        self.timeout = timeout

    def _call(self, data: bytes | None = None) -> float:
        request = urllib.request.Request(
            self.url,
            data=data,
            headers={"Content-Type": "application/json"},
            method="GET" if data is None else "POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer: Any = json.load(response)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise LocalClockError(f"the local Cognito's clock answered {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LocalClockError(f"cannot reach the local Cognito's clock: {exc}") from exc
        offset = answer.get("offset_seconds") if isinstance(answer, dict) else None
        if not isinstance(offset, int | float):
            raise LocalClockError(f"unexpected answer from {self.url}: {answer!r}")
        return float(offset)

    def offset(self) -> float:
        """Seconds the clock is ahead of real time."""
        return self._call()

    def now(self) -> float:
        """Seconds since the epoch, as the local Cognito sees them."""
        return time.time() + self.offset()

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward; returns the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        return self._call(json.dumps({"advance_seconds": seconds}).encode())
