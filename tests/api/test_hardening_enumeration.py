"""No answer tells who has an account: every step that takes a username answers alike for
an unknown username and for a user in any state (unconfirmed, confirmed with no pending
code, disabled, waiting for a new password, reset required by an administrator).

The steps come from the OpenAPI document (every operation whose body has a ``username``),
so a new step that takes a username fails here until it is given a row below: either the
request that probes it, or the reason it cannot answer alike (sign-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_helpers import SpaClient, flow_of, sign_up_and_confirm
from flask import Flask
from werkzeug.test import TestResponse

from local_cognito import LocalCognitoInfo
from tests.support.passwords import PASSWORD

WRONG_PASSWORD = PASSWORD + "-wrong"
NEW_PASSWORD = "N3w-Passw0rd!long"

#: Each step that takes a username, probed as an attacker would: without the user's
#: password or code. Ordered so that the reset probe meets a user with no pending reset
#: code (``forgot`` comes after it and sends one).
PROBES: dict[str, dict[str, Any]] = {
    "/api/sign-in": {"password": WRONG_PASSWORD},
    # Choice-based sign-in with the password factor. Without a factor Cognito answers an
    # unknown user with a random selection of the pool's factors (documented: developer
    # guide, "Managing user existence error responses"): the same kind of answer, not the
    # same list.
    "/api/sign-in/choice": {"factor": "PASSWORD", "password": WRONG_PASSWORD},
    "/api/sign-up/confirm": {"code": "000000"},
    "/api/password/reset": {"code": "000000", "new_password": NEW_PASSWORD},
    "/api/sign-up/resend-code": {},
    "/api/sign-in/resend-temporary-password": {},
    "/api/password/forgot": {},
}

#: Steps that take a username and cannot answer alike, with the reason (docs/security.md,
#: known limits).
KNOWN_LIMITS = {
    "/api/sign-up": "SignUp answers UsernameExistsException even with "
    "PreventUserExistenceErrors; rate limited per address and per username instead",
}

Setup = Callable[[Flask, Any, Any, LocalCognitoInfo, str], None]


def _unknown(app: Flask, outbox: Any, cognito: Any, info: LocalCognitoInfo, who: str) -> None:
    return None


def _unconfirmed(app: Flask, outbox: Any, cognito: Any, info: LocalCognitoInfo, who: str) -> None:
    flow_of(SpaClient(app.test_client()).post("/api/sign-up", {"email": who, "password": PASSWORD}))


def _confirmed(app: Flask, outbox: Any, cognito: Any, info: LocalCognitoInfo, who: str) -> None:
    sign_up_and_confirm(SpaClient(app.test_client()), outbox, who)


def _disabled(app: Flask, outbox: Any, cognito: Any, info: LocalCognitoInfo, who: str) -> None:
    _confirmed(app, outbox, cognito, info, who)
    cognito.admin_disable_user(UserPoolId=info.user_pool_id, Username=who)


def _temporary_password(
    app: Flask, outbox: Any, cognito: Any, info: LocalCognitoInfo, who: str
) -> None:
    cognito.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=who,
        UserAttributes=[
            {"Name": "email", "Value": who},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )


def _reset_required(
    app: Flask, outbox: Any, cognito: Any, info: LocalCognitoInfo, who: str
) -> None:
    _confirmed(app, outbox, cognito, info, who)
    cognito.admin_reset_user_password(UserPoolId=info.user_pool_id, Username=who)


USERS: dict[str, Setup] = {
    "unknown": _unknown,
    "unconfirmed": _unconfirmed,
    "confirmed": _confirmed,
    "disabled": _disabled,
    "temporary_password": _temporary_password,
    "reset_required": _reset_required,
}


def _username_steps(app: Flask) -> set[str]:
    """Every documented POST whose JSON body has a ``username``."""
    document = app.test_client().get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    found = set()
    for path, operations in document["paths"].items():
        body = operations.get("post", {}).get("requestBody", {})
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if "username" in schema.get("properties", {}):
            found.add(path)
    return found


def test_every_step_taking_a_username_is_probed_or_a_known_limit(app: Flask) -> None:
    steps = _username_steps(app)
    assert {"/api/sign-in", "/api/password/reset"} <= steps  # the walk finds them
    missing = steps - set(PROBES) - set(KNOWN_LIMITS)
    assert not missing, f"add these steps to PROBES (or KNOWN_LIMITS, with the reason): {missing}"
    assert not (set(PROBES) | set(KNOWN_LIMITS)) - steps, "a listed step no longer exists"


def _answer(response: TestResponse, who: str) -> tuple[int, Any, list[str]]:
    """What a client sees, minus what it sent (the username) and the fresh flow id."""
    body = response.get_json()
    if "flow" in body:
        body["flow"].pop("id")
        assert body["flow"]["data"].pop("username") == who
    cookies = sorted(header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie"))
    return response.status_code, body, cookies


def test_every_username_step_answers_alike_for_every_user(
    app: Flask, outbox: Any, cognito_client: Any, local_cognito: LocalCognitoInfo,
    unique_email: str,
) -> None:  # fmt: skip
    # One mailbox per user, all starting with the same letters: the masked destination
    # (u***@e***) is derived from what was sent, never from the account.
    users = {state: unique_email.replace("@", f"-{i}@") for i, state in enumerate(USERS)}
    for state, setup in USERS.items():
        setup(app, outbox, cognito_client, local_cognito, users[state])
    answers: dict[str, dict[str, Any]] = {state: {} for state in USERS}
    for path, probe in PROBES.items():
        for state, who in users.items():
            spa = SpaClient(app.test_client())
            answers[state][path] = _answer(spa.post(path, {"username": who, **probe}), who)
    for path in PROBES:
        seen = {state: answers[state][path] for state in USERS}
        assert all(answer == seen["unknown"] for answer in seen.values()), (path, seen)
    unknown = answers["unknown"]
    assert unknown["/api/sign-in"][0] == 401
    assert unknown["/api/sign-up/confirm"][0] == 400
    assert unknown["/api/password/reset"][0] == 400
    assert unknown["/api/password/forgot"][0] == 200
    # Nothing reached a mailbox of an account that cannot use it.
    for state in ("unknown", "unconfirmed", "disabled", "temporary_password"):
        assert outbox.messages(to=users[state], kind="password_reset_code") == []


@pytest.mark.parametrize("state", ["confirmed", "unknown"])
def test_wrong_reset_codes_past_cognitos_attempt_limit_answer_alike(
    app: Flask, outbox: Any, cognito_client: Any, local_cognito: LocalCognitoInfo,
    unique_email: str, state: str,
) -> None:  # fmt: skip
    """Cognito refuses a sixth wrong reset code with LimitExceededException, for existing
    users only: the answer stays the wrong-code one for both."""
    USERS[state](app, outbox, cognito_client, local_cognito, unique_email)
    spa = SpaClient(app.test_client())
    flow_of(spa.post("/api/password/forgot", {"username": unique_email}))
    wrong = {"code": "000000", "new_password": NEW_PASSWORD}
    if state == "confirmed" and outbox.latest_reset_code(unique_email) == "000000":
        wrong["code"] = "111111"
    answers = [spa.post("/api/password/reset", wrong) for _ in range(7)]
    assert {(a.status_code, a.get_json()["error"]["code"]) for a in answers} == {
        (400, "code_mismatch")
    }
    assert len({a.get_json()["error"]["message"] for a in answers}) == 1
