"""Budgets no stranger can turn into a weapon: failures are counted per step kind, the MFA
step's budget belongs to the sign-in in progress, mailed codes are budgeted per username
without refusing the user's own request, and every spelling of a username shares one
budget (NFKC + case folding)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from api_helpers import (
    SpaClient,
    error_of,
    flow_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask

from local_cognito import LocalCognitoInfo
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.totp import fresh_totp

WRONG_CODE = "000000"


def _post(spa: SpaClient, address: str, path: str, body: dict[str, Any]) -> Any:
    return spa.post(path, body, environ_base={"REMOTE_ADDR": address})


def _limited(make_app: Any, **extra: str) -> Flask:
    app: Flask = make_app(BFF_RATELIMIT_ENABLED="true", **extra)
    return app


def test_wrong_reset_codes_from_many_addresses_leave_the_victims_totp_alone(
    make_app: Any, outbox: Any, unique_email: str, cognito_clock: Any
) -> None:
    app = _limited(make_app)
    victim = SpaClient(app.test_client())
    used: set[str] = set()
    sign_up_and_confirm(victim, outbox, unique_email)
    secret = sign_in_through_mfa_setup(victim, unique_email, used, cognito_clock)["secret"]
    victim.post("/api/sign-out", {})

    # The attack: 12 wrong reset codes naming the victim, each from its own address.
    body = {"username": unique_email, "code": WRONG_CODE, "new_password": NEW_PASSWORD}
    statuses = [
        _post(SpaClient(app.test_client()), f"198.51.100.{i}", "/api/password/reset", body)
        for i in range(12)
    ]
    assert [r.status_code for r in statuses[:10]] == [400] * 10
    assert [r.status_code for r in statuses[10:]] == [429, 429]  # the reset budget holds
    assert error_of(statuses[-1], 429)["code"] == "too_many_requests"

    # The victim signs in with the password and a correct TOTP: the reset's budget is not
    # the sign-in's.
    flow = flow_of(
        _post(
            victim, "203.0.113.7", "/api/sign-in", {"username": unique_email, "password": PASSWORD}
        )
    )
    assert flow["state"] == "SOFTWARE_TOKEN_MFA"
    code = fresh_totp(secret, used, cognito_clock)
    answer = _post(victim, "203.0.113.7", "/api/sign-in/mfa", {"code": code})
    assert flow_of(answer)["state"] == "AUTHENTICATED"


def test_the_mfa_budget_belongs_to_the_sign_in(
    make_app: Any, outbox: Any, unique_email: str, cognito_clock: Any
) -> None:
    app = _limited(make_app, BFF_FAILURES_MFA="3 per 5 minutes")
    spa = SpaClient(app.test_client())
    used: set[str] = set()
    sign_up_and_confirm(spa, outbox, unique_email)
    secret = sign_in_through_mfa_setup(spa, unique_email, used, cognito_clock)["secret"]
    spa.post("/api/sign-out", {})

    def sign_in() -> None:
        body = {"username": unique_email, "password": PASSWORD}
        assert flow_of(spa.post("/api/sign-in", body))["state"] == "SOFTWARE_TOKEN_MFA"

    sign_in()
    wrong = [spa.post("/api/sign-in/mfa", {"code": WRONG_CODE}) for _ in range(4)]
    assert [r.status_code for r in wrong] == [400, 400, 400, 429]
    refused = error_of(wrong[-1], 429)
    assert refused["code"] == "too_many_requests" and "Sign in again" in refused["message"]
    # The right code is refused too within this sign-in: its budget is spent.
    code = fresh_totp(secret, used, cognito_clock)
    assert spa.post("/api/sign-in/mfa", {"code": code}).status_code == 429
    # A new sign-in (the password again) has a budget of its own.
    sign_in()
    answer = spa.post("/api/sign-in/mfa", {"code": fresh_totp(secret, used, cognito_clock)})
    assert flow_of(answer)["state"] == "AUTHENTICATED"


def test_three_forgot_password_calls_do_not_block_the_victims_own(
    make_app: Any, outbox: Any, cognito_client: Any, local_cognito: LocalCognitoInfo,
    unique_email: str,
) -> None:  # fmt: skip
    app = _limited(make_app)
    sign_up_and_confirm(SpaClient(app.test_client()), outbox, unique_email)
    for i in range(3):  # strangers, each from its own address
        stranger = SpaClient(app.test_client())
        forgot = _post(
            stranger, f"198.51.100.{i}", "/api/password/forgot", {"username": unique_email}
        )
        assert flow_of(forgot)["state"] == "RESET_CODE_SENT"
    victim = SpaClient(app.test_client())
    answer = _post(victim, "203.0.113.7", "/api/password/forgot", {"username": unique_email})
    assert flow_of(answer)["state"] == "RESET_CODE_SENT"  # not 429
    # More requests change nothing for anyone: the same answer, no more mail than the
    # username's budget (3 in 15 minutes) ...
    for i in range(3, 8):
        again = _post(SpaClient(app.test_client()), f"198.51.100.{i}", "/api/password/forgot",
                      {"username": unique_email})  # fmt: skip
        assert flow_of(again)["data"] == flow_of(answer)["data"]
    assert len(outbox.messages(to=unique_email, kind="password_reset_code")) == 3
    # ... and the code mailed last resets the password.
    code = outbox.latest_reset_code(unique_email)
    reset = _post(victim, "203.0.113.7", "/api/password/reset",
                  {"code": code, "new_password": NEW_PASSWORD})  # fmt: skip
    assert flow_of(reset)["state"] == "CONFIRMED"


def _variants(local_part: str) -> list[str]:
    """Six spellings of one username with six different ``str.lower()`` values and one
    NFKC + case-folded form: ß = ss, ﬆ = st, ﬁ = fi."""
    domain = "@example.com"
    return [
        f"first.strasse.{local_part}{domain}",
        f"\ufb01rst.strasse.{local_part}{domain}",
        f"first.stra\u00dfe.{local_part}{domain}",
        f"first.\ufb06rasse.{local_part}{domain}",
        f"\ufb01r\ufb06.stra\u00dfe.{local_part}{domain}",
        f"FIR\ufb06.\ufb06RA\u00dfE.{local_part.upper()}{domain.upper()}",
    ]


def test_spellings_of_a_username_share_one_confirmation_budget(
    make_app: Any, outbox: Any, cognito_client: Any, local_cognito: LocalCognitoInfo
) -> None:
    names = _variants(uuid.uuid4().hex[:10])
    assert len({name.lower() for name in names}) == 6
    app = _limited(make_app)
    spa = SpaClient(app.test_client())
    signed_up = spa.post("/api/sign-up", {"email": names[0], "password": PASSWORD})
    assert flow_of(signed_up)["state"] == "SIGNED_UP"
    code = outbox.latest_code(names[0])
    # 50 wrong codes in a minute, ten under each of five spellings, each from its own
    # address, in the browser that signed up.
    statuses = [
        _post(spa, f"198.51.{n}.{i}", "/api/sign-up/confirm",
              {"code": WRONG_CODE, "username": name}).status_code
        for n, name in enumerate(names[1:]) for i in range(10)
    ]  # fmt: skip
    assert statuses == [400] * 10 + [429] * 40
    # A sixth spelling with the right code: refused by the budget, and nothing changed.
    refused = _post(
        spa, "203.0.113.9", "/api/sign-up/confirm", {"code": code, "username": names[5]}
    )
    assert error_of(refused, 429)["code"] == "too_many_requests"
    user = cognito_client.admin_get_user(UserPoolId=local_cognito.user_pool_id, Username=names[0])
    assert user["UserStatus"] == "UNCONFIRMED"


def test_spellings_of_a_username_share_one_reset_budget(make_app: Any, outbox: Any) -> None:
    # Under the local Cognito's own limit of 5 wrong reset codes, so every refusal below
    # is the BFF's.
    names = _variants(uuid.uuid4().hex[:10])
    app = _limited(make_app, BFF_FAILURES_RESET="3 per minute")
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, names[0])
    forgot = spa.post("/api/password/forgot", {"username": names[0]})
    assert flow_of(forgot)["state"] == "RESET_CODE_SENT"
    code = outbox.latest_reset_code(names[0])
    answers = [
        _post(spa, f"198.51.{n}.1", "/api/password/reset",
              {"code": WRONG_CODE, "new_password": NEW_PASSWORD, "username": name})
        for n, name in enumerate(names[:5])
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [400] * 3 + [429] * 2
    assert {error_of(a, 429)["code"] for a in answers[3:]} == {"too_many_requests"}
    body = {"code": code, "new_password": NEW_PASSWORD, "username": names[5]}
    refused = _post(spa, "203.0.113.9", "/api/password/reset", body)
    assert error_of(refused, 429)["code"] == "too_many_requests"


def test_spellings_of_a_username_share_one_mail_budget(make_app: Any, outbox: Any) -> None:
    names = _variants(uuid.uuid4().hex[:10])
    app = _limited(make_app)
    spa = SpaClient(app.test_client())
    assert flow_of(spa.post("/api/sign-up", {"email": names[0], "password": PASSWORD}))
    answers = [
        _post(spa, f"198.51.100.{n}", "/api/sign-up/resend-code", {"username": name})
        for n, name in enumerate(names)
    ]
    assert [a.status_code for a in answers] == [200] * 6  # the same answer for every one
    # The sign-up's own code and three resent: the username's budget, whatever spelling.
    assert len(outbox.messages(to=names[0], kind="confirmation_code")) == 1 + 3


@pytest.mark.parametrize("who", ["unknown", "unconfirmed", "confirmed"])
@pytest.mark.parametrize(
    ("path", "setting", "extra"),
    [
        ("/api/password/reset", "BFF_FAILURES_RESET", {"new_password": NEW_PASSWORD}),
        ("/api/sign-up/confirm", "BFF_FAILURES_CONFIRM", {}),
    ],
)
def test_budgets_are_spent_alike_whoever_the_username_names(
    make_app: Any, outbox: Any, unique_email: str, who: str, path: str, setting: str,
    extra: dict[str, str],
) -> None:  # fmt: skip
    """A budget that only existing users could spend would tell who has an account."""
    app = _limited(make_app, **{setting: "2 per minute"})
    if who == "confirmed":
        sign_up_and_confirm(SpaClient(app.test_client()), outbox, unique_email)
    elif who == "unconfirmed":
        SpaClient(app.test_client()).post(
            "/api/sign-up", {"email": unique_email, "password": PASSWORD}
        )
    body = {"username": unique_email, "code": WRONG_CODE, **extra}
    answers = [_post(SpaClient(app.test_client()), f"198.51.100.{i}", path, body) for i in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert error_of(answers[0], 400)["code"] == "code_mismatch"
    assert error_of(answers[2], 429)["code"] == "too_many_requests"
