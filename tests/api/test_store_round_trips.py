"""How many store operations each step makes, counted with the store metric
(``bff_store_op_seconds``): a step reads the browser's session and its flow, claims the
single-use Cognito session when it answers a challenge, and writes the flow and the
session once each. A change that adds a round trip to a step shows here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from api_helpers import SpaClient, flow_of, sign_up_and_confirm
from prometheus_client import REGISTRY

from tests.support.passwords import PASSWORD
from tests.support.totp import fresh_totp


def _operations() -> Counter[str]:
    counts: Counter[str] = Counter()
    for metric in REGISTRY.collect():
        if metric.name == "bff_store_op_seconds":
            for sample in metric.samples:
                if sample.name.endswith("_count"):
                    counts[f"{sample.labels['store']}.{sample.labels['op']}"] += int(sample.value)
    return counts


def _made_by(step: Callable[[], Any]) -> Counter[str]:
    before = _operations()
    step()
    return _operations() - before


def test_each_step_makes_its_few_store_operations(
    spa: SpaClient, outbox: Any, unique_email: str, cognito_clock: Any
) -> None:
    sign_up_and_confirm(spa, outbox, unique_email)
    used: set[str] = set()
    signed: dict[str, Any] = {}

    def sign_in() -> None:
        body = {"username": unique_email, "password": PASSWORD}
        signed["flow"] = flow_of(spa.post("/api/sign-in", body))

    # Continues the sign-up's flow; the new session replaces the old one in one write.
    assert _made_by(sign_in) == Counter(
        {"sessions.get": 1, "flows.load": 1, "flows.save": 1, "sessions.create": 1}
    )
    secret = signed["flow"]["data"]["secret"]

    def mfa_setup() -> None:
        code = fresh_totp(secret, used, cognito_clock)
        assert flow_of(spa.post("/api/sign-in/mfa-setup", {"code": code}))["state"] == (
            "AUTHENTICATED"
        )

    # The claim, the answer's save, and the session's new id and data in one write.
    assert _made_by(mfa_setup) == Counter(
        {"sessions.get": 1, "flows.load": 1, "flows.save": 2, "sessions.rotate": 1}
    )
    assert _made_by(lambda: spa.get("/api/me")) == Counter({"sessions.get": 1})
    spa.post("/api/sign-in/remember-device", {"remember": True})
    spa.post("/api/sign-out", {})

    # A remembered device: the vault, the new flow written once (its Cognito session
    # already claimed), the device's answer saved, the new session.
    assert _made_by(sign_in) == Counter(
        {"devices.get": 1, "flows.create": 1, "flows.save": 1, "sessions.create": 1}
    )
    assert signed["flow"]["state"] == "AUTHENTICATED"
