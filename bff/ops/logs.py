"""Structured logs: JSON lines in production, readable text on a laptop, a request id in each.

Every record gets a ``request_id`` attribute when it is born (a log record factory, like
the secret scrubber in bff.security, so every logger and handler sees it): the id of the
request the thread is handling, ``-`` outside a request. A request's own line also carries
the id a trusted proxy sent (``upstream_id``), a field of its own: it is not the BFF's
text, and the scrubber would take its hex digits for a code. ``JsonFormatter`` writes one JSON
object a line (``ts``, ``level``, ``logger``, ``message``, ``request_id``, plus ``exc`` for
a traceback, already scrubbed); ``TEXT_FORMAT`` is the text form.

A text line never carries a control character from its message: an ESC sequence in a
request's method could recolour or rewrite a terminal, a CR or LF could forge a line. They
are written as escapes (``\x1b``, ``\n``) instead; a traceback below the line keeps its
line breaks. JSON lines escape them by JSON's own rules.

``configure_logging`` installs one stderr handler on the root logger when nobody configured
logging (a server such as gunicorn with ``bff.gunicorn_conf`` configures it itself, with the
same formatters), sets the level, and quiets botocore's wire loggers.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from bff.ops import request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
#: The record attribute of a request's line holding a trusted proxy's request id
#: (bff.ops.request_id): ``upstream_id`` in JSON, `` upstream_id=...`` after a text line.
UPSTREAM_ID = "upstream_id"
_HANDLER_MARK = "_bff_ops_handler"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the message and traceback are already scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.NO_REQUEST),
        }
        upstream = getattr(record, UPSTREAM_ID, None)
        if upstream:
            data[UPSTREAM_ID] = upstream
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        return json.dumps(data, ensure_ascii=False)


#: C0 controls, DEL and C1 controls: none may reach a text line as it is.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with each control character written as a ``\\xNN`` escape."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class TextFormatter(logging.Formatter):
    """``TEXT_FORMAT``, control characters escaped; a record born before the request-id
    factory was installed (a server's own start-up lines) shows ``-``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        upstream = getattr(record, UPSTREAM_ID, None)
        if upstream:
            line += f" {UPSTREAM_ID}={upstream}"
        return escape_controls(line)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.NO_REQUEST
        return super().format(record)


def formatter(log_format: str = "text") -> logging.Formatter:
    """The formatter for ``json`` or ``text``."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


_lock = threading.Lock()
_factory_installed = False


def install_request_id_factory() -> None:
    """Stamp every log record with the current request id (idempotent)."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            record.request_id = request_id.current() or request_id.NO_REQUEST
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def configure_logging(log_format: str, level: str) -> None:
    """A stderr handler with ``log_format`` on the root logger, unless one is configured."""
    install_request_id_factory()
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    if root.handlers and not ours:
        return  # the server (gunicorn's logconfig, a test harness) has configured logging
    handler = ours[0] if ours else logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    if not ours:
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("bff").setLevel(level)
    # transitions logs each state entry and exit at INFO; the flow's journal says it better.
    logging.getLogger("transitions").setLevel(logging.WARNING)
