"""Journey scripts are checked before they run, and a step that cannot be sent fails by name."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest

from bff_tools.local_clock import LocalClock, LocalClockError
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
        ('{code: "{{code:password_reset}}"}', "needs the local Cognito"),
        (
            '{code: "{{code:sms}}"}',
            "use code:confirmation, code:temporary_password, code:password_reset",
        ),
        ('{code: "{{totp}}"}', "needs totp_secret"),
        ('{code: "{{totp:old_secret}}"}', "needs a variable named old_secret"),
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


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("{name: a, local_cognito: DeleteUserPool}", "must be advance_clock or an Admin"),
        ("{name: a, local_cognito: advance_clock}", "advance_clock needs params"),
        ("{name: a, local_cognito: advance_clock, params: {seconds: -5}}", "advance_clock needs"),
        ("{name: a, local_cognito: AdminGetUser, json: {}}", "takes only name and params"),
        ("{name: a, request: GET /x, params: {}}", "params belongs to a local_cognito step"),
    ],
)
def test_bad_local_cognito_steps_are_refused(step: str, message: str) -> None:
    with pytest.raises(JourneyError, match=message):
        parse_journey(f"steps:\n  - {step}\n", "bad.yaml")


def test_local_cognito_steps_act_at_the_local_cognito() -> None:
    """An administrator's action in the pool of {{email}}, and time passing: both at a local
    Cognito of its own (its clock is not the test session's)."""
    import boto3

    from bff.cognito.settings import LOCAL_DUMMY_CREDENTIALS
    from local_cognito import LocalCognito

    with LocalCognito(port=0) as info:
        client = boto3.client(
            "cognito-idp",
            endpoint_url=info.endpoint_url,
            region_name=info.region,
            **LOCAL_DUMMY_CREDENTIALS,
        )
        email = "qa-local@example.com"
        client.admin_create_user(
            UserPoolId=info.user_pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            TemporaryPassword="Temp-0rary-pass!",
        )
        client.admin_set_user_password(
            UserPoolId=info.user_pool_id,
            Username=email,
            Password="Perm-4nent-pass!",
            Permanent=True,
        )
        script = f"""
vars: {{email: "{email}"}}
steps:
  - name: an administrator resets the password
    local_cognito: AdminResetUserPassword
    params: {{Username: "{{{{email}}}}"}}
  - name: a day passes
    local_cognito: advance_clock
    params: {{seconds: 86400}}
  - name: an unknown user
    local_cognito: AdminGetUser
    params: {{Username: "nobody@example.com"}}
"""
        lines: list[str] = []
        runner = JourneyRunner(
            parse_journey(script),
            base_url=closed_port_url(),
            cognito_endpoint=info.endpoint_url,
            echo=lines.append,
            environ={},
        )
        with pytest.raises(JourneyFailed, match=r"step 3 .*AdminGetUser: UserNotFoundException"):
            runner.run()
        user = client.admin_get_user(UserPoolId=info.user_pool_id, Username=email)
        assert user["UserStatus"] == "RESET_REQUIRED"
        clock = json.load(urllib.request.urlopen(info.endpoint_url + "/_local/clock"))
        assert clock["offset_seconds"] >= 86400
        assert [line.split()[-1] for line in lines if line[:1].isdigit()] == [
            "pass",
            "pass",
            "FAIL",
        ]


def test_local_clock_reads_and_moves_the_clock_of_a_local_cognito() -> None:
    """What `bff qa run` and the scenario use for TOTP codes against a local Cognito in
    another process: its clock's time, moved over HTTP."""
    from local_cognito import LocalCognito

    server = LocalCognito(port=0)
    with server as info:
        clock = LocalClock(info.endpoint_url)
        assert clock.offset() == 0
        assert clock.advance(90) == 90 == server.clock.offset
        assert abs(clock.now() - server.clock.now()) < 5
        with pytest.raises(ValueError, match="only moves forward"):
            clock.advance(-1)
    with pytest.raises(LocalClockError, match="cannot reach"):
        LocalClock(closed_port_url(), timeout=2).now()
    with pytest.raises(ValueError, match="http"):
        LocalClock("file:///etc/passwd")
