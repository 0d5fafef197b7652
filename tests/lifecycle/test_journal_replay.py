"""The journal: JSON round-trip, no secrets, replay to the same states, divergence found exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bff_tools.cli import cli
from statemachine import Flow, JournalError, journal_from_json
from statemachine.replay import format_report, replay

SESSION = "AYABeSECRETcognitoSESSIONstring"


def _scenario_flow() -> Flow:
    """The sign-up → MFA → remembered-device scenario, as Cognito outcomes."""
    ticks = iter(range(1000))
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    flow = Flow(username="alice", clock=lambda: start + timedelta(seconds=next(ticks)))
    flow.cognito_session = SESSION
    tokens = {"AuthenticationResult": {"AccessToken": "eyJhbGciOi.secret.jwt"}}
    flow.apply("SignUp", {"UserConfirmed": False, "UserSub": "sub"})
    flow.apply("ResendConfirmationCode", {})
    flow.apply("ConfirmSignUp", error_code="CodeMismatchException", error_message="bad")
    flow.apply("ConfirmSignUp", {})
    flow.apply("AdminInitiateAuth", {"ChallengeName": "MFA_SETUP", "Session": SESSION})
    flow.apply("AssociateSoftwareToken", {"SecretCode": "JBSWY3DPEHPK3PXP"})
    flow.apply("VerifySoftwareToken", {"Status": "SUCCESS", "Session": SESSION})
    flow.apply("AdminInitiateAuth", {"ChallengeName": "SOFTWARE_TOKEN_MFA"})
    flow.apply("AdminRespondToAuthChallenge", tokens)
    flow.apply("ConfirmDevice", {"UserConfirmationNecessary": True})
    flow.apply("UpdateDeviceStatus", {}, request={"DeviceRememberedStatus": "remembered"})
    flow.apply("InitiateAuth", {"ChallengeName": "DEVICE_SRP_AUTH"})
    flow.apply("RespondToAuthChallenge", {"ChallengeName": "DEVICE_PASSWORD_VERIFIER"})
    flow.apply("RespondToAuthChallenge", tokens)
    flow.apply("GlobalSignOut", {})
    return flow


def test_scenario_walks_to_signed_out() -> None:
    flow = _scenario_flow()
    assert flow.state == "SIGNED_OUT"
    assert [e.dest for e in flow.journal][-5:] == [
        "AUTHENTICATED",
        "DEVICE_SRP_AUTH",
        "DEVICE_PASSWORD_VERIFIER",
        "AUTHENTICATED",
        "SIGNED_OUT",
    ]


def test_flow_and_journal_round_trip_through_json() -> None:
    flow = _scenario_flow()
    again = Flow.from_json(flow.to_json())
    assert again.to_dict() == flow.to_dict()
    assert again.journal == flow.journal
    assert journal_from_json(flow.journal_json()) == flow.journal


def test_journal_never_holds_a_secret() -> None:
    text = _scenario_flow().journal_json()
    for secret in (SESSION, "JBSWY3DPEHPK3PXP", "eyJhbGciOi", "secret.jwt"):
        assert secret not in text
    keys = {key for entry in json.loads(text) for key in entry}
    assert keys == {"seq", "trigger", "from", "to", "at", "action", "challenge"}


def test_flow_json_without_session() -> None:
    assert SESSION not in _scenario_flow().to_json(include_session=False)


def test_recorded_journal_replays_to_the_same_states() -> None:
    flow = _scenario_flow()
    report = replay(journal_from_json(flow.journal_json()))
    assert report.ok
    assert [s.replayed_to for s in report.steps] == [e.dest for e in flow.journal]
    assert report.final_state == "SIGNED_OUT"


def _edited(edit) -> list:
    entries = json.loads(_scenario_flow().journal_json())
    edit(entries)
    return journal_from_json(json.dumps(entries))


def test_edited_destination_diverges_at_that_step() -> None:
    def edit(entries):
        entries[3]["to"] = "AUTHENTICATED"  # ConfirmSignUp does not sign anybody in

    report = replay(_edited(edit))
    assert not report.ok
    assert report.divergence.seq == 4
    assert "recorded to AUTHENTICATED, replay went to CONFIRMED" in report.divergence.problem
    assert len(report.steps) == 4


def test_illegal_trigger_diverges_at_that_step() -> None:
    def edit(entries):
        entries[7]["trigger"] = "device_password_verifier_required"

    report = replay(_edited(edit))
    assert report.divergence.seq == 8
    assert "is illegal in MFA_SETUP" in report.divergence.problem
    assert "allowed:" in report.divergence.problem


def test_removed_step_diverges_on_the_next_one() -> None:
    def edit(entries):
        del entries[3]

    report = replay(_edited(edit))
    assert report.divergence.seq == 5
    assert "recorded from CONFIRMED, replay is in SIGNED_UP" in report.divergence.problem


def test_format_report_names_the_step() -> None:
    text = format_report(replay(_edited(lambda e: e[3].update(to="SIGNED_OUT"))))
    assert text.splitlines()[-1].startswith("diverged at step 4 of 4")


@pytest.mark.parametrize(
    "text",
    ["not json", "{}", '{"journal": 3}', '[{"seq": 1}]', '[{"seq": "1", "trigger": "x"}]', "[1]"],
)
def test_bad_journals_are_clear_errors(text: str) -> None:
    with pytest.raises(JournalError):
        journal_from_json(text)


def test_bff_replay_cli(tmp_path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.json"
    good.write_text(_scenario_flow().journal_json())
    result = runner.invoke(cli, ["replay", str(good)])
    assert result.exit_code == 0, result.output
    assert "no divergence" in result.output
    assert "signed_up" in result.output and "DEVICE_PASSWORD_VERIFIER" in result.output

    entries = json.loads(good.read_text())
    entries[8]["to"] = "MFA_SETUP"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(entries))
    result = runner.invoke(cli, ["replay", str(bad)])
    assert result.exit_code == 1
    assert "diverged at step 9" in result.output

    junk = tmp_path / "junk.json"
    junk.write_text("{nope")
    result = runner.invoke(cli, ["replay", str(junk)])
    assert result.exit_code == 1
    assert "is not a journal" in result.output
    assert "Traceback" not in result.output

    result = runner.invoke(cli, ["replay", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_entries_record_the_request_id_of_their_context_and_replay_ignores_it() -> None:
    from statemachine import journal_request_id

    flow = Flow(username="alice")
    with journal_request_id("req-1"):
        flow.apply("SignUp", {"UserConfirmed": False, "UserSub": "sub"})
    flow.apply("ConfirmSignUp", {})

    assert [e.request_id for e in flow.journal] == ["req-1", None]
    first, second = (e.to_dict() for e in flow.journal)
    assert first["request_id"] == "req-1"
    assert "request_id" not in second  # an entry without one is written as before
    again = Flow.from_json(flow.to_json())
    assert [e.to_dict() for e in again.journal] == [first, second]
    assert replay(flow.journal).ok
    with pytest.raises(JournalError, match="'request_id' must be a string"):
        journal_from_json(json.dumps([{**first, "request_id": 7}]))


def test_flow_ids_are_random_and_never_look_like_an_option() -> None:
    """`bff journal FLOW_ID` must take any flow id: none may start with "-"."""
    from statemachine import Flow

    ids = {Flow().id for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 32 and i.isalnum() and not i.startswith("-") for i in ids)
