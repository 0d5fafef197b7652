"""The managed-login routes fuzzed from the OpenAPI document on an app where managed login
is on (the suite's default app has no client secret, so there they only answer
`oauth_disabled`): every `/api/oauth/*` operation, data that fits the schema and data
that does not, as a fresh browser and as one that started a sign-in. Fails on any 5xx and
on any answer the document does not describe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from local_cognito import LocalCognito, LocalCognitoInfo

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def confidential(local_cognito_server: LocalCognito) -> LocalCognitoInfo:
    return local_cognito_server.provision(with_client_secret=True)


@pytest.mark.slow  # a few hundred generated requests
def test_fuzz_the_managed_login_operations(
    make_app: Callable[..., Flask], confidential: LocalCognitoInfo
) -> None:
    app = make_app(**confidential.as_environment(), BFF_OAUTH_PROVIDERS="LocalIdP")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/oauth/")
    ]
    assert {op.path for op in operations} == {
        "/api/oauth/sign-in",
        "/api/oauth/callback",
        "/api/oauth/sign-out",
    }
    started = app.test_client()
    assert started.get("/api/oauth/sign-in").status_code == 302
    pre_sign_in = started.get_cookie("bff_oauth")
    assert pre_sign_in is not None
    identities: dict[str, dict[str, str]] = {
        "fresh": {},
        "started": {"bff_oauth": pre_sign_in.value},
    }
    answered: dict[str, set[int]] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=15,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                for cookies in identities.values():
                    response = case.call(headers={"X-CSRF": "1"}, cookies=cookies)
                    answered.setdefault(case.path, set()).add(response.status_code)
                    case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label
    # The generated sign-ins really started (302) and the callbacks really were refused.
    assert 302 in answered["/api/oauth/sign-in"], answered
    assert answered["/api/oauth/callback"] & {400, 401}, answered
