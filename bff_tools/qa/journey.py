"""Journey scripts: a YAML list of HTTP steps, each with the state the flow must then be in.

Format (tests/qa/journeys/*.yaml are the examples)::

    name: Sign-up, TOTP MFA, remembered device
    vars:                          # evaluated in order; later ones may use earlier ones
      username: "qa-{{random}}"
      email: "{{username}}@example.com"
      password: "{{new_password}}"
    steps:
      - name: sign up
        request: POST /api/sign-up
        json: {username: "{{username}}", email: "{{email}}", password: "{{password}}"}
        expect: {status: 200, state: SIGNED_UP}
      - name: confirm
        request: POST /api/sign-up/confirm
        json: {code: "{{code:confirmation}}"}
        expect: {status: 200, state: CONFIRMED, next_steps: [sign_in]}
        save: {flow_id: flow.id}   # a response value (dotted path) into a variable

Placeholders, anywhere in ``request``, ``json`` and ``headers``:

* ``{{name}}``: a variable (``vars``, ``save``, or captured: ``flow_id`` from every flow
  answer, ``totp_secret`` from ``flow.data.otpauth_uri`` / ``flow.data.secret_code``);
* ``{{random}}``: 8 fresh hex characters; ``{{random_phone}}``: a fresh +1 555 phone
  number; ``{{new_password}}``: a fresh password meeting the pool's policy;
* ``{{code:confirmation}}`` / ``{{code:temporary_password}}`` / ``{{code:password_reset}}``
  / ``{{code:email_otp}}``: the newest confirmation code, temporary password, password
  reset code or emailed sign-in code sent to ``{{email}}``, read from the local Cognito's
  outbox; ``{{code:sms_mfa}}`` / ``{{code:sms_otp}}`` the newest MFA or sign-in code
  texted to ``{{phone}}``;
* ``{{totp}}``: a TOTP code for ``{{totp_secret}}``, never the same one twice (against
  the local Cognito: at its clock's time, moving that clock to a fresh 30-second step when
  the codes around now are used up);
  ``{{totp:NAME}}`` the same for the secret (or otpauth URI) in variable ``NAME`` (say, the
  authenticator app a replaced one was set up with);
* ``{{env:NAME}}``: an environment variable (e.g. the admin API key).

``expect``: ``status`` (default 200), ``state`` (the flow's state: ``flow.state``, or for an
error ``error.details.state``), ``error`` (the error code), ``next_steps`` (each listed step
must be offered), ``body`` (dotted path → expected value).

What happens outside the BFF, against the local Cognito only (``--cognito-endpoint``), is a
step with ``local_cognito`` instead of ``request`` (and ``params``, placeholders allowed; no
``json``, ``headers``, ``expect`` or ``save``); it passes when the local Cognito accepts it:

* ``local_cognito: AdminResetUserPassword`` (any ``Admin…`` action of the user pool API),
  ``params: {Username: "{{email}}"}``: what an administrator does in the Cognito console;
  ``UserPoolId`` is the pool of ``{{email}}``'s newest outbox message;
* ``local_cognito: advance_clock``, ``params: {seconds: 691200}``: time passes for the
  local Cognito (codes, temporary passwords, tokens expire; ``{{totp}}`` codes follow its
  clock).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_STEP_KEYS = {"name", "request", "json", "headers", "expect", "save", "local_cognito", "params"}
_LOCAL_KEYS = {"name", "local_cognito", "params"}
_LOCAL_ACTION = re.compile(r"^(advance_clock|Admin[A-Za-z]+)$")
_EXPECT_KEYS = {"status", "state", "error", "next_steps", "body"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class JourneyError(ValueError):
    """A journey script that cannot be run (bad YAML, unknown keys, missing fields)."""


@dataclass(frozen=True)
class Expectation:
    status: int = 200
    state: str | None = None
    error: str | None = None
    next_steps: tuple[str, ...] = ()
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    method: str
    path: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: Expectation = field(default_factory=Expectation)
    save: dict[str, str] = field(default_factory=dict)
    #: a ``local_cognito`` step: the action (``method`` is then "LOCAL") and its params
    local_action: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Journey:
    name: str
    variables: dict[str, str]
    steps: tuple[Step, ...]
    source: str = "<journey>"


def _fail(where: str, problem: str) -> JourneyError:
    return JourneyError(f"{where}: {problem}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(where, f"must be a mapping, not {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _expectation(raw: Any, where: str) -> Expectation:
    data = _mapping(raw, f"{where} expect")
    unknown = set(data) - _EXPECT_KEYS
    if unknown:
        raise _fail(where, f"unknown expect keys {sorted(unknown)} (known: {sorted(_EXPECT_KEYS)})")
    status = data.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _fail(where, f"expect.status must be an HTTP status code, not {status!r}")
    next_steps = data.get("next_steps") or []
    if not isinstance(next_steps, list) or not all(isinstance(s, str) for s in next_steps):
        raise _fail(where, "expect.next_steps must be a list of step names")
    for key in ("state", "error"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _fail(where, f"expect.{key} must be a string")
    return Expectation(
        status=status,
        state=data.get("state"),
        error=data.get("error"),
        next_steps=tuple(next_steps),
        body=_mapping(data.get("body"), f"{where} expect.body"),
    )


def _step(raw: Any, number: int) -> Step:
    where = f"step {number}"
    data = _mapping(raw, where)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _fail(where, "every step needs a name")
    where = f"step {number} ({name})"
    unknown = set(data) - _STEP_KEYS
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)} (known: {sorted(_STEP_KEYS)})")
    if "local_cognito" in data:
        return _local_step(data, number, name.strip(), where)
    if "params" in data:
        raise _fail(where, "params belongs to a local_cognito step")
    request = data.get("request")
    parts = request.split() if isinstance(request, str) else []
    if len(parts) != 2 or parts[0].upper() not in METHODS or not parts[1].startswith("/"):
        raise _fail(where, f"request must look like 'POST /api/path', not {request!r}")
    headers = _mapping(data.get("headers"), f"{where} headers")
    save = _mapping(data.get("save"), f"{where} save")
    for variable, path in save.items():
        if not _NAME.match(variable) or not isinstance(path, str):
            raise _fail(where, f"save maps variable names to dotted paths, not {variable!r}")
    return Step(
        number=number,
        name=name.strip(),
        method=parts[0].upper(),
        path=parts[1],
        json=data.get("json"),
        headers={str(k): str(v) for k, v in headers.items()},
        expect=_expectation(data.get("expect"), where),
        save={k: str(v) for k, v in save.items()},
    )


def _local_step(data: dict[str, Any], number: int, name: str, where: str) -> Step:
    extra = set(data) - _LOCAL_KEYS
    if extra:
        raise _fail(where, f"a local_cognito step takes only name and params, not {sorted(extra)}")
    action = data["local_cognito"]
    if not isinstance(action, str) or not _LOCAL_ACTION.match(action):
        raise _fail(
            where, f"local_cognito must be advance_clock or an Admin… action, not {action!r}"
        )
    params = _mapping(data.get("params"), f"{where} params")
    if action == "advance_clock":
        seconds = params.get("seconds")
        if set(params) != {"seconds"} or not isinstance(seconds, int) or seconds <= 0:
            raise _fail(where, "advance_clock needs params: {seconds: <a positive number>}")
    return Step(
        number=number,
        name=name,
        method="LOCAL",
        path=action,
        local_action=action,
        params=params,
    )


def parse_journey(text: str, source: str = "<journey>") -> Journey:
    """A Journey from YAML text; JourneyError names what is wrong and where."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise JourneyError(f"{source}: not valid YAML: {exc}") from exc
    data = _mapping(data, source)
    unknown = set(data) - {"name", "vars", "steps"}
    if unknown:
        raise _fail(source, f"unknown top-level keys {sorted(unknown)}")
    variables = _mapping(data.get("vars"), f"{source} vars")
    for key, value in variables.items():
        if not _NAME.match(key) or not isinstance(value, str | int):
            raise _fail(source, f"vars must map names to strings, not {key!r}: {value!r}")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise _fail(source, "steps must be a non-empty list")
    return Journey(
        name=str(data.get("name") or Path(source).stem),
        variables={k: str(v) for k, v in variables.items()},
        steps=tuple(_step(raw, number) for number, raw in enumerate(raw_steps, start=1)),
        source=source,
    )


def load_journey(path: str | Path) -> Journey:
    """Read and check a journey file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JourneyError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_journey(text, str(path))
