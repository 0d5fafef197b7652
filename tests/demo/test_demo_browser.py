"""The demo page in a real browser (Debian's chromium, headless, driven by Playwright)
against a real `bff serve` subprocess with its in-process local Cognito.

The journey: sign up → a wrong code (422 next to the field) → reload (resume from
GET /api/flow) → resend → confirm with the code from the outbox panel (and a second tab
refused with 409) → sign in → MFA setup (QR rendered, TOTP from the secret on the page)
→ remember the browser → signed in (claims, devices, refresh) → sign out → sign in again
with no MFA → forget the device → sign in with an MFA code. A second test runs the page on
an app with a tight sign-in limit: 429 with a countdown.

Chromium missing skips these tests outside CI and fails them in CI (`.ci/run` installs it).
Each main screen is saved as a PNG in ``$BFF_DEMO_SCREENSHOTS`` (default: a pytest tmp
folder).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    CONFIRMED_STEPS,
    SESSION_ENDED,
    SIGNED_IN,
    SIGNED_IN_OFFERED,
    SIGNED_OUT_STEPS,
    STATUS,
    Api,
    UserCodes,
    Watched,
    expect_state,
    focused,
    local_admin,
    outbox_codes,
    submit,
    wrong_code,
    wrong_totp,
)
from demo_support import local_settings, serving
from playwright.sync_api import Browser, expect

from bff.app import create_app
from bff_tools.local_clock import LocalClock
from local_cognito import LocalCognitoInfo
from tests.support.passwords import PASSWORD
from tests.support.serve import bff_serve
from tests.support.totp import fresh_totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`bff serve --port 0` as a subprocess (rate limits on, as a developer runs it)."""
    workdir = tmp_path_factory.mktemp("demo-serve")
    with bff_serve(workdir) as urls:
        assert "Demo page" in urls, (workdir / "serve.log").read_text()
        yield urls


@pytest.fixture(scope="module")
def bff_url(served: dict[str, str]) -> str:
    return served["Demo page"].rstrip("/")


@pytest.fixture(scope="module")
def serve_clock(served: dict[str, str]) -> LocalClock:
    """The clock of `bff serve`'s local Cognito: TOTP codes are computed at its time."""
    return LocalClock(served["local Cognito"])


def test_demo_page_whole_journey(
    browser: Browser, bff_url: str, shots: Path, serve_clock: LocalClock
) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    used: set[str] = set()
    context = browser.new_context(viewport={"width": 1100, "height": 860})
    page = context.new_page()
    watched = Watched(page)
    page.goto(bff_url + "/")

    # Start screen: sign in / sign up; local mode shows the outbox panel; focus is in the
    # first field.
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
    expect(page.locator("#outbox")).to_be_visible()
    assert focused(page) == "sign-in-username"
    for selector, autocomplete in (
        ("#sign-in-username", "username"),
        ("#sign-in-password", "current-password"),
        ("#sign-up-email", "username"),
        ("#sign-up-password", "new-password"),
    ):
        assert page.get_attribute(selector, "autocomplete") == autocomplete
        assert page.locator(f"label[for={selector[1:]}]").count() == 1

    # A weak password: a plain message, and every rule it breaks next to the field (Cognito's
    # own message names only the first).
    page.fill("#sign-up-email", email)
    page.fill("#sign-up-password", "weakpass")
    submit(page, "sign-up")
    expect(page.locator("#error")).to_contain_text("(invalid_password)")
    expect(page.locator("#error")).to_contain_text("This password is not strong enough.")
    rules = page.locator("#sign-up-password-error li")
    expect(rules).to_have_text(["an upper-case letter", "a digit", re.compile(r"^a symbol")])
    assert page.get_attribute("#sign-up-password", "aria-invalid") == "true"
    assert focused(page) == "sign-up-password"
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")

    # Sign up.
    page.fill("#sign-up-password", PASSWORD)
    page.screenshot(path=shots / "01-sign-up.png")
    submit(page, "sign-up")
    expect_state(page, "SIGNED_UP", "confirm, resend_code, sign_out")
    expect(page.locator("#error")).to_be_hidden()
    assert focused(page) == "confirm-code"
    assert page.get_attribute("#confirm-code", "autocomplete") == "one-time-code"

    # 422: the field's message next to the field.
    page.fill("#confirm-code", "12")
    submit(page, "confirm")
    expect(page.locator("#confirm-code-error")).to_have_text("Enter the code from the email.")
    assert page.get_attribute("#confirm-code", "aria-invalid") == "true"

    # A reload resumes from GET /api/flow.
    page.reload()
    expect_state(page, "SIGNED_UP", "confirm, resend_code, sign_out")
    expect(page.locator("#outbox-messages")).to_contain_text(email)
    assert len(outbox_codes(page, email)) == 1

    # Resend: a second code arrives in the outbox panel, newest first.
    page.click("#resend-code")
    expect(page.locator("#notice")).to_have_text("A new code is on its way.")
    expect(
        page.locator(f"#outbox-messages tr[data-kind=confirmation_code][data-to='{email}']")
    ).to_have_count(2)
    newest = outbox_codes(page, email)[0]

    # A second tab of the same browser, still on the confirm screen.
    other = context.new_page()
    other_watched = Watched(other)
    other.goto(bff_url + "/")
    expect_state(other, "SIGNED_UP", "confirm, resend_code, sign_out")

    # A wrong code: a plain message, next to the field too.
    page.fill("#confirm-code", wrong_code(*outbox_codes(page, email)))
    submit(page, "confirm")
    expect(page.locator("#error")).to_contain_text(
        "That code is not right. Check it and try again. (code_mismatch)"
    )
    expect(page.locator("#confirm-code-error")).to_have_text(
        "That code is not right. Check it and try again."
    )

    # "Use" fills the code field from the panel, and the error about the old code goes.
    page.locator(f"#outbox-messages tr[data-to='{email}'] button").first.click()
    assert page.input_value("#confirm-code") == newest
    expect(page.locator("#error")).to_be_hidden()
    expect(page.locator("#confirm-code-error")).to_be_hidden()
    assert page.get_attribute("#confirm-code", "aria-invalid") is None
    page.screenshot(path=shots / "02-confirm.png")
    submit(page, "confirm")
    expect_state(page, "CONFIRMED", CONFIRMED_STEPS)
    assert page.input_value("#sign-in-username") == email
    assert focused(page) == "sign-in-password"

    # The other tab's screen is stale: its step is refused (409), it shows where the flow is.
    other.click("#resend-code")
    expect(other.locator("#error")).to_contain_text("(illegal_step)")
    expect(other.locator("#error")).to_contain_text("Allowed now: " + CONFIRMED_STEPS)
    expect_state(other, "CONFIRMED", CONFIRMED_STEPS)
    other.close()

    # A wrong password: the one error shape, shown in the banner.
    page.fill("#sign-in-password", "Wr0ng-password!")
    submit(page, "sign-in")
    expect(page.locator("#error")).to_contain_text("(not_authorized)")
    expect_state(page, "CONFIRMED", CONFIRMED_STEPS)

    # Sign in: MFA setup with the server's QR code and the secret for manual entry.
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
    expect(page.locator("#qr svg")).to_be_visible()
    expect(page.locator("#new-key-warning")).to_have_count(0)
    first_secret = page.inner_text("#mfa-secret").replace(" ", "")
    # The secret is shown once: after a reload the page says so, warns that an entry made
    # from the old QR code will not work, and offers a new sign-in.
    page.reload()
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
    expect(page.locator("#screen")).to_contain_text("shown only once")
    expect(page.locator("#new-key-warning")).to_contain_text("will not work")
    expect(page.locator("#qr")).to_have_count(0)
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
    expect(page.locator("#new-key-warning")).to_contain_text("This is a new key.")
    qr = page.locator("#qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 100 and box["height"] >= 100
    assert page.locator("#qr svg path").count() >= 1
    assert page.get_attribute("#qr svg", "role") == "img"
    secret = page.inner_text("#mfa-secret").replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    assert secret != first_secret
    assert focused(page) == "mfa-setup-code"
    page.screenshot(path=shots / "03-mfa-setup.png")
    # The old key's code is refused in plain words, next to the field; never Cognito's
    # "Code mismatch and fail enable Software Token MFA".
    page.fill("#mfa-setup-code", wrong_totp(secret, serve_clock))
    submit(page, "mfa-setup")
    expect(page.locator("#error")).to_contain_text("(code_mismatch)")
    expect(page.locator("#mfa-setup-code-error")).to_have_text(
        "That code is not right. Check it and try again."
    )
    expect(page.locator("#screen")).not_to_contain_text("Software Token")
    expect(page.locator("#error")).not_to_contain_text("Software Token")
    page.fill("#mfa-setup-code", fresh_totp(secret, used, serve_clock))
    submit(page, "mfa-setup")

    # Signed in; remember this browser?
    expect_state(page, "AUTHENTICATED", SIGNED_IN_OFFERED)
    expect(page.locator("#screen h2")).to_have_text("Remember this browser?")
    page.screenshot(path=shots / "04-remember-device.png")
    submit(page, "remember")
    expect_state(page, "AUTHENTICATED", SIGNED_IN)
    expect(page.locator("#claims")).to_contain_text(email)
    this_browser = page.locator("#devices tr", has_text="(this browser)")
    expect(this_browser).to_have_count(1)
    expect(this_browser.locator("td").nth(1)).to_have_text("yes")
    # Named after the browser (sent with the sign-in, used when the BFF confirmed the
    # device), not one "Web browser" for every device.
    expect(this_browser.locator("td").first).to_have_text("Chrome on Linux (this browser)")
    expect(page.locator("#screen")).to_contain_text("This browser is remembered.")
    page.screenshot(path=shots / "05-signed-in.png")

    # The page holds no token: the cookies are HttpOnly, invisible to its script.
    assert page.evaluate("document.cookie") == ""
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["bff_session"]["httpOnly"] and cookies["bff_device"]["httpOnly"]

    page.click("#refresh")
    expect(page.locator("#notice")).to_have_text("Tokens refreshed.")

    # Sign out, then sign in again: the remembered device answers, no MFA screen.
    page.click("#sign-out")
    expect_state(page, "SIGNED_OUT", SIGNED_OUT_STEPS)
    expect(page.locator("#start-notice")).to_have_text("You are signed out.")
    page.fill("#sign-in-username", email)
    page.fill("#sign-in-password", PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/api/sign-in")) as answer:
        submit(page, "sign-in")
    assert json.loads(answer.value.text())["flow"]["state"] == "AUTHENTICATED"
    expect_state(page, "AUTHENTICATED", SIGNED_IN)
    expect(page.locator("#devices tr", has_text="(this browser)")).to_have_count(1)
    expect(page.locator("#remembered")).to_have_text(" This browser is remembered.")

    # Forget this browser: this session signed in with it, so the session ends (Cognito
    # refreshes its tokens no more); the next sign-in asks for a code, and offers to
    # remember again.
    page.get_by_role("row", name=re.compile(r"\(this browser\)")).get_by_role("button").click()
    expect_state(page, "SIGNED_OUT", SIGNED_OUT_STEPS)
    expect(page.locator("#notice")).to_contain_text("Device forgotten")
    page.fill("#sign-in-username", email)
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "SOFTWARE_TOKEN_MFA", "mfa_code, sign_out")

    # "Cancel" on the code screen: a sign-in that never finished is cancelled, not "signed
    # out".
    page.click("#cancel")
    expect(page.locator("#start-notice")).to_have_text("Sign-in cancelled.")
    expect(page.locator("#screen")).not_to_contain_text("signed out")
    page.fill("#sign-in-username", email)
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "SOFTWARE_TOKEN_MFA", "mfa_code, sign_out")
    assert focused(page) == "mfa-code"
    page.screenshot(path=shots / "06-mfa-code.png")
    page.fill("#mfa-code", fresh_totp(secret, used, serve_clock))
    submit(page, "mfa")
    expect_state(page, "AUTHENTICATED", SIGNED_IN_OFFERED)
    page.click("#remember-no")
    expect_state(page, "AUTHENTICATED", SIGNED_IN)
    expect(page.locator("#claims")).to_contain_text(email)
    # Not remembered, still this browser's device (the one this session signed in with).
    here = page.locator("#devices tr", has_text="(this browser)")
    expect(here).to_have_count(1)
    expect(here.locator("td").nth(1)).to_have_text("no")
    expect(page.locator("#remembered")).to_have_text("")

    assert watched.problems == [] and other_watched.problems == []
    context.close()


def test_demo_page_shows_rate_limit_countdown(
    browser: Browser, local_cognito: LocalCognitoInfo, tmp_path: Path
) -> None:
    app = create_app(
        local_settings(
            local_cognito,
            tmp_path,
            BFF_RATELIMIT_ENABLED="true",
            BFF_RATELIMIT_SIGN_IN="2 per minute",
        )
    )
    try:
        with serving(app) as url:
            page = browser.new_page()
            watched = Watched(page)
            page.goto(url + "/")
            expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
            page.fill("#sign-in-username", f"nobody-{uuid.uuid4().hex[:8]}@example.com")
            page.fill("#sign-in-password", "Wr0ng-password!")
            for _ in range(2):
                submit(page, "sign-in")
                expect(page.locator("#error")).to_contain_text("(not_authorized)")
            submit(page, "sign-in")
            expect(page.locator("#error")).to_contain_text("(too_many_requests)")
            expect(page.locator("#error .retry")).to_contain_text(re.compile(r"Try again in \d+ s"))
            expect(page.locator("#sign-in button[type=submit]")).to_be_disabled()
            assert watched.problems == []
            page.close()
    finally:
        app.extensions["bff"]["store"].close()


def test_demo_page_new_password_with_required_attributes(
    browser: Browser, local_cognito: LocalCognitoInfo, cognito_client: Any, tmp_path: Path
) -> None:
    """An admin-created user: the temporary password in the outbox panel, then the new
    password screen with the attribute Cognito requires (email: created without one)."""
    pool = local_cognito.user_pool_id
    emailed = f"carol-{uuid.uuid4().hex[:8]}@example.com"
    cognito_client.admin_create_user(
        UserPoolId=pool,
        Username=emailed,
        UserAttributes=[
            {"Name": "email", "Value": emailed},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    bare = f"bob-{uuid.uuid4().hex[:8]}@example.com"
    temporary = "Temp-0rary-pass!"
    cognito_client.admin_create_user(
        UserPoolId=pool, Username=bare, TemporaryPassword=temporary, MessageAction="SUPPRESS"
    )
    app = create_app(local_settings(local_cognito, tmp_path))
    try:
        with serving(app) as url:
            page = browser.new_page()
            watched = Watched(page)
            page.goto(url + "/")
            expect(page.locator(STATUS)).to_have_text("no sign-in in progress")

            # Cognito's generated temporary password, shown in the panel; "Use" fills it in.
            row = page.locator(
                f"#outbox-messages tr[data-kind=temporary_password][data-to='{emailed}']"
            )
            expect(row).to_have_count(1)
            generated = row.locator("td.value").inner_text()
            row.get_by_role("button").click()
            assert page.input_value("#sign-in-password") == generated
            assert focused(page) == "sign-in-password"

            page.fill("#sign-in-username", bare)
            page.fill("#sign-in-password", temporary)
            submit(page, "sign-in")
            expect_state(page, "NEW_PASSWORD_REQUIRED", "new_password, sign_out")
            assert focused(page) == "new-password-new_password"
            assert page.get_attribute("#new-password-new_password", "autocomplete") == (
                "new-password"
            )
            email_field = page.locator("#new-password-attributes-email")
            expect(email_field).to_be_visible()
            assert email_field.get_attribute("autocomplete") == "email"
            assert page.locator("label[for=new-password-attributes-email]").inner_text() == "email"

            # 422 on an empty password: the message sits next to the field.
            submit(page, "new-password")
            expect(page.locator("#new-password-new_password-error")).not_to_be_empty()
            assert page.get_attribute("#new-password-new_password", "aria-invalid") == "true"

            # Cognito refuses a weak one: every broken rule next to the field.
            page.fill("#new-password-new_password", "alllowercase")
            email_field.fill(bare)
            submit(page, "new-password")
            expect(page.locator("#error")).to_contain_text("(invalid_password)")
            expect(page.locator("#new-password-new_password-error li")).to_have_text(
                ["an upper-case letter", "a digit", re.compile(r"^a symbol")]
            )
            expect_state(page, "NEW_PASSWORD_REQUIRED", "new_password, sign_out")

            page.fill("#new-password-new_password", PASSWORD)
            submit(page, "new-password")
            expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
            expect(page.locator("#qr svg")).to_be_visible()
            assert watched.problems == []
            page.close()
    finally:
        app.extensions["bff"]["store"].close()


def test_demo_page_signed_out_when_cognito_refuses_the_tokens(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Signed in, then the tokens are revoked behind the BFF's back (an administrator's
    AdminUserGlobalSignOut; a restart on a new local Cognito pool does the same): a reload
    shows the start screen, not "Signed in" with a red "Access Token has been revoked"."""
    workdir = tmp_path_factory.mktemp("demo-revoked")
    context = browser.new_context()
    page = context.new_page()
    watched = Watched(page)
    email = f"gso-{uuid.uuid4().hex[:8]}@example.com"
    with bff_serve(workdir) as urls:
        base = urls["Demo page"].rstrip("/")
        Api(context, base).sign_up_with_mfa(email, UserCodes(LocalClock(urls["local Cognito"])))
        page.goto(base + "/")
        expect_state(page, "AUTHENTICATED", SIGNED_IN)
        expect(page.locator("#claims")).to_contain_text(email)

        admin, pool = local_admin(urls["local Cognito"], email)
        admin.admin_user_global_sign_out(UserPoolId=pool, Username=email)

        page.reload()
        expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
        expect(page.locator("#start-notice")).to_have_text(SESSION_ENDED)
        expect(page.locator("#error")).to_be_hidden()
        expect(page.locator("body")).not_to_contain_text("Access Token")
        # The server session is gone too: another reload stays signed out, with no error.
        page.reload()
        expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
        expect(page.locator("#error")).to_be_hidden()
    assert watched.problems == []
    context.close()
