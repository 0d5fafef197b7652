"""What the demo page and the API page tell a user in the less travelled places, in a real
browser (Debian's chromium, headless, Playwright) against a `bff serve` subprocess:

- the outbox panel offers "Use" only on a code that still works (replaced and used ones say
  so), from the local Cognito's status of each message;
- a reload during MFA set-up keeps the code field while `mfa_setup_verify` is allowed;
- "Sign out everywhere" asks first and points a lost device to "Forget";
- a tab signed out by a password change in another browser says why after a reload;
- a second tab still at "Remember this browser?" shows the answer the first tab gave;
- /docs shows the OpenAPI document's `code` spans as code, never as backticks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from browser_support import (
    CONFIRMED_STEPS,
    SESSION_ENDED,
    SIGNED_IN,
    STATUS,
    Api,
    UserCodes,
    Watched,
    expect_state,
    submit,
)
from playwright.sync_api import Browser, expect

from bff_tools.local_clock import LocalClock
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.serve import bff_serve, serve_environment

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`bff serve --port 0`: label → URL."""
    workdir = tmp_path_factory.mktemp("demo-answers")
    with bff_serve(workdir, serve_environment(workdir, BFF_RATELIMIT_ENABLED="0")) as urls:
        yield urls


@pytest.fixture(scope="module")
def base(served: dict[str, str]) -> str:
    """The demo page, without its slash."""
    return served["Demo page"].rstrip("/")


@pytest.fixture
def codes(served: dict[str, str]) -> UserCodes:
    """TOTP codes at the served local Cognito's clock."""
    return UserCodes(LocalClock(served["local Cognito"]))


def test_outbox_use_only_on_live_codes_and_mfa_code_after_a_reload(
    browser: Browser, base: str, codes: UserCodes
) -> None:
    email = f"answers-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context()
    api = Api(context, base)
    api.post("/api/sign-up", {"email": email, "password": PASSWORD})
    api.post("/api/sign-up/resend-code", {})
    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/")

    rows = page.locator(f"#outbox-messages tr[data-kind=confirmation_code][data-to='{email}']")
    expect(rows).to_have_count(2)
    newest, older = rows.nth(0), rows.nth(1)
    expect(newest).to_have_attribute("data-status", "valid")
    expect(older).to_have_attribute("data-status", "replaced")
    expect(older.locator("button")).to_have_count(0)
    expect(older).to_contain_text("replaced by a newer one")

    newest.locator("button", has_text="Use").click()
    submit(page, "confirm")
    expect_state(page, "CONFIRMED", CONFIRMED_STEPS)
    # The panel is read again with each new screen: the code is spent now.
    expect(newest).to_have_attribute("data-status", "used")
    expect(newest.locator("button")).to_have_count(0)
    expect(newest).to_contain_text("used")

    # MFA set-up, then a reload: the key is not shown again, the code field still is.
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
    secret = page.inner_text("#mfa-secret").replace(" ", "")
    page.reload()
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
    expect(page.locator("#qr")).to_have_count(0)
    expect(page.locator("#screen")).to_contain_text("Already scanned it?")
    expect(page.locator("#mfa-setup-code")).to_be_visible()
    page.fill("#mfa-setup-code", codes.code(secret))
    submit(page, "mfa-setup")
    expect_state(page, "AUTHENTICATED")
    assert watched.problems == []
    context.close()


def test_sign_out_everywhere_asks_and_a_signed_out_tab_says_why(
    browser: Browser, base: str, codes: UserCodes
) -> None:
    email = f"answers-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context()
    key = Api(context, base).sign_up_with_mfa(email, codes)
    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    expect_state(page, "AUTHENTICATED", SIGNED_IN)

    # It does not handle a lost device, and says so; it asks before acting.
    expect(page.locator("#sign-out-everywhere-hint")).to_contain_text(
        "A remembered browser still signs in without a code"
    )
    expect(page.locator("#sign-out-everywhere-hint")).to_contain_text("choose Forget on it")
    page.click("#sign-out-everywhere")
    expect(page.locator("#sign-out-everywhere-question")).to_contain_text("this one included")
    page.click("#sign-out-everywhere-cancel")
    expect(page.locator("#sign-out-everywhere-question")).to_have_count(0)
    expect_state(page, "AUTHENTICATED", SIGNED_IN)

    # Another browser changes the password: this tab's session ends on the server. A
    # reload says why instead of a bare start page.
    other = browser.new_context()
    other_api = Api(other, base)
    other_api.sign_in_with_mfa(email, PASSWORD, codes.code(key))
    changed = other_api.post(
        "/api/account/password", {"previous_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed["flow"]["data"]["sessions_ended"] == 1
    page.reload()
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
    expect(page.locator("#start-notice")).to_have_text(SESSION_ENDED)
    # Said once: the next reload is a plain start page again.
    page.reload()
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
    expect(page.locator("#start-notice")).to_have_count(0)

    # A tab that signs itself out is owed no explanation.
    other_page = other.new_page()
    other_page.goto(base + "/")
    expect_state(other_page, "AUTHENTICATED", SIGNED_IN)
    other_page.click("#sign-out-everywhere")
    other_page.click("#sign-out-everywhere-confirm")
    expect(other_page.locator("#start-notice")).to_have_text("You are signed out on every browser.")
    other_page.reload()
    expect(other_page.locator("#start-notice")).to_have_count(0)
    assert watched.problems == []
    other.close()
    context.close()


def test_api_page_shows_code_spans_as_code(browser: Browser, base: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/docs")
    operations = page.locator("#operations")
    expect(operations.locator("details").first).to_be_visible()
    summary = page.locator("summary", has_text="/api/flow")
    expect(summary.locator("code")).to_have_text('{"flow": null}')
    expect(operations.locator("code", has_text="X-CSRF: 1").first).to_be_visible()
    assert "`" not in operations.inner_text()
    assert watched.problems == []
    context.close()


def test_a_stale_tab_at_the_remember_prompt_shows_the_answer_given(
    browser: Browser, base: str, codes: UserCodes
) -> None:
    email = f"answers-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context()
    api = Api(context, base)
    api.sign_up(email)
    flow = api.post("/api/sign-in", {"username": email, "password": PASSWORD})["flow"]
    secret = flow["data"]["secret"]
    flow = api.post("/api/sign-in/mfa-setup", {"code": codes.code(secret)})["flow"]
    assert "remember_device" in flow["next_steps"]

    first, second = context.new_page(), context.new_page()
    watched = Watched(second)
    for tab in (first, second):
        tab.goto(base + "/")
        expect(tab.locator("#remember")).to_be_visible()
    submit(first, "remember")  # "Yes, remember it"
    expect(first.locator("#remembered")).to_have_text(" This browser is remembered.")

    # The second tab still asks; its "No" comes too late: it shows the first tab's answer.
    second.click("#remember-no")
    expect_state(second, "AUTHENTICATED", SIGNED_IN)
    expect(second.locator("#notice")).to_have_text(
        "Another tab already answered: this browser is remembered."
    )
    expect(second.locator("#error")).to_be_hidden()
    expect(second.locator("#remembered")).to_have_text(" This browser is remembered.")
    assert watched.problems == []
    context.close()
