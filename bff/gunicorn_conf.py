"""gunicorn settings for the BFF in production.

    gunicorn -c python:bff.gunicorn_conf 'bff:create_app()'

Shipped inside the package (not as a gunicorn.conf.py at the repository's top) so that an
installed BFF (``pip install 'cognito-bff[prod]'``, no checkout) has it too. Every value can
still be overridden on gunicorn's command line (``-w 4``) or in ``GUNICORN_CMD_ARGS``.

* Workers and threads: ``WEB_CONCURRENCY`` worker processes (default 2: one per core of a
  small machine) of ``BFF_THREADS`` threads each (default 4): a step spends most of its time
  waiting for Cognito, so threads overlap those waits. The worker is gunicorn's ``gthread``
  (bff.gunicorn_worker.BffThreadWorker) but that it reads each request whole in its event
  loop before a thread sees it, so slow clients hold no thread (``BFF_READ_TIMEOUT``,
  default 10 s: for the request line and headers, and again for the body; 408 past it),
  and that its own error answers (a malformed or over-long request line, too many or too
  large headers: 400, 414, 431...) are in the one error shape, not gunicorn's HTML page.
* Timeouts: ``BFF_WORKER_TIMEOUT`` (default 60 s) must outlast the slowest Cognito call with
  its retries (``COGNITO_READ_TIMEOUT`` × ``COGNITO_MAX_ATTEMPTS``, 30 s by default);
  ``BFF_GRACEFUL_TIMEOUT`` (default 30 s): on SIGTERM a worker stops accepting and finishes
  the requests it has for that long (graceful shutdown), exiting as soon as they are done;
  one still running then is cut off (its connection closes without an answer). A
  connection made while a worker drains is not refused: it waits unanswered and is reset
  when the worker exits, so take the instance out of the load balancer before SIGTERM.
  The worker timeout only restarts a worker whose main loop stopped: it never bounded a
  slow client (gthread read one in a thread; BffThreadWorker's deadlines do now).
  ``keepalive`` 5 s behind a proxy.
* Forwarded headers: gunicorn's own handling is switched off (``forwarded_allow_ips`` empty,
  no ``secure_scheme_headers``); the app's ProxyFix, configured by ``BFF_TRUSTED_PROXIES``,
  is the one place that reads X-Forwarded-For/-Proto, so both agree on what to trust.
* Rate limits: with more than one worker a per-process limiter (``memory://``) would let
  each worker count alone, so start-up is refused unless the limiter's storage is shared
  (Redis: the default with a Redis store, or ``BFF_RATELIMIT_STORAGE_URL``) or limits are off.
  Likewise refused: no Cognito pool configured (each worker would start its own local
  Cognito).
* Metrics: ``PROMETHEUS_MULTIPROC_DIR`` is set to a fresh temporary folder unless given, so
  ``/metrics`` sums every worker (bff.ops.metrics); files of a dead worker are marked.
* Logs: gunicorn's lines and the app's go through one stderr handler with the BFF's format
  (``BFF_LOG_FORMAT``: JSON lines in production); gunicorn's access log stays off because
  the app logs one line per request with its request id.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from bff.config import ConfigError, load_settings
from bff.config_checks import validate
from bff.gunicorn_worker import read_timeout
from bff.ops.server import server_problems

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Before any worker imports prometheus-client: it picks its mode from this variable.
os.environ.setdefault(MULTIPROC_ENV, tempfile.mkdtemp(prefix="bff-metrics-"))


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


bind = os.environ.get("BFF_BIND", "0.0.0.0:8000")
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("BFF_THREADS", 4)
# gthread, answering its own errors (400, 414, 431...) in the one error shape.
worker_class = "bff.gunicorn_worker.BffThreadWorker"
try:
    read_timeout()  # read again by each worker; refused here, before any starts
except ValueError as exc:
    raise ConfigError(str(exc)) from None
timeout = _int("BFF_WORKER_TIMEOUT", 60)
graceful_timeout = _int("BFF_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# The app's ProxyFix (BFF_TRUSTED_PROXIES) alone reads forwarded headers.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
accesslog = None
errorlog = "-"
# gunicorn's control socket (a fixed path under $HOME) would clash between two instances
# on one machine, and nothing here uses it.
control_socket_disable = True
_settings_for_logs = load_settings()
loglevel = _settings_for_logs.log_level.lower()
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "bff": {"()": "bff.ops.logs.formatter", "log_format": _settings_for_logs.log_format}
    },
    "handlers": {
        "bff": {"class": "logging.StreamHandler", "formatter": "bff", "stream": "ext://sys.stderr"}
    },
    "root": {"level": _settings_for_logs.log_level, "handlers": ["bff"]},
    "loggers": {
        "gunicorn.error": {"level": _settings_for_logs.log_level, "propagate": True},
        # Off: the app logs each request itself (bff.request), with its request id.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        # transitions logs every state entry and exit at INFO: the journal says it better.
        "transitions": {"level": "WARNING"},
    },
}


def on_starting(server: Any) -> None:
    """Refuse to start a configuration gunicorn would serve wrongly; clear old metrics."""
    settings = load_settings()
    try:
        # Here, in the master, once: left to the workers' create_app, an unsafe
        # configuration is reported by every worker, each with a traceback.
        validate(settings)
    except ConfigError as exc:
        server.log.error(str(exc))
        raise SystemExit(str(exc)) from None
    problems = server_problems(settings, int(server.cfg.workers))
    if problems:
        message = "Refusing to start: " + "; ".join(problems) + "."
        server.log.error(message)
        raise SystemExit(message)
    directory = os.environ[MULTIPROC_ENV]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server: Any, worker: Any) -> None:
    """A worker died or stopped: its live gauges no longer count (prometheus-client)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server: Any, worker: Any) -> None:
    """Close the worker's store connections on its way out (graceful shutdown)."""
    app = getattr(worker, "wsgi", None)
    extension = getattr(app, "extensions", {}).get("bff") if app is not None else None
    if extension:
        extension["store"].close()
