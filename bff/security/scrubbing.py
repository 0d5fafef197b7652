"""Log scrubbing: every log record of the process is scrubbed of passwords, codes, secrets,
Cognito sessions, JWTs and session ids before any handler sees it.

Logging is the process's, not an app's: ``install_log_scrubbing`` wraps the log record
factory once per process (idempotent), and ``init_app`` makes sure it is installed.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from flask import Flask

_SECRET_KEYS = (
    r"(?:new_|previous_|proposed_|temporary_)?password|PASSWORD_CLAIM_SIGNATURE|"
    r"(?:confirmation|mfa|totp|user|otp|verification)?_?code|SOFTWARE_TOKEN_MFA_CODE|SMS_MFA_CODE|"
    r"EMAIL_OTP_CODE|(?:totp_|client_|device_)?secret(?:_code|_hash)?|secret_?code|"
    r"SECRET_HASH|(?:cognito_)?session(?:_id)?|sid|(?:access_|refresh_|id_)?tokens?|"
    r"accesstoken|refreshtoken|idtoken|device_?password|cookie|set-cookie|authorization|"
    r"x-admin-key|x-csrf-token|api_?key|signature|__Host-bff_session|__Host-bff_device|"
    r"bff_session|bff_device"
)
_KEY_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9_-])([\"']?(?:" + _SECRET_KEYS + r")[\"']?\s*[:=]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s,;&}\])]+)"
)
# A query-string parameter whose name carries a secret-ish word anywhere (x_admin_key,
# X-Admin-Key, api_key, id_token, client_secret, signature...): its value, up to the next
# & or space, is redacted, whatever precedes the name.
_QUERY_SECRET = re.compile(
    r"(?i)([?&][^=&\s]*(?:key|secret|token|passw|code|sig|session|auth|otp|cookie)[^=&\s]*=)"
    r"([^&\s\"']*)"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_OPAQUE = re.compile(r"(?<![A-Za-z0-9_\-+/=])[A-Za-z0-9_\-+/]{32,}={0,2}(?![A-Za-z0-9_\-+/=])")
_BASE32 = re.compile(r"\b[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9])")
_DIGITS = re.compile(r"(?<![\d.:/-])\d{6,8}(?![\d.:/-])")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
REDACTED = "[redacted]"


def _redact_value(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


def _redact_opaque(match: re.Match[str]) -> str:
    text = match.group(0)
    if _UUID.match(text):
        return text
    if "/" in text and not any(c.isupper() for c in text):
        return text  # a file path in a traceback (base64 secrets always mix in capitals)
    classes = sum(
        (
            any(c.islower() for c in text),
            any(c.isupper() for c in text),
            any(c.isdigit() for c in text),
        )
    )
    return REDACTED if classes >= 2 else text


def _redact_base32(match: re.Match[str]) -> str:
    text = match.group(0)
    return REDACTED if any(c.isdigit() for c in text) else text


def scrub(text: str) -> str:
    """``text`` with anything that looks like a secret replaced by ``[redacted]``."""
    text = _KEY_VALUE.sub(_redact_value, text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _OPAQUE.sub(_redact_opaque, text)
    text = _BASE32.sub(_redact_base32, text)
    return _DIGITS.sub(REDACTED, text)


class SecretScrubbingFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with secrets redacted; never drops."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_bff_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: keep the template, drop the args
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._bff_scrubbed = True
        return True


_install_lock = threading.Lock()
_installed = False


def install_log_scrubbing() -> None:
    """Scrub every log record of the process, whatever logger or handler it goes to.

    A filter on one logger misses records of its children and of handlers added later
    (gunicorn's, pytest's), so the filter runs in the log record factory: every record is
    clean from birth. Idempotent.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()
        scrubber = SecretScrubbingFilter()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrubber.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def init_app(app: Flask) -> None:
    """Scrub the process's log records (the app's included) from now on."""
    install_log_scrubbing()
