"""Choice-based sign-in on the demo page in a real browser (Debian's chromium, headless,
Playwright) against the local Cognito: "Email me a code" with the code from the outbox
panel, the factor choice with a password, and the account panel's sign-in factors.

The pool is the template's with MFA optional: Cognito offers passwordless sign-in only to
users without MFA (in a pool that requires MFA, nobody).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import STATUS, Watched, expect_state, submit
from demo_support import local_settings, serving
from playwright.sync_api import Browser, expect

from bff.app import create_app
from tests.support.choice_pool import ChoicePool, confirmed_user
from tests.support.passwords import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def pool(local_cognito_server: Any) -> Any:
    return local_cognito_server.provision(parameters={"MfaConfiguration": "OPTIONAL"})


@pytest.fixture(scope="module")
def base(pool: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(local_settings(pool, tmp_path_factory.mktemp("demo-choice")))
    try:
        with serving(app) as url:
            yield url
    finally:
        app.extensions["bff"]["store"].close()


@pytest.fixture
def user(cognito_client: Any, pool: Any) -> str:
    email = f"choice-{uuid.uuid4().hex[:8]}@example.com"
    confirmed_user(cognito_client, ChoicePool(pool.user_pool_id, pool.client_id), email)
    return email


def test_email_me_a_code_signs_in_and_the_account_lists_the_factors(
    browser: Browser, base: str, user: str, shots: Path
) -> None:
    page = browser.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
    page.fill("#sign-in-choice-username", user)
    submit(page, "sign-in-choice")
    expect_state(page, "EMAIL_OTP")
    expect(page.locator("main")).to_contain_text("We emailed a 6-digit code to c***@e***")
    page.screenshot(path=str(shots / "choice-email-code.png"))
    row = page.locator(f"#outbox-messages tr[data-kind=email_otp][data-to='{user}']")
    expect(row).to_have_count(1)
    row.locator("button", has_text="Use").click()
    submit(page, "email-code")
    expect_state(page, "AUTHENTICATED")
    page.click("#remember-no")  # the pool tracks devices: asked once, answered
    expect(page.locator("#auth-factors")).to_have_text("Ways to sign in: password, email code")
    assert watched.problems == []
    page.close()


def test_the_factor_choice_with_a_wrong_then_right_password(
    browser: Browser, base: str, user: str
) -> None:
    page = browser.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    page.fill("#sign-in-choice-username", user)
    page.click("#sign-in-choose")
    expect_state(page, "SELECT_CHALLENGE")
    expect(page.locator("#factor-EMAIL_OTP")).to_be_visible()
    page.fill("#factor-PASSWORD-password", "Wr0ng-password!")
    submit(page, "factor-PASSWORD")
    expect(page.locator("#error")).to_contain_text("(not_authorized)")
    page.fill("#factor-PASSWORD-password", PASSWORD)
    submit(page, "factor-PASSWORD")
    expect_state(page, "AUTHENTICATED")
    assert watched.problems == []
    page.close()
