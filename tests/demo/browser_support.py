"""Shared by the demo page's browser tests: the chromium fixtures' settings, what a page
must never log, the status line, and API shortcuts that sign a browser context in."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pyotp
from playwright.sync_api import BrowserContext, Page, expect

from bff.cognito.settings import LOCAL_DUMMY_CREDENTIALS
from bff.local_outbox import read_outbox
from tests.support.passwords import PASSWORD
from tests.support.totp import CognitoClock

CHROMIUM = os.environ.get("BFF_TEST_CHROMIUM", "/usr/bin/chromium")
# Root in a container: no sandbox; nothing may reach the network or update itself.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STATUS = "#flow-status"
SIGNED_OUT_STEPS = (
    "none in this flow; a new one: sign_up, confirm, resend_code, sign_in, sign_in_choice, "
    "forgot_password, reset_password, resend_temporary_password"
)
# A signed-in flow's steps, with and without the device Cognito offered at this sign-in.
ACCOUNT_STEPS = (
    "change_password, mfa_status, auth_factors, replace_authenticator, verify_authenticator, "
    "set_mfa_preference, sign_out, sign_out_everywhere"
)
SIGNED_IN = "sign_in, sign_in_choice, " + ACCOUNT_STEPS
SIGNED_IN_OFFERED = "sign_in, sign_in_choice, remember_device, " + ACCOUNT_STEPS
CONFIRMED_STEPS = "sign_in, sign_in_choice, forgot_password, sign_out"
# Why a signed-in browser finds itself signed out (a refused request, or a reload).
SESSION_ENDED = (
    "Your session was ended on the server: by a password change or reset, by \u201cSign out "
    "everywhere\u201d, by an administrator, or by a timeout. Sign in again."
)


class Watched:
    """A page's JavaScript errors and CSP violations (Chromium logs them to the console)."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP: {text}")


def submit(page: Page, form_id: str) -> None:
    page.click(f"#{form_id} button[type=submit]")


def expect_state(page: Page, state: str, steps: str | None = None) -> None:
    text = f"state {state} · next steps: {steps}" if steps is not None else f"state {state} "
    if steps is None:
        expect(page.locator(STATUS)).to_contain_text(text)
    else:
        expect(page.locator(STATUS)).to_have_text(text)


def focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def outbox_codes(page: Page, email: str) -> list[str]:
    """The confirmation codes for ``email`` shown in the outbox panel, newest first."""
    rows = page.locator(f"#outbox-messages tr[data-kind=confirmation_code][data-to='{email}']")
    return [rows.nth(i).locator("td.value").inner_text() for i in range(rows.count())]


def wrong_code(*right: str) -> str:
    """A 6-digit code that is none of ``right``."""
    candidate = int(right[0]) if right else 0
    while f"{candidate:06d}" in right:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


def wrong_totp(secret: str, clock: CognitoClock) -> str:
    """A code no step near the local Cognito's now accepts (it allows one step either side)."""
    totp = pyotp.TOTP(secret)
    now = clock.now()
    return wrong_code(*(totp.at(now + 30 * k) for k in range(-2, 3)))


class UserCodes:
    """TOTP codes for one user, whatever the key: each from a 30-second step not used before
    by that user (the local Cognito refuses a step a user already used, even with a new
    authenticator app's key). It accepts the next step too, so the first two come at once;
    then the local Cognito's clock (which it counts steps on) moves a step on, no wait."""

    def __init__(self, clock: CognitoClock) -> None:
        self.clock = clock
        self.steps: set[int] = set()

    def code(self, secret: str) -> str:
        for _ in range(3):
            now = int(self.clock.now() // 30)
            for step in (now, now + 1):
                if step not in self.steps:
                    self.steps.add(step)
                    return pyotp.TOTP(secret).at(step * 30)
            self.clock.advance(30)
        raise AssertionError("no unused TOTP step in three steps of the local Cognito's clock")


class Api:
    """The BFF's API with a browser context's cookies (Playwright's request context shares
    them): a quick way to put a page's browser in a state."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.base = base

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.context.request.post(self.base + path, data=body, headers={"X-CSRF": "1"})
        assert answer.ok, answer.text()
        return dict(answer.json())

    def sign_up(self, email: str, password: str = PASSWORD) -> None:
        """Sign-up and confirm with the code from the outbox."""
        self.post("/api/sign-up", {"email": email, "password": password})
        outbox = self.context.request.get(f"{self.base}/api/local/outbox?to={email}").json()
        self.post("/api/sign-up/confirm", {"code": outbox["messages"][0]["code"]})

    def sign_up_with_mfa(self, email: str, codes: UserCodes, password: str = PASSWORD) -> str:
        """Sign-up → confirm → sign-in → MFA set-up → signed in (this browser not
        remembered); returns the authenticator's key."""
        self.sign_up(email, password)
        flow = self.post("/api/sign-in", {"username": email, "password": password})["flow"]
        assert flow["state"] == "MFA_SETUP", flow
        secret = str(flow["data"]["secret"])
        code = codes.code(secret)
        assert self.post("/api/sign-in/mfa-setup", {"code": code})["flow"]["state"] == (
            "AUTHENTICATED"
        )
        self.post("/api/sign-in/remember-device", {"remember": False})
        return secret

    def sign_in_with_mfa(self, email: str, password: str, code: str) -> None:
        """Sign-in with an MFA code → signed in (this browser not remembered)."""
        flow = self.post("/api/sign-in", {"username": email, "password": password})["flow"]
        assert flow["state"] == "SOFTWARE_TOKEN_MFA", flow
        assert self.post("/api/sign-in/mfa", {"code": code})["flow"]["state"] == "AUTHENTICATED"
        self.post("/api/sign-in/remember-device", {"remember": False})


def local_admin(cognito_endpoint: str, email: str) -> tuple[Any, str]:
    """A boto3 client on a `bff serve`'s local Cognito and the pool ``email`` is in (read
    from its outbox): what an administrator's console would do."""
    pool = str(read_outbox(cognito_endpoint, to=email)[-1]["user_pool_id"])
    client = boto3.client(
        "cognito-idp",
        endpoint_url=cognito_endpoint,
        region_name=pool.split("_")[0],
        **LOCAL_DUMMY_CREDENTIALS,
    )
    return client, pool
