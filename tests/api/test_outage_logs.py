"""An outage's log line tells the operator which store and why, without its password."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from api_helpers import SpaClient, error_of

from tests.support.faults import closed_port


def test_an_unreachable_redis_is_logged_with_its_host_and_the_reason(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    app = make_app(
        store_url=f"redis://:hunter2-store-password@127.0.0.1:{port}/0",
        BFF_STORE_TIMEOUT_SECONDS="0.5",
    )
    with caplog.at_level(logging.WARNING, logger="bff.api"):
        response = SpaClient(app.test_client()).post(
            "/api/sign-in", {"username": "ada@example.com", "password": "Wrong-password-1"}
        )

    assert error_of(response, 503)["code"] == "store_unavailable"
    lines = [r.getMessage() for r in caplog.records if "store unavailable" in r.getMessage()]
    assert lines, caplog.text
    assert f"redis://:***@127.0.0.1:{port}/0" in lines[0]
    assert f"127.0.0.1:{port}" in lines[0].split(": ", 1)[1]  # the reason names it again
    assert "refused" in lines[0].lower()
    assert "hunter2" not in caplog.text
