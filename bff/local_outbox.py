"""Reading a local Cognito's outbox over HTTP (standard library only).

The local Cognito (the ``local_cognito`` package) records every message real Cognito
would have emailed (confirmation codes, temporary passwords, password reset codes) or texted
(MFA codes, addressed to the phone number) and serves them at
``GET {endpoint_url}/_local/outbox?to=EMAIL&kind=KIND``. This module is the
client side: the demo page's outbox panel, ``bff outbox``, the scenario, the QA runner and
the tests read it through here. It imports nothing of the emulator, so the runtime can use it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

#: The kinds of message the local Cognito records.
KINDS = (
    "confirmation_code",
    "temporary_password",
    "password_reset_code",
    "email_otp",
    "sms_mfa",
    "sms_otp",
)


class OutboxError(RuntimeError):
    """The outbox could not be read (local Cognito not running, bad answer)."""


def read_outbox(
    endpoint_url: str, to: str | None = None, kind: str | None = None, timeout: float = 5.0
) -> list[dict[str, Any]]:
    """Messages recorded by the local Cognito at ``endpoint_url``, oldest first."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    query = {k: v for k, v in (("to", to), ("kind", kind)) if v is not None}
    if urllib.parse.urlsplit(endpoint_url).scheme not in ("http", "https"):
        raise ValueError(f"endpoint_url must be an http(s) URL, not {endpoint_url!r}")
    url = endpoint_url.rstrip("/") + "/_local/outbox"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            payload = json.load(response)
    except (urllib.error.URLError, OSError) as exc:
        raise OutboxError(f"cannot read the outbox at {endpoint_url}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise OutboxError(f"the outbox at {endpoint_url} did not answer JSON") from exc
    if not isinstance(payload, list):
        raise OutboxError(f"the outbox at {endpoint_url} did not answer a list")
    return payload


def latest_message(endpoint_url: str, to: str, kind: str) -> dict[str, Any]:
    """The newest message of ``kind`` sent to ``to``; LookupError when there is none."""
    messages = read_outbox(endpoint_url, to=to, kind=kind)
    if not messages:
        raise LookupError(f"no {kind} message for {to} in the outbox")
    return messages[-1]


class OutboxReader:
    """The outbox of one local Cognito, as tests use it."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def messages(self, to: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        return read_outbox(self.endpoint_url, to=to, kind=kind)

    def latest_code(self, to: str) -> str:
        """The newest confirmation code sent to ``to``."""
        return str(latest_message(self.endpoint_url, to, "confirmation_code")["code"])

    def latest_reset_code(self, to: str) -> str:
        """The newest password reset code (ForgotPassword, AdminResetUserPassword) to ``to``."""
        return str(latest_message(self.endpoint_url, to, "password_reset_code")["code"])

    def latest_email_otp(self, to: str) -> str:
        """The newest one-time sign-in code (EMAIL_OTP, first factor or MFA) sent to ``to``."""
        return str(latest_message(self.endpoint_url, to, "email_otp")["code"])

    def latest_sms_code(self, phone_number: str, kind: str = "sms_mfa") -> str:
        """The newest code texted to ``phone_number`` (an SMS_MFA code by default; ``sms_otp``
        for a passwordless sign-in's)."""
        return str(latest_message(self.endpoint_url, phone_number, kind)["code"])

    def latest_temporary_password(self, to: str) -> str:
        """The newest temporary password sent to ``to``."""
        message = latest_message(self.endpoint_url, to, "temporary_password")
        return str(message["temporary_password"])
