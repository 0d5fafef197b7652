"""The flow service's branches, fast: a hand-written fake gateway (tests/flows/fake_cognito.py)
and a real SQLite store in a temporary folder. The same steps are tested through the wire
against the local Cognito in tests/api."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fake_cognito import (
    GOOD_TOTP,
    INCORRECT,
    RESET_CODE,
    TEMPORARY_PASSWORD_EXPIRED,
    FakeCognito,
)

from bff.cognito.types import RememberedDevice
from bff.errors import (
    CodeMismatch,
    InvalidParameter,
    InvalidPassword,
    NotAuthorized,
    SessionExpired,
    TemporaryPasswordExpired,
)
from bff.flows import (
    CLEAR_DEVICE_COOKIE,
    ExistingDevice,
    Flows,
    StepOutcome,
    devices,
    recovery,
    signin,
)
from bff.flows import session as session_steps
from bff.flows.challenges import BY_STEP, AnswerContext
from bff.store import Store, open_store
from statemachine import Flow

USER = "ada@example.com"
PASSWORD = "Corr3ct-Horse!"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'bff.db'}", key=Fernet.generate_key())
    yield opened
    opened.close()


@pytest.fixture
def cognito() -> FakeCognito:
    fake = FakeCognito()
    fake.add_user(USER, PASSWORD)
    return fake


@pytest.fixture
def service(cognito: FakeCognito, store: Store) -> Flows:
    return Flows(cognito, store)


def remembered(store: Store, cognito: FakeCognito, *, known: bool = True) -> ExistingDevice:
    """A device in the vault (and, when ``known``, remembered at the fake Cognito)."""
    device = RememberedDevice("dev-1", "group-1", "device-password")
    if known:
        cognito.users[USER].devices[device.device_key] = device.device_password
    device_id = store.devices.put(USER, device)
    return ExistingDevice(device_id=device_id, username=USER, device=device)


def mfa_code(service: Flows, flow: Flow, code: str) -> StepOutcome:
    """The SPA's answer to SOFTWARE_TOKEN_MFA, as its route hands it to the service."""
    handler = BY_STEP["mfa_code"]
    return signin.answer_challenge(service, flow, handler, {"code": code}, AnswerContext())


def new_password(
    service: Flows,
    flow: Flow,
    password: str,
    *,
    attributes: dict[str, str] | None = None,
    required: list[str] | None = None,
) -> StepOutcome:
    """The SPA's answer to NEW_PASSWORD_REQUIRED; ``required`` as the session kept it."""
    handler = BY_STEP["new_password"]
    args = {"new_password": password, "attributes": attributes or {}}
    context = AnswerContext(step_data={"required_attributes": required} if required else {})
    return signin.answer_challenge(service, flow, handler, args, context)


def triggers(service: Flows, flow_id: str) -> list[str]:
    return [entry.trigger for entry in service.load(flow_id).journal]


def test_sign_in_asks_for_the_mfa_code_and_accepts_it(service: Flows) -> None:
    outcome = signin.sign_in(service, None, USER, PASSWORD)
    assert outcome.flow.state == "SOFTWARE_TOKEN_MFA" and outcome.tokens is None
    with pytest.raises(CodeMismatch):
        mfa_code(service, service.load(outcome.flow.id), "000000")
    flow = service.load(outcome.flow.id)
    assert flow.state == "SOFTWARE_TOKEN_MFA" and flow.attempts_in() == 1
    done = mfa_code(service, flow, GOOD_TOTP)
    assert done.flow.state == "AUTHENTICATED" and done.tokens is not None
    assert done.new_device is not None and done.privilege_changed
    assert triggers(service, flow.id) == [
        "software_token_mfa_required",
        "code_rejected",
        "authenticated",
        "device_confirmed",
    ]


def test_a_new_device_is_confirmed_as_soon_as_cognito_issues_it(
    service: Flows, cognito: FakeCognito, store: Store
) -> None:
    """Cognito refreshes tokens of a new device only once it is confirmed: the BFF confirms
    it at once, and leaves remembered / not remembered to the user. A declined device is
    kept in the vault, marked not remembered (the next sign-in reuses it)."""
    first = signin.sign_in(service, None, USER, PASSWORD)
    done = mfa_code(service, service.load(first.flow.id), GOOD_TOTP)
    assert done.new_device is not None and done.confirmed_device is not None
    assert done.confirmed_device.device_key == done.new_device.device_key
    assert cognito.confirmed_devices == {done.new_device.device_key: "Web browser"}
    assert cognito.device_status == {}  # the user's choice, not made yet
    assert done.data["can_remember_device"] is True
    outcome = devices.remember_device(
        service,
        service.load(first.flow.id),
        done.tokens.access_token if done.tokens else "",
        done.confirmed_device,
        remember=False,
        username=USER,
    )
    assert cognito.device_status == {done.new_device.device_key: False}
    assert cognito.calls.count("ConfirmDevice") == 1
    assert outcome.data["device_remembered"] is False
    assert outcome.device_cookie is not None
    kept = store.devices.get(outcome.device_cookie)
    assert kept is not None and kept[0] == USER
    assert kept[1].device_key == done.new_device.device_key and kept[1].remembered is False


def test_a_refused_confirm_device_leaves_the_sign_in_standing(
    service: Flows, cognito: FakeCognito
) -> None:
    cognito.confirm_device_error = ("InvalidParameterException", "Invalid device key given.")
    first = signin.sign_in(service, None, USER, PASSWORD)
    done = mfa_code(service, service.load(first.flow.id), GOOD_TOTP)
    assert done.flow.state == "AUTHENTICATED" and done.tokens is not None
    assert done.confirmed_device is None and done.data["can_remember_device"] is False


def test_sign_out_forgets_a_device_no_browser_remembers(
    service: Flows, cognito: FakeCognito
) -> None:
    first = signin.sign_in(service, None, USER, PASSWORD)
    done = mfa_code(service, service.load(first.flow.id), GOOD_TOTP)
    session_steps.sign_out(
        service,
        service.load(first.flow.id),
        access_token="access",
        refresh_token="refresh",
        unremembered_device_key="dev-x",
    )
    assert cognito.calls[-2:] == ["ForgetDevice", "RevokeToken"]
    assert triggers(service, done.flow.id)[-2:] == ["device_forgotten", "signed_out"]


def test_a_remembered_device_signs_in_without_mfa(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    device = remembered(store, cognito)
    outcome = signin.sign_in(service, None, USER, PASSWORD, device=device)
    assert outcome.flow.state == "AUTHENTICATED"
    assert outcome.device_key_used == "dev-1" and outcome.device_cookie is None
    assert store.devices.get(device.device_id) is not None
    assert triggers(service, outcome.flow.id) == [
        "device_srp_required",
        "device_password_verifier_required",
        "authenticated",
    ]


def test_a_device_cognito_no_longer_knows_falls_back_to_mfa_and_leaves_the_vault(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    """InitiateAuth with the DEVICE_KEY answers ResourceNotFoundException "Device does not
    exist.": sign in again without it, forget it here."""
    device = remembered(store, cognito, known=False)
    outcome = signin.sign_in(service, None, USER, PASSWORD, device=device)
    assert outcome.flow.state == "SOFTWARE_TOKEN_MFA"
    assert outcome.device_cookie == CLEAR_DEVICE_COOKIE
    assert store.devices.get(device.device_id) is None
    assert cognito.calls == ["InitiateAuth", "InitiateAuth"]


def test_a_device_cognito_ignores_is_dropped_when_mfa_is_asked(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    device = remembered(store, cognito)

    def mfa_despite_the_device(username: str, password: str, *, device_key: str | None = None):
        return FakeCognito.initiate_auth(cognito, username, password)

    cognito.initiate_auth = mfa_despite_the_device  # type: ignore[method-assign]
    outcome = signin.sign_in(service, None, USER, PASSWORD, device=device)
    assert outcome.flow.state == "SOFTWARE_TOKEN_MFA"
    assert outcome.device_cookie == CLEAR_DEVICE_COOKIE
    assert store.devices.get(device.device_id) is None


def test_a_device_whose_proof_is_refused_is_dropped_and_sign_in_asks_for_mfa(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    device = remembered(store, cognito)
    cognito.users[USER].devices["dev-1"] = "another-password"
    outcome = signin.sign_in(service, None, USER, PASSWORD, device=device)
    assert outcome.flow.state == "SOFTWARE_TOKEN_MFA"
    assert outcome.device_cookie == CLEAR_DEVICE_COOKIE
    assert store.devices.get(device.device_id) is None


def test_another_users_device_is_not_presented(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    cognito.add_user("bob@example.com", PASSWORD)
    device = remembered(store, cognito)
    outcome = signin.sign_in(service, None, "bob@example.com", PASSWORD, device=device)
    assert outcome.flow.state == "SOFTWARE_TOKEN_MFA" and outcome.device_cookie is None
    assert store.devices.get(device.device_id) is not None


@pytest.mark.parametrize("hides", [True, False], ids=["pool-hides", "pool-tells"])
def test_an_unknown_user_looks_like_a_wrong_password(
    cognito: FakeCognito, store: Store, hides: bool
) -> None:
    """Whether or not the pool has PreventUserExistenceErrors, the client and the journal
    see the same thing for an unknown user as for a wrong password."""
    cognito.pool_hides_unknown_users = hides
    service = Flows(cognito, store)
    answers = []
    for username, password in ((USER, "Wr0ng-password!"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(NotAuthorized) as caught:
            signin.sign_in(service, None, username, password)
        assert type(caught.value) is NotAuthorized
        answers.append(caught.value.to_dict())
    assert answers[0] == answers[1]
    assert answers[0]["message"] == INCORRECT


def test_a_wrong_password_is_journaled_as_credentials_rejected(service: Flows) -> None:
    confirmed = service.new_flow(USER)
    confirmed.state = "CONFIRMED"
    service.store.flows.create(confirmed, 600)
    flow = service.load(confirmed.id)
    with pytest.raises(NotAuthorized):
        signin.sign_in(service, flow, USER, "Wr0ng-password!")
    flow = service.load(confirmed.id)
    assert flow.state == "CONFIRMED" and flow.attempts_in() == 1
    assert triggers(service, flow.id) == ["credentials_rejected"]


def test_an_unconfirmed_user_is_sent_to_confirm(service: Flows, cognito: FakeCognito) -> None:
    cognito.add_user("new@example.com", PASSWORD, confirmed=False)
    outcome = signin.sign_in(service, None, "new@example.com", PASSWORD)
    assert outcome.flow.state == "SIGNED_UP"
    assert outcome.data["reason"] == "user_not_confirmed"
    assert triggers(service, outcome.flow.id) == ["user_not_confirmed"]


def test_an_expired_challenge_session_moves_the_flow_to_expired(
    service: Flows, cognito: FakeCognito
) -> None:
    """Cognito's message, kept on the error, is what the machine reads."""
    outcome = signin.sign_in(service, None, USER, PASSWORD)
    flow = service.load(outcome.flow.id)
    cognito.expired_sessions.add(flow.cognito_session or "")
    with pytest.raises(SessionExpired) as caught:
        mfa_code(service, flow, GOOD_TOTP)
    assert caught.value.cognito_message == "Invalid session for the user, session is expired."
    assert caught.value.message == SessionExpired.default_message
    flow = service.load(outcome.flow.id)
    assert flow.state == "EXPIRED" and flow.cognito_session is None


def test_forgetting_this_browsers_device_is_journaled_and_clears_the_vault(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    device = remembered(store, cognito)
    signed_in = signin.sign_in(service, None, USER, PASSWORD, device=device)
    flow = service.load(signed_in.flow.id)
    forgotten = devices.forget_device(service, flow, "access", "dev-1", browser_device=device)
    assert forgotten.device_cookie == CLEAR_DEVICE_COOKIE and not forgotten.signed_out
    assert store.devices.get(device.device_id) is None
    assert triggers(service, flow.id)[-1] == "device_forgotten"
    assert cognito.users[USER].devices == {}


def test_forgetting_another_device_keeps_this_browsers(
    service: Flows, store: Store, cognito: FakeCognito
) -> None:
    device = remembered(store, cognito)
    signed_in = signin.sign_in(service, None, USER, PASSWORD, device=device)
    flow = service.load(signed_in.flow.id)
    forgotten = devices.forget_device(service, flow, "access", "dev-2", browser_device=device)
    assert forgotten.device_cookie is None
    assert store.devices.get(device.device_id) is not None
    assert triggers(service, flow.id)[-1] == "device_forgotten"


@pytest.mark.parametrize("hides", [True, False], ids=["pool-hides", "pool-tells"])
def test_forgot_password_answers_an_unknown_user_like_a_known_one(
    cognito: FakeCognito, store: Store, hides: bool
) -> None:
    cognito.pool_hides_unknown_users = hides
    service = Flows(cognito, store)
    known = recovery.forgot_password(service, None, USER)
    unknown = recovery.forgot_password(service, None, "nobody@example.com")
    for outcome in (known, unknown):
        assert outcome.flow.state == "RESET_CODE_SENT"
        assert set(outcome.data) == {"username", "code_delivery"}
        assert outcome.data["code_delivery"]["medium"] == "EMAIL"
    assert triggers(service, unknown.flow.id) == ["reset_code_sent"]


def test_reset_password_keeps_the_state_on_errors_and_ends_the_users_sessions(
    service: Flows, store: Store
) -> None:
    store.sessions.create({"username": USER.upper()}, 900, 3600)
    kept = store.sessions.create({"username": USER}, 900, 3600)
    someone_else = store.sessions.create({"username": "bob@example.com"}, 900, 3600)
    flow = recovery.forgot_password(service, None, USER).flow
    with pytest.raises(CodeMismatch):
        recovery.reset_password(service, service.load(flow.id), "000000", "N3w-Battery-Staple!")
    with pytest.raises(InvalidPassword) as weak:
        recovery.reset_password(service, service.load(flow.id), RESET_CODE, "short")
    assert weak.value.details["fields"] == {"new_password": [weak.value.message]}
    assert service.load(flow.id).state == "RESET_CODE_SENT"
    done = recovery.reset_password(
        service, service.load(flow.id), RESET_CODE, "N3w-Battery-Staple!", keep_session=kept
    )
    assert done.flow.state == "CONFIRMED" and done.data["sessions_ended"] == 1
    assert store.sessions.count_user_sessions(USER) == 1
    assert store.sessions.get(kept) is not None
    assert store.sessions.get(someone_else) is not None
    assert triggers(service, flow.id) == [
        "reset_code_sent",
        "code_rejected",
        "password_rejected",
        "password_reset",
    ]


def test_an_expired_temporary_password_is_its_own_error_and_resend_answers_alike(
    service: Flows, cognito: FakeCognito
) -> None:
    cognito.add_user("new@example.com", "Temp-0rary-1!", temporary_expired=True)
    with pytest.raises(TemporaryPasswordExpired) as caught:
        signin.sign_in(service, None, "new@example.com", "Temp-0rary-1!")
    assert caught.value.message == TEMPORARY_PASSWORD_EXPIRED
    assert caught.value.details["state"] == "TEMPORARY_PASSWORD_EXPIRED"
    assert "resend_temporary_password" in caught.value.details["next_steps"]
    answers = [
        recovery.resend_temporary_password(service, None, name)
        for name in ("new@example.com", "nobody@example.com", USER)
    ]
    assert {(a.flow.state, tuple(a.data)) for a in answers} == {
        ("TEMPORARY_PASSWORD_SENT", ("username",))
    }
    assert cognito.users["new@example.com"].temporary_expired is False


def test_the_new_password_step_checks_required_attributes_like_the_applicant_function(
    service: Flows, cognito: FakeCognito
) -> None:
    """The SPA's step and handle_new_password_challenge share answer_new_password:
    a missing required attribute is named before Cognito is called, and the challenge
    session is given back for the retry; only required attributes are sent."""
    cognito.add_user("new@example.com", "Temp-0rary-1!", required_attributes=["name"])
    outcome = signin.sign_in(service, None, "new@example.com", "Temp-0rary-1!")
    assert outcome.flow.state == "NEW_PASSWORD_REQUIRED"
    required = outcome.data["required_attributes"]
    assert required == ["name"]
    with pytest.raises(InvalidParameter) as caught:
        new_password(service, service.load(outcome.flow.id), "N3w-Battery!", required=required)
    assert caught.value.details == {"missing_attributes": ["name"]}
    assert "RespondToAuthChallenge" not in cognito.calls
    done = new_password(
        service,
        service.load(outcome.flow.id),
        "N3w-Battery!",
        attributes={"name": "Ada", "nickname": "not required"},
        required=required,
    )
    assert done.flow.state == "MFA_SETUP" and done.privilege_changed
    assert cognito.sent_attributes == {"name": "Ada"}
