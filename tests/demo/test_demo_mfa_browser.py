"""The demo page's MFA settings, text-message codes and the choice of factor, in a real
browser (Debian's chromium, headless, driven by Playwright) against a `bff serve`
subprocess with its in-process local Cognito.

Sign up with a phone number (a malformed one refused next to its field) → MFA set-up →
the account panel turns text messages on and makes them asked first → sign in: the
texted-code screen (the masked number; a wrong code refused in plain words; the outbox
panel's "Use") → "Let me choose" → sign in: the choice screen, "Text me a code" → signed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import (
    SIGNED_IN,
    SIGNED_IN_OFFERED,
    STATUS,
    Api,
    UserCodes,
    Watched,
    expect_state,
    submit,
    wrong_code,
)
from playwright.sync_api import Browser, Page, expect

from bff_tools.local_clock import LocalClock
from tests.support.passwords import PASSWORD
from tests.support.serve import bff_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("demo-mfa-serve")
    with bff_serve(workdir) as urls:
        assert "Demo page" in urls, (workdir / "serve.log").read_text()
        yield urls


def sign_in(page: Page, email: str) -> None:
    page.fill("#sign-in-username", email)
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")


def use_texted_code(page: Page, phone: str) -> None:
    """The newest valid texted code for ``phone``, put in the code field by the outbox
    panel's "Use"."""
    page.click("#outbox-refresh")
    row = page.locator(
        f"#outbox-messages tr[data-kind=sms_mfa][data-to='{phone}'][data-status=valid]"
    )
    expect(row).to_have_count(1)
    row.locator("button").click()


def test_sms_mfa_settings_code_and_choice(
    browser: Browser, served: dict[str, str], shots: Path
) -> None:
    bff_url = served["Demo page"].rstrip("/")
    codes = UserCodes(LocalClock(served["local Cognito"]))
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    phone = "+1555" + f"{uuid.uuid4().int % 10**7:07d}"
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    watched = Watched(page)
    page.goto(bff_url + "/")
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")

    # Sign up with a phone number: a malformed one is refused next to its field.
    page.fill("#sign-up-email", email)
    page.fill("#sign-up-password", PASSWORD)
    page.fill("#sign-up-attributes-phone_number", "555-0100")
    submit(page, "sign-up")
    expect(page.locator("#sign-up-attributes-phone_number-error")).to_have_text(
        "Enter +, the country code and the number."
    )
    page.fill("#sign-up-attributes-phone_number", phone)
    submit(page, "sign-up")
    expect_state(page, "SIGNED_UP", "confirm, resend_code, sign_out")

    # Confirm, sign in and set up the authenticator app through the API (the main journey
    # test walks those screens), then the signed-in page.
    api = Api(context, bff_url)
    outbox = context.request.get(f"{bff_url}/api/local/outbox?to={email}").json()
    api.post("/api/sign-up/confirm", {"code": outbox["messages"][0]["code"]})
    flow = api.post("/api/sign-in", {"username": email, "password": PASSWORD})["flow"]
    secret = str(flow["data"]["secret"])
    api.post("/api/sign-in/mfa-setup", {"code": codes.code(secret)})
    api.post("/api/sign-in/remember-device", {"remember": False})
    page.reload()
    expect_state(page, "AUTHENTICATED", SIGNED_IN)

    # The panel: the authenticator app on and asked first; text messages off.
    factors = page.locator("#mfa-factors")
    expect(factors.locator("tr[data-factor=SOFTWARE_TOKEN_MFA] td.mfa-state")).to_have_text(
        "on, asked first"
    )
    sms = factors.locator("tr[data-factor=SMS_MFA]")
    expect(sms.locator("td.mfa-state")).to_have_text("off")
    sms.locator("button[data-action=enable]").click()
    expect(page.locator("#notice")).to_have_text("The text message is on.")
    expect(sms.locator("td.mfa-state")).to_have_text("on")
    sms.locator("button[data-action=prefer]").click()
    expect(sms.locator("td.mfa-state")).to_have_text("on, asked first")
    expect(factors.locator("tr[data-factor=SOFTWARE_TOKEN_MFA] td.mfa-state")).to_have_text("on")
    expect(page.locator("#mfa-status")).to_contain_text("preferred: text message")
    page.screenshot(path=shots / "mfa-01-settings.png")

    # Sign in: the code is texted; a wrong one is refused in plain words.
    page.click("#sign-out")
    sign_in(page, email)
    expect_state(page, "SMS_MFA", "sms_mfa_code, sign_out")
    expect(page.locator("#sms-destination")).to_contain_text("+*******" + phone[-4:])
    texted = context.request.get(f"{bff_url}/api/local/outbox?to={quote(phone)}").json()
    page.fill("#sms-mfa-code", wrong_code(texted["messages"][0]["code"]))
    submit(page, "sms-mfa")
    expect(page.locator("#error")).to_contain_text("(code_mismatch)")
    expect(page.locator("#sms-mfa-code-error")).to_have_text(
        "That code is not right. Check it and try again."
    )
    page.screenshot(path=shots / "mfa-02-texted-code.png")
    use_texted_code(page, phone)
    expect(page.locator("#error")).to_be_hidden()
    submit(page, "sms-mfa")
    expect_state(page, "AUTHENTICATED", SIGNED_IN_OFFERED)
    page.click("#remember-no")
    expect_state(page, "AUTHENTICATED", SIGNED_IN)

    # Both on, none asked first: the next sign-in asks which.
    sms.locator("button[data-action=unprefer]").click()
    expect(sms.locator("td.mfa-state")).to_have_text("on")
    page.click("#sign-out")
    sign_in(page, email)
    expect_state(page, "SELECT_MFA_TYPE", "select_mfa_type, sign_out")
    choices = page.locator("#mfa-choices button[data-mfa-type]")
    expect(choices).to_have_text(["Use my authenticator app", "Text me a code"])
    page.screenshot(path=shots / "mfa-03-choice.png")
    page.click("#mfa-choices button[data-mfa-type=SMS_MFA]")
    expect_state(page, "SMS_MFA", "sms_mfa_code, sign_out")
    use_texted_code(page, phone)
    submit(page, "sms-mfa")
    expect_state(page, "AUTHENTICATED", SIGNED_IN_OFFERED)
    assert watched.problems == []
    context.close()
