"""Fuzzing from the OpenAPI document (schemathesis): every documented operation, with data
that fits the schema and data that does not, as an anonymous browser, a signed-in one and
the admin. Fails on any 5xx and on any response the document does not describe.

Operations come from the document, so a route added later is fuzzed without anyone listing
it; routes outside the document (the ops routes, the demo page) get the crafted bodies of
test_hardening_bodies.py and the query/header noise below. Rate limits are off here (they
would turn most requests into 429s); test_hardening_bodies.py runs with them on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_helpers import (
    ADMIN_KEY,
    SpaClient,
    flow_of,
    sign_in_through_mfa_setup,
    sign_up_and_confirm,
)
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from local_cognito.clock import Clock
from tests.support.passwords import PASSWORD

#: Generated examples per operation and generation mode; each is sent once per identity.
EXAMPLES = 12
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


class SignedIn:
    """A signed-in browser that stays signed in: a fuzzed sign-out, sign-in or sign-up with
    its cookie ends the session, so it signs in again with its remembered device (no MFA)."""

    def __init__(self, app: Flask, email: str) -> None:
        self.app = app
        self.email = email
        self.spa = SpaClient(app.test_client())

    def cookies(self) -> dict[str, str]:
        store = self.app.extensions["bff"]["store"]
        sid = self.spa.cookie()
        record = store.sessions.get(sid) if sid else None
        if not record or not record.get("tokens"):
            flow = flow_of(self.spa.post("/api/sign-in", {"username": self.email,
                                                          "password": PASSWORD}))  # fmt: skip
            assert flow["state"] == "AUTHENTICATED", flow
        return {
            "bff_session": self.spa.cookie() or "",
            "bff_device": self.spa.cookie("bff_device") or "",
        }


@pytest.fixture
def signed_in(app: Flask, outbox: Any, unique_email: str, cognito_clock: Clock) -> SignedIn:
    browser = SignedIn(app, unique_email)
    sign_up_and_confirm(browser.spa, outbox, unique_email)
    sign_in_through_mfa_setup(browser.spa, unique_email, set(), cognito_clock)
    flow_of(browser.spa.post("/api/sign-in/remember-device", {"remember": True}))
    assert browser.spa.cookie("bff_device")
    return browser


def _operations(app: Flask) -> Iterator[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.slow  # hundreds of generated requests
def test_fuzz_every_documented_operation(app: Flask, signed_in: SignedIn) -> None:
    sent: dict[str, int] = {}
    csrf = {"X-CSRF": "1"}
    identities: dict[str, Any] = {
        "anonymous": lambda: (csrf, {}),
        "signed-in": lambda: (csrf, signed_in.cookies()),
        "admin": lambda: ({**csrf, "X-Admin-Key": ADMIN_KEY}, {}),
    }
    answered: dict[str, set[int]] = {}
    operations = list(_operations(app))
    assert len(operations) >= 18
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                for name, identity in identities.items():
                    headers, cookies = identity()
                    response = case.call(headers=headers, cookies=cookies)
                    sent[name] = sent.get(name, 0) + 1
                    answered.setdefault(name, set()).add(response.status_code)
                    case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # Nothing to break: an operation with no parameters and no body.
                assert mode is GenerationMode.NEGATIVE, operation.label
    total = sum(sent.values())
    print(f"schemathesis: {total} requests over {len(operations)} operations: {sent}")
    assert total >= 1000, sent
    # Each identity really was what it claims: the signed-in one got past "Sign in first".
    assert 200 in answered["signed-in"] and 200 in answered["admin"], answered


def _get_rules(app: Flask) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            paths.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"x-\1", rule.rule))
    return sorted(set(paths))


@given(
    query=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4),
    header=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200),
)
@settings(max_examples=30, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_every_get_route_of_the_url_map_survives_noise(
    app: Flask, query: dict[str, str], header: str
) -> None:
    client = app.test_client()
    for path in _get_rules(app):
        response = client.get(
            path,
            query_string=query,
            headers={"X-Admin-Key": header, "Authorization": f"Bearer {header}", "Cookie": header},
        )
        assert response.status_code < 500 or response.status_code == 503, (
            path,
            response.status_code,
        )
