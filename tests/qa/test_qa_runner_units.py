"""Journey scripts are checked before they run, and a step that cannot be sent fails by name."""

from __future__ import annotations

import socket

import pytest

from bff_tools.qa import JourneyError, JourneyFailed, JourneyRunner
from bff_tools.qa.journey import parse_journey
from bff_tools.qa.runner import MISSING, lookup, totp_secret_from

GOOD = """
name: tiny
vars: {email: "a-{{random}}@example.com"}
steps:
  - name: look
    request: GET /api/flow
    expect: {status: 404}
"""


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: [", "not valid YAML"),
        ("name: x\nsteps: []\n", "steps must be a non-empty list"),
        ("steps:\n  - request: GET /x\n", "every step needs a name"),
        ("steps:\n  - {name: a, request: FETCH /x}\n", "request must look like 'POST /api/path'"),
        ("steps:\n  - {name: a, request: GET x}\n", "request must look like"),
        ("steps:\n  - {name: a, request: GET /x, body: {}}\n", "unknown keys ['body']"),
        ("steps:\n  - {name: a, request: GET /x, expect: {status: 7}}\n", "HTTP status code"),
        ("steps:\n  - {name: a, request: GET /x, expect: {staet: X}}\n", "unknown expect keys"),
        ("stepz: []\n", "unknown top-level keys"),
    ],
)
def test_bad_scripts_are_refused_with_the_place(text: str, message: str) -> None:
    with pytest.raises(JourneyError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_journey(text, "bad.yaml")


def test_a_good_script_parses() -> None:
    journey = parse_journey(GOOD, "tiny.yaml")
    assert journey.name == "tiny"
    (step,) = journey.steps
    assert (step.number, step.method, step.path, step.expect.status) == (1, "GET", "/api/flow", 404)


def test_an_unreachable_bff_fails_the_first_step() -> None:
    lines: list[str] = []
    runner = JourneyRunner(
        parse_journey(GOOD), base_url=closed_port_url(), echo=lines.append, environ={}
    )
    with pytest.raises(JourneyFailed, match=r"step 1 \(look\): cannot reach the BFF"):
        runner.run()
    assert lines[-1].split()[-1] == "FAIL"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{code: "{{nope}}"}', r"unknown placeholder \{\{nope\}\}"),
        ('{code: "{{code:confirmation}}"}', "needs the local Cognito: pass --cognito-endpoint"),
        ('{code: "{{totp}}"}', "needs totp_secret"),
        ('{key: "{{env:QA_UNSET_VARIABLE}}"}', "QA_UNSET_VARIABLE is not set"),
    ],
)
def test_placeholders_that_cannot_be_filled_fail_the_step(body: str, reason: str) -> None:
    script = f"steps:\n  - {{name: send, request: POST /api/x, json: {body}}}\n"
    runner = JourneyRunner(
        parse_journey(script), base_url=closed_port_url(), echo=lambda _: None, environ={}
    )
    with pytest.raises(JourneyFailed, match=reason):
        runner.run()


def test_lookup_and_totp_secret_helpers() -> None:
    answer = {"flow": {"data": {"items": [{"name": "a"}]}}}
    assert lookup(answer, "flow.data.items.0.name") == "a"
    assert lookup(answer, "flow.nothing") is MISSING
    assert lookup(answer, "flow.data.items.3") is MISSING
    uri = "otpauth://totp/Cognito%20BFF:a%40b.c?secret=JBSWY3DPEHPK3PXP&issuer=Cognito%20BFF"
    assert totp_secret_from(uri) == "JBSWY3DPEHPK3PXP"
    assert totp_secret_from("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
