"""Play a journey against a running BFF: one HTTP request per step, checked as it goes.

Requests go through urllib with a cookie jar (the BFF's session and device cookies travel
like a browser's) and carry ``X-CSRF: 1`` (the BFF's anti-CSRF header) and JSON bodies.
Codes come from the local Cognito's outbox and TOTP codes from pyotp, so a journey runs
unattended against ``bff serve``. Nothing secret is printed: the table shows the step, the
request line, the status and the flow's state.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bff_tools.local_clock import LocalClock, LocalClockError
from bff_tools.scenario import TotpCodes, generate_password

from .journey import Journey, JourneyError, Step

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
CSRF_HEADER = ("X-CSRF", "1")
ADMIN_HEADER = "X-Admin-Key"
#: What ``lookup`` answers for a path the data does not have (None is a real value).
MISSING = object()
COLUMNS = (("#", 3), ("step", 40), ("request", 46), ("status", 6), ("state", 24), ("result", 6))


class LocalCognitoRefused(Exception):
    """The local Cognito refused a ``local_cognito`` step."""


def advance_local_clock(endpoint_url: str, seconds: int) -> None:
    """Move the local Cognito's clock forward (``POST /_local/clock``)."""
    try:
        LocalClock(endpoint_url).advance(seconds)
    except LocalClockError as exc:
        raise LocalCognitoRefused(f"advance_clock: {exc}") from exc


class JourneyFailed(Exception):
    """The journey stopped at ``step``: an unexpected answer, or the step could not be sent."""

    def __init__(self, step: Step, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"FAILED at step {step.number} ({step.name}): {reason}")


@dataclass(frozen=True)
class StepResult:
    step: Step
    request_line: str
    status: int
    state: str | None
    passed: bool
    reason: str = ""


def lookup(data: Any, path: str) -> Any:
    """``data`` at a dotted path (``flow.data.otpauth_uri``, ``users.0.username``)."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def totp_secret_from(value: str) -> str:
    """A base32 secret, from itself or from an otpauth:// URI's ``secret`` parameter."""
    if value.startswith("otpauth://"):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(value).query)
        found = query.get("secret")
        if not found:
            raise ValueError("the otpauth URI has no secret")
        return found[0]
    return value


class HttpClient:
    """A tiny browser: one cookie jar, JSON in and out, never raises on an HTTP status."""

    def __init__(
        self, base_url: str, timeout: float = 30.0, headers: dict[str, str] | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        #: sent with every request (the admin key: a local BFF's QA allowance)
        self.headers = dict(headers or {})
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = None
        all_headers = {CSRF_HEADER[0]: CSRF_HEADER[1], "Accept": "application/json"}
        all_headers.update(self.headers)
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=all_headers, method=method
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
            error.close()
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw.decode("utf-8", "replace")


#: ``{{code:NAME}}`` → the outbox message kind it reads (bff.local_outbox.KINDS).
OUTBOX_KINDS = {
    "confirmation": "confirmation_code",
    "temporary_password": "temporary_password",
    "password_reset": "password_reset_code",
    "sms_mfa": "sms_mfa",
    "sms_otp": "sms_otp",
    "email_otp": "email_otp",
}
#: Kinds texted to the user's phone: read for the variable ``phone``, not ``email``.
TEXTED_KINDS = frozenset({"sms_mfa", "sms_otp"})


class JourneyRunner:
    """Runs one journey, step by step, printing a table row per step."""

    def __init__(
        self,
        journey: Journey,
        *,
        base_url: str,
        cognito_endpoint: str | None = None,
        echo: Callable[[str], None] = print,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.journey = journey
        self.cognito_endpoint = cognito_endpoint
        self.echo = echo
        self.environ = dict(os.environ if environ is None else environ)
        # Every request carries the admin key when there is one: a BFF in local mode then
        # exempts the journeys from its per-address rate limits (bff.qa_allowance), so they
        # pass against a default `bff serve`. Production BFFs ignore it for that purpose.
        admin_key = self._admin_key()
        self.http = HttpClient(base_url, headers={ADMIN_HEADER: admin_key} if admin_key else None)
        self.variables: dict[str, str] = {}
        #: TotpCodes per secret: a code is never used twice, whichever variable names it
        self._totp: dict[str, TotpCodes] = {}

    def _value(self, name: str) -> str:
        if name == "random":
            return secrets.token_hex(4)
        if name == "new_password":
            return generate_password()
        if name == "random_phone":
            # +1 555 numbers: the range reserved for fiction, never a real subscriber.
            return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))
        if name == "totp":
            return self._totp_code("totp_secret")
        if name.startswith("totp:"):
            return self._totp_code(name[5:])
        if name.startswith("env:"):
            key = name[4:]
            if key not in self.environ and key == "BFF_ADMIN_API_KEY":
                found = self._admin_key()
                if found:
                    return found
            if key not in self.environ:
                raise ValueError(f"the environment variable {key} is not set")
            return self.environ[key]
        if name.startswith("code:"):
            return self._outbox(name[5:])
        if name in self.variables:
            return self.variables[name]
        raise ValueError(f"unknown placeholder {{{{{name}}}}}")

    def _admin_key(self) -> str | None:
        """BFF_ADMIN_API_KEY, else a local `bff serve`'s generated key, if any."""
        if self.environ.get("BFF_ADMIN_API_KEY"):
            return self.environ["BFF_ADMIN_API_KEY"]
        from bff_tools.discovery import local_admin_key

        return local_admin_key(self.environ)

    def resolve(self, value: Any) -> Any:
        """``value`` with every placeholder replaced (strings inside lists and dicts too)."""
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self._value(m.group(1)), value)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        return value

    def _outbox(self, kind: str) -> str:
        from bff.local_outbox import OutboxError, latest_message

        if kind not in OUTBOX_KINDS:
            raise ValueError(
                f"{{{{code:{kind}}}}}: use " + ", ".join(f"code:{name}" for name in OUTBOX_KINDS)
            )
        if not self.cognito_endpoint:
            raise ValueError("reading codes needs the local Cognito: pass --cognito-endpoint")
        address_variable = "phone" if kind in TEXTED_KINDS else "email"
        address = self.variables.get(address_variable)
        if not address:
            raise ValueError(
                f"reading {{{{code:{kind}}}}} needs a variable named {address_variable}"
            )
        try:
            message = latest_message(self.cognito_endpoint, address, OUTBOX_KINDS[kind])
        except (LookupError, OutboxError) as exc:
            raise ValueError(str(exc)) from exc
        return str(message["temporary_password" if kind == "temporary_password" else "code"])

    def _totp_code(self, variable: str) -> str:
        secret = self.variables.get(variable)
        if not secret:
            if variable == "totp_secret":
                raise ValueError("{{totp}} needs totp_secret (from the MFA set-up step)")
            raise ValueError(f"{{{{totp:{variable}}}}} needs a variable named {variable}")
        secret = totp_secret_from(secret)
        if secret not in self._totp:
            # The local Cognito accepts the next 30-s step and counts steps on its own clock:
            # codes at that clock's time, and the clock moved on to a fresh step rather than
            # waited for. Elsewhere TotpCodes waits for a fresh step (a code works once).
            if self.cognito_endpoint is None:
                self._totp[secret] = TotpCodes(secret, allow_next_step=False)
            else:
                clock = LocalClock(self.cognito_endpoint)
                self._totp[secret] = TotpCodes(
                    secret, allow_next_step=True, clock=clock.now, sleep=clock.advance
                )
        codes = self._totp[secret]
        # One user per journey: a step used with one key is used up for the others too
        # (the local Cognito refuses it: "already been used once").
        steps = [c.last_step for c in self._totp.values() if c.last_step is not None]
        codes.last_step = max(steps, default=None)
        try:
            return codes.next_code()
        except LocalClockError as exc:
            raise ValueError(f"a TOTP code needs the local Cognito's clock: {exc}") from exc

    def _header(self) -> None:
        self.echo("  ".join(title.ljust(width) for title, width in COLUMNS).rstrip())

    def _row(self, result: StepResult) -> None:
        cells = (
            str(result.step.number),
            result.step.name,
            result.request_line,
            str(result.status or "-"),
            result.state or "-",
            "pass" if result.passed else "FAIL",
        )
        self.echo(
            "  ".join(
                _fit(cell, width) for cell, (_, width) in zip(cells, COLUMNS, strict=True)
            ).rstrip()
        )

    def run(self) -> list[StepResult]:
        """Every step in order; JourneyFailed at the first one that does not pass."""
        self.echo(f"Journey: {self.journey.name} ({len(self.journey.steps)} steps)")
        for name, raw in self.journey.variables.items():
            try:
                self.variables[name] = str(self.resolve(raw))
            except ValueError as exc:
                raise JourneyError(f"{self.journey.source}: vars.{name}: {exc}") from exc
        self._header()
        results = []
        for step in self.journey.steps:
            result = self._run_step(step)
            self._row(result)
            results.append(result)
            if not result.passed:
                raise JourneyFailed(step, result.reason)
        self.echo(f"All {len(results)} steps passed.")
        return results

    def _run_step(self, step: Step) -> StepResult:
        if step.local_action is not None:
            return self._run_local_step(step)
        try:
            path = self.resolve(step.path)
            body = self.resolve(step.json)
            headers = self.resolve(step.headers)
        except ValueError as exc:
            return StepResult(step, step.request_line, 0, None, False, str(exc))
        line = f"{step.method} {path}"
        try:
            status, answer = self.http.send(step.method, path, body, headers)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return StepResult(step, line, 0, None, False, f"cannot reach the BFF: {reason}")
        state = _state_of(answer)
        self._capture(answer)
        try:
            expected_body = self.resolve(step.expect.body)
        except ValueError as exc:
            return StepResult(step, line, status, state, False, str(exc))
        problems = _check(step, status, answer, state, expected_body)
        if not problems:
            for variable, dotted in step.save.items():
                value = lookup(answer, dotted)
                if value is MISSING:
                    problems.append(f"save {variable}: the answer has no {dotted}")
                else:
                    self.variables[variable] = str(value)
        return StepResult(step, line, status, state, not problems, "; ".join(problems))

    def _run_local_step(self, step: Step) -> StepResult:
        """An action at the local Cognito itself (an administrator's, or time passing)."""
        line = step.request_line
        try:
            if not self.cognito_endpoint:
                raise ValueError("local_cognito steps need the local Cognito: --cognito-endpoint")
            params = self.resolve(step.params)
            if step.local_action == "advance_clock":
                advance_local_clock(self.cognito_endpoint, int(params["seconds"]))
            else:
                self._admin_action(str(step.local_action), params)
        except (ValueError, LocalCognitoRefused) as exc:
            return StepResult(step, line, 0, None, False, str(exc))
        return StepResult(step, line, 200, None, True)

    def _admin_action(self, action: str, params: dict[str, Any]) -> None:
        """``action`` of the user pool API at the local Cognito, in the pool of ``email``."""
        import boto3
        import botocore.exceptions

        from bff.cognito.settings import LOCAL_DUMMY_CREDENTIALS
        from bff.local_outbox import OutboxError, read_outbox

        assert self.cognito_endpoint is not None
        email = self.variables.get("email")
        if not email:
            raise ValueError(f"{action}: needs a variable named email (to find its pool)")
        try:
            messages = read_outbox(self.cognito_endpoint, to=email)
        except OutboxError as exc:
            raise ValueError(str(exc)) from exc
        pool = next(
            (m.get("user_pool_id") for m in reversed(messages) if m.get("user_pool_id")), None
        )
        if not pool:
            raise ValueError(f"{action}: no outbox message for {email} says which pool it is in")
        client = boto3.client(
            "cognito-idp",
            endpoint_url=self.cognito_endpoint,
            region_name=str(pool).split("_", 1)[0],
            **LOCAL_DUMMY_CREDENTIALS,
        )
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        if not hasattr(client, name):
            raise ValueError(f"{action} is not an action of the user pool API")
        try:
            getattr(client, name)(UserPoolId=pool, **params)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise LocalCognitoRefused(
                f"{action}: {error.get('Code')}: {error.get('Message')}"
            ) from exc
        except botocore.exceptions.ParamValidationError as exc:
            raise ValueError(f"{action}: {exc}") from exc

    def _capture(self, answer: Any) -> None:
        flow_id = lookup(answer, "flow.id")
        if isinstance(flow_id, str):
            self.variables["flow_id"] = flow_id
        for path in ("flow.data.otpauth_uri", "flow.data.secret_code", "flow.data.secret"):
            value = lookup(answer, path)
            if isinstance(value, str) and value:
                self.variables["totp_secret"] = value
                break


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def _state_of(answer: Any) -> str | None:
    for path in ("flow.state", "error.details.state"):
        value = lookup(answer, path)
        if isinstance(value, str):
            return value
    return None


def _check(
    step: Step, status: int, answer: Any, state: str | None, expected_body: dict[str, Any]
) -> list[str]:
    expect = step.expect
    problems = []
    if status != expect.status:
        error = lookup(answer, "error.code")
        told = f" ({error}: {lookup(answer, 'error.message')})" if error is not MISSING else ""
        problems.append(f"expected status {expect.status}, got {status}{told}")
    if expect.state is not None and state != expect.state:
        problems.append(f"expected state {expect.state}, got {state or 'no state'}")
    if expect.error is not None:
        code = lookup(answer, "error.code")
        if code != expect.error:
            problems.append(
                f"expected error {expect.error}, got {code if code is not MISSING else 'none'}"
            )
    if expect.next_steps:
        offered = lookup(answer, "flow.next_steps")
        offered = offered if isinstance(offered, list) else []
        missing = [s for s in expect.next_steps if s not in offered]
        if missing:
            problems.append(f"next steps {offered} lack {missing}")
    for dotted, wanted in expected_body.items():
        value = lookup(answer, dotted)
        if value is MISSING:
            parent, _, _ = dotted.rpartition(".")
            container = lookup(answer, parent) if parent else answer
            keys = sorted(container) if isinstance(container, dict) else []
            problems.append(f"expected {dotted} = {wanted!r}, but it is missing (keys: {keys})")
        elif value != wanted:
            problems.append(f"expected {dotted} = {wanted!r}, got {value!r}")
    return problems
