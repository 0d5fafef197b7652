"""Metric label values from known sets only: anything else is counted as ``other``.

A label value is a new time series, kept for the life of the process (and, under gunicorn,
written to a file per worker): a value a client can choose would let it grow ``/metrics``
and each worker's memory without bound (any token is a valid HTTP method, so 2,000 random
methods made 2,000 series). So every label the request hook and the Cognito observer set
passes through here:

* ``method``: the methods of RFC 9110 section 9 plus PATCH (RFC 5789);
* ``route``: a rule of the app's URL map (the template, never the path), ``unmatched``
  when none matched;
* ``status``: a status code (100-599);
* step ``outcome``: a state of the lifecycle, an error code of the BFF (every code has its
  ``BffError`` class: bff.errors.base.registered, the error catalogue's source), or a
  status code;
* Cognito ``outcome``: ``ok``, an error code of the cognito-idp service model (botocore's
  copy of Cognito's API definition), or a botocore exception's name.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from bff.errors.base import registered

OTHER = "other"
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
#: What the BFF itself names a Cognito failure that is not one of Cognito's codes.
OWN_COGNITO_CODES = frozenset({"ok", "RequestDeadlineExceeded", "UnknownError"})


def method(value: str) -> str:
    return value if value in METHODS else OTHER


def status(code: int) -> str:
    return str(code) if 100 <= code <= 599 else OTHER


def _subclasses(base: type) -> Iterator[type]:
    pending: list[type] = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        yield cls
        pending.extend(cls.__subclasses__())


@functools.cache
def _states() -> frozenset[str]:
    from statemachine import STATES

    return frozenset(str(state) for state in STATES)


def step_outcome(value: str) -> str:
    """A state reached, an error code, or a status; ``other`` for anything else."""
    if value in _states() or value in registered():
        return value
    if value.isdigit() and len(value) == 3:
        return status(int(value))
    return OTHER


@functools.cache
def _cognito_codes() -> frozenset[str]:
    import botocore.exceptions
    import botocore.session

    from bff.cognito.error_translation import ERRORS_BY_COGNITO_CODE, SERVICE_FAILURES

    model = botocore.session.get_session().get_service_model("cognito-idp")
    codes = {shape.name for shape in model.error_shapes}
    codes.update(ERRORS_BY_COGNITO_CODE, SERVICE_FAILURES, OWN_COGNITO_CODES)
    codes.update(cls.__name__ for cls in _subclasses(botocore.exceptions.BotoCoreError))
    return frozenset(codes)


def cognito_outcome(error_code: str | None) -> str:
    """``ok``, or a code Cognito's API defines (or botocore names); ``other`` otherwise."""
    if error_code is None:
        return "ok"
    return error_code if error_code in _cognito_codes() else OTHER
