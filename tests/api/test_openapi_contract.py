"""The OpenAPI document is the contract: every real answer of every shipped QA journey
(tests/qa/journeys) validates against it, status code, headers and body, the step shape's
per-state ``data`` included (a key a step sends but no declaration lists fails here).

Validation is schemathesis' response check (``APIOperation.validate_response``), already
a test dependency: it resolves the document's ``$ref``s, applies OpenAPI 3.0's
``nullable`` and validates the body with jsonschema, so no second OpenAPI library is needed.
The journeys run over HTTP against a real `bff serve` (its in-process local Cognito), as
`bff qa run` runs them; each request and answer is recorded on the way.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis

from bff.api import openapi_document
from bff_tools.qa import JourneyRunner, load_journey
from bff_tools.qa.runner import HttpClient
from tests.support.serve import bff_serve, serve_environment

pytestmark = pytest.mark.slow  # `bff serve` as a subprocess

JOURNEYS = sorted((Path(__file__).parents[1] / "qa" / "journeys").glob("*.yaml"))


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def as_response(self) -> schemathesis.Response:
        return schemathesis.Response(
            status_code=self.status,
            headers={name.lower(): [value] for name, value in self.headers.items()},
            content=self.body,
            request=requests.Request(self.method, self.url).prepare(),
            elapsed=0.0,
            verify=False,
        )


class RecordingClient(HttpClient):
    """The journeys' HTTP client, keeping every raw answer."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        super().__init__(base_url, headers=headers)
        self.exchanges: list[Exchange] = []

    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        all_headers = {"X-CSRF": "1", "Accept": "application/json", **self.headers}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        url = self.base_url + path
        request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, answer_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, error.headers, error.read()
            error.close()
        self.exchanges.append(Exchange(method, url, status, dict(answer_headers.items()), raw))
        return status, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Exchange]]:
    """Every journey played once against one `bff serve`; every request and answer."""
    workdir = tmp_path_factory.mktemp("contract")
    env = serve_environment(workdir)
    recorded: list[Exchange] = []
    with bff_serve(workdir, env) as urls:
        for journey in JOURNEYS:
            runner = JourneyRunner(
                load_journey(journey),
                base_url=urls["BFF"].removesuffix("/api"),
                cognito_endpoint=urls["local Cognito"],
                echo=lambda line: None,
                environ=env,
            )
            runner.http = RecordingClient(runner.http.base_url, runner.http.headers)
            runner.run()
            assert isinstance(runner.http, RecordingClient)
            recorded += runner.http.exchanges
        served = requests.get(urls["BFF"] + "/openapi.json", timeout=10).json()
        assert served == openapi_document(), "bff docs' document differs from the served one"
    yield recorded


def test_every_journey_answer_validates_against_the_openapi_document(
    exchanges: list[Exchange],
) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    states: set[str] = set()
    api_answers = [e for e in exchanges if "/api/local/" not in e.url]
    assert len(api_answers) > 50
    for exchange in api_answers:
        path = "/api" + exchange.url.split("/api", 1)[1].split("?", 1)[0]
        operation = schema.find_operation_by_path(exchange.method, path)
        assert operation is not None, f"{exchange.method} {path} is not in the document"
        try:
            operation.validate_response(exchange.as_response())
        except Exception as failure:  # schemathesis' FailureGroup: say which answer
            raise AssertionError(
                f"{exchange.method} {path} → {exchange.status}: {exchange.body[:600]!r}"
            ) from failure
        flow = (json.loads(exchange.body) or {}).get("flow") if exchange.body else None
        if isinstance(flow, dict):
            states.add(flow["state"])
    # The journeys reach every screen a browser sees.
    assert states >= {
        "SIGNED_UP",
        "CONFIRMED",
        "NEW_PASSWORD_REQUIRED",
        "MFA_SETUP",
        "SOFTWARE_TOKEN_MFA",
        "AUTHENTICATED",
        "SIGNED_OUT",
        "RESET_CODE_SENT",
        "TEMPORARY_PASSWORD_SENT",
    }, states


def test_an_undeclared_data_key_fails_the_contract(exchanges: list[Exchange]) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    signed_in = next(
        e
        for e in exchanges
        if e.status == 200
        and (json.loads(e.body).get("flow") or {}).get("state") == "AUTHENTICATED"
    )
    answer = json.loads(signed_in.body)
    answer["flow"]["data"]["access_token"] = "never"
    tampered = Exchange(
        signed_in.method,
        signed_in.url,
        200,
        signed_in.headers,
        json.dumps(answer).encode(),
    )
    path = "/api" + signed_in.url.split("/api", 1)[1]
    operation = schema.find_operation_by_path(signed_in.method, path)
    assert operation is not None
    with pytest.raises(Exception, match="access_token|additional"):
        operation.validate_response(tampered.as_response())
