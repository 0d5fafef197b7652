"""The demo page's recovery and account screens in a real browser (Debian's chromium,
headless, Playwright) against `bff serve` subprocesses with their local Cognito.

- forgot password: "Forgot your password?" on sign-in → reset code by email (the outbox
  panel's "Use") → a wrong code and a weak password refused next to their fields → the new
  password → sign in with it;
- an administrator's AdminResetUserPassword: sign-in leads to the same reset, saying why;
- an expired temporary password: "Send me a new temporary password" → the new one from the
  outbox → new password → MFA set-up;
- the account panel: MFA status, replace the authenticator app, change the password (another
  browser's session ends), sign out everywhere (the other browser too).

Screens are saved as PNGs in ``$BFF_DEMO_SCREENSHOTS`` (default: a pytest tmp folder).
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

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
    focused,
    local_admin,
    submit,
    wrong_code,
    wrong_totp,
)
from playwright.sync_api import Browser, Page, expect

from bff_tools.local_clock import LocalClock
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.serve import bff_serve, serve_environment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RESET_STEPS = "sign_in, sign_in_choice, forgot_password, reset_password, sign_out"
EIGHT_DAYS = 8 * 24 * 3600  # the pool's TemporaryPasswordValidityDays is 7


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`bff serve --port 0`: label → URL, "Demo page" without its slash. Rate limits off:
    the tests make more MFA and reset calls from one address within a minute than the
    limits allow (the 429 screen is tested in test_demo_browser.py)."""
    workdir = tmp_path_factory.mktemp("demo-recovery")
    with bff_serve(workdir, serve_environment(workdir, BFF_RATELIMIT_ENABLED="0")) as urls:
        urls["Demo page"] = urls["Demo page"].rstrip("/")
        yield urls


def use_from_outbox(page: Page, kind: str, email: str) -> str:
    """Click "Use" on the newest ``kind`` message to ``email``; returns its value."""
    row = page.locator(f"#outbox-messages tr[data-kind={kind}][data-to='{email}']").first
    expect(row).to_be_visible()
    value = row.locator("td.value").inner_text()
    row.get_by_role("button").click()
    return value


def test_forgot_password(browser: Browser, served: dict[str, str], shots: Path) -> None:
    base = served["Demo page"]
    email = f"forgot-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context(viewport={"width": 1100, "height": 860})
    Api(context, base).sign_up(email)
    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    expect_state(page, "CONFIRMED", CONFIRMED_STEPS)

    # "Forgot your password?" keeps the address typed on the sign-in form.
    page.click("#sign-in-forgot")
    expect(page.locator("#screen h2")).to_have_text("Reset your password")
    assert page.input_value("#forgot-username") == email
    submit(page, "forgot")
    expect_state(page, "RESET_CODE_SENT", RESET_STEPS)
    expect(page.locator("#reset-sent")).to_have_text(
        f"If {email} has an account, we emailed it a code. It is valid for one hour."
    )
    assert focused(page) == "reset-code"
    assert page.get_attribute("#reset-code", "autocomplete") == "one-time-code"
    assert page.get_attribute("#reset-new_password", "autocomplete") == "new-password"

    # The code is in the outbox panel, as a reset code.
    row = page.locator(f"#outbox-messages tr[data-kind=password_reset_code][data-to='{email}']")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("reset code")
    code = row.locator("td.value").inner_text()

    # A wrong code: plain words next to the field; the state stays.
    page.fill("#reset-code", wrong_code(code))
    page.fill("#reset-new_password", NEW_PASSWORD)
    submit(page, "reset")
    expect(page.locator("#reset-code-error")).to_have_text(
        "That code is not right. Check it and try again."
    )
    expect_state(page, "RESET_CODE_SENT", RESET_STEPS)

    # A weak password: every broken rule next to the field.
    row.get_by_role("button").click()
    assert page.input_value("#reset-code") == code
    expect(page.locator("#error")).to_be_hidden()
    page.fill("#reset-new_password", "weakpass")
    submit(page, "reset")
    expect(page.locator("#error")).to_contain_text("(invalid_password)")
    expect(page.locator("#reset-new_password-error li")).to_have_text(
        ["an upper-case letter", "a digit", re.compile(r"^a symbol")]
    )
    page.screenshot(path=shots / "07-reset-password.png")

    # The new password: back at sign-in, saying so.
    page.fill("#reset-new_password", NEW_PASSWORD)
    submit(page, "reset")
    expect_state(page, "CONFIRMED", CONFIRMED_STEPS)
    expect(page.locator("#screen h2")).to_have_text("Password changed")
    expect(page.locator("#reset-done")).to_contain_text("Your new password is set.")
    assert page.input_value("#sign-in-username") == email

    # The old password is refused, the new one signs in (MFA set-up next).
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect(page.locator("#error")).to_contain_text("Incorrect email or password. (not_authorized)")
    page.fill("#sign-in-password", NEW_PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")

    # An unknown address gets the same screen (no account enumeration).
    page.click("#cancel")
    page.click("#sign-in-forgot")
    page.fill("#forgot-username", f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    submit(page, "forgot")
    expect_state(page, "RESET_CODE_SENT", RESET_STEPS)
    # Not Cognito's masked destination: it simulates one for an unknown address.
    expect(page.locator("#reset-sent")).to_contain_text("has an account, we emailed it a code.")
    expect(page.locator("#screen")).not_to_contain_text("***")

    # "Back to sign in" from the forgot screen changes nothing.
    page.click("#cancel")
    expect(page.locator("#start-notice")).to_have_text("Password reset cancelled.")
    page.click("#sign-in-forgot")
    page.click("#forgot-back")
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
    expect(page.locator("#sign-in")).to_be_visible()
    assert watched.problems == []
    context.close()


def test_reset_required_by_an_administrator(browser: Browser, served: dict[str, str]) -> None:
    base = served["Demo page"]
    email = f"reset-{uuid.uuid4().hex[:8]}@example.com"
    context = browser.new_context()
    Api(context, base).sign_up(email)
    admin, pool = local_admin(served["local Cognito"], email)
    admin.admin_reset_user_password(UserPoolId=pool, Username=email)

    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    page.fill("#sign-in-password", PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "RESET_CODE_SENT", RESET_STEPS)
    expect(page.locator("#reset-reason")).to_have_text(
        "An administrator reset your password. Enter the code we emailed you and choose a "
        "new password."
    )
    code = use_from_outbox(page, "password_reset_code", email)
    # The code as "Use" put it, set again: the outbox panel re-renders after every screen,
    # and this test is about the administrator's reset, not that panel (test_forgot_password
    # is); the answer is awaited before the screen is read.
    page.fill("#reset-code", code)
    page.fill("#reset-new_password", NEW_PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/api/password/reset")) as answered:
        submit(page, "reset")
    assert answered.value.status == 200, answered.value.text()
    expect_state(page, "CONFIRMED", CONFIRMED_STEPS)
    page.fill("#sign-in-password", NEW_PASSWORD)
    submit(page, "sign-in")
    expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
    assert watched.problems == []
    context.close()


def test_expired_temporary_password(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, shots: Path
) -> None:
    """On a `bff serve` of its own: its local Cognito's clock moves eight days ahead."""
    workdir = tmp_path_factory.mktemp("demo-expired")
    email = f"expired-{uuid.uuid4().hex[:8]}@example.com"
    admin_key = secrets.token_urlsafe(24)
    with bff_serve(workdir, serve_environment(workdir, BFF_ADMIN_API_KEY=admin_key)) as urls:
        base = urls["Demo page"].rstrip("/")
        context = browser.new_context(viewport={"width": 1100, "height": 860})
        # An administrator creates the account: Cognito emails a temporary password.
        created = context.request.post(
            base + "/api/admin/users",
            data={"email": email},
            headers={"X-CSRF": "1", "X-Admin-Key": admin_key},
        )
        assert created.status == 201, created.text()
        clock = urllib.request.Request(
            urls["local Cognito"] + "/_local/clock",
            data=json.dumps({"advance_seconds": EIGHT_DAYS}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(clock, timeout=10).close()  # noqa: S310 - local endpoint

        page = context.new_page()
        watched = Watched(page)
        page.goto(base + "/")
        expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
        page.fill("#sign-in-username", email)
        # The panel knows it has expired: no "Use" on it. Typed by hand, as a user would.
        expired = page.locator(
            f"#outbox-messages tr[data-kind=temporary_password][data-to='{email}']"
        ).first
        expect(expired).to_have_attribute("data-status", "expired")
        expect(expired.get_by_role("button")).to_have_count(0)
        first = expired.locator("td.value").inner_text()
        page.fill("#sign-in-password", first)
        submit(page, "sign-in")
        expect(page.locator("#error")).to_contain_text(
            "Your temporary password has expired. (temporary_password_expired)"
        )
        expect(page.locator("#screen h2")).to_have_text("Your temporary password has expired")
        expect(page.locator(STATUS)).to_contain_text("state TEMPORARY_PASSWORD_EXPIRED")
        assert page.input_value("#temporary-username") == email
        page.screenshot(path=shots / "08-temporary-password-expired.png")

        page.click("#temporary button[type=submit]")
        expect(page.locator(STATUS)).to_contain_text("state TEMPORARY_PASSWORD_SENT")
        expect(page.locator("#temporary-sent")).to_contain_text("we emailed it a new temporary")
        rows = page.locator(f"#outbox-messages tr[data-kind=temporary_password][data-to='{email}']")
        expect(rows).to_have_count(2)
        second = use_from_outbox(page, "temporary_password", email)
        assert second != first
        assert page.input_value("#sign-in-username") == email
        submit(page, "sign-in")
        expect_state(page, "NEW_PASSWORD_REQUIRED", "new_password, sign_out")
        page.fill("#new-password-new_password", NEW_PASSWORD)
        submit(page, "new-password")
        expect_state(page, "MFA_SETUP", "sign_in, sign_in_choice, mfa_setup_verify, sign_out")
        assert watched.problems == []
        context.close()


def test_account_panel(browser: Browser, served: dict[str, str], shots: Path) -> None:
    base = served["Demo page"]
    email = f"account-{uuid.uuid4().hex[:8]}@example.com"
    clock = LocalClock(served["local Cognito"])
    codes = UserCodes(clock)
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    first_key = Api(context, base).sign_up_with_mfa(email, codes=codes)
    other = browser.new_context()
    Api(other, base).sign_in_with_mfa(email, PASSWORD, codes.code(first_key))
    other_page = other.new_page()
    other_page.goto(base + "/")
    expect_state(other_page, "AUTHENTICATED", SIGNED_IN)

    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    expect_state(page, "AUTHENTICATED", SIGNED_IN)
    expect(page.locator("#mfa-status")).to_have_text(
        "Two-factor authentication: on (authenticator app; preferred: authenticator app)."
    )

    # Replace the authenticator app: the current password first (a wrong one is told next
    # to its field), then a new key and QR code, its first code.
    page.click("#replace-authenticator-section summary")
    page.fill("#replace-authenticator-password", "Not-the-0ne!")
    submit(page, "replace-authenticator")
    expect(page.locator("#replace-authenticator-password-error")).not_to_be_empty()
    expect(page.locator("#error")).to_contain_text(
        "That is not your current password. (incorrect_password)"
    )
    page.fill("#replace-authenticator-password", PASSWORD)
    submit(page, "replace-authenticator")
    expect(page.locator("#replace-qr svg")).to_be_visible()
    new_key = page.inner_text("#replace-secret").replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", new_key) and new_key != first_key
    assert focused(page) == "verify-authenticator-code"
    page.screenshot(path=shots / "09-replace-authenticator.png")
    page.fill("#verify-authenticator-code", wrong_totp(new_key, clock))
    submit(page, "verify-authenticator")
    expect(page.locator("#verify-authenticator-code-error")).to_have_text(
        "That code is not right. Check it and try again."
    )
    page.fill("#verify-authenticator-code", codes.code(new_key))
    submit(page, "verify-authenticator")
    expect(page.locator("#notice")).to_have_text(
        "Your new authenticator app is set. Codes from the old one no longer work."
    )
    expect_state(page, "AUTHENTICATED", SIGNED_IN)

    # Change the password: the wrong current one and a weak new one, next to their fields.
    page.click("#change-password-section summary")
    page.fill("#change-password-previous_password", "Not-the-0ne!")
    page.fill("#change-password-new_password", NEW_PASSWORD)
    submit(page, "change-password")
    expect(page.locator("#error")).to_contain_text(
        "That is not your current password. (incorrect_password)"
    )
    expect(page.locator("#change-password-previous_password-error")).not_to_be_empty()
    page.fill("#change-password-previous_password", PASSWORD)
    page.fill("#change-password-new_password", "weakpass")
    submit(page, "change-password")
    expect(page.locator("#change-password-new_password-error li")).to_have_count(3)
    page.screenshot(path=shots / "10-account.png", full_page=True)
    page.fill("#change-password-new_password", NEW_PASSWORD)
    submit(page, "change-password")
    expect(page.locator("#notice")).to_have_text(
        "Your password is changed. 1 other browser was signed out."
    )
    expect_state(page, "AUTHENTICATED", SIGNED_IN)
    expect(page.locator("#claims")).to_contain_text(email)

    # The other browser's session ended: its next request finds it signed out.
    other_page.click("#refresh")
    expect(other_page.locator("#start-notice")).to_have_text(SESSION_ENDED)
    expect(other_page.locator(STATUS)).to_have_text("no sign-in in progress")

    # It signs in again with the new password and the new app; then sign out everywhere.
    Api(other, base).sign_in_with_mfa(email, NEW_PASSWORD, codes.code(new_key))
    other_page.reload()
    expect_state(other_page, "AUTHENTICATED", SIGNED_IN)
    page.click("#sign-out-everywhere")
    page.click("#sign-out-everywhere-confirm")
    expect(page.locator("#start-notice")).to_have_text(
        "You are signed out on every browser. 1 other browser was signed out."
    )
    expect(page.locator(STATUS)).to_contain_text("state SIGNED_OUT")
    other_page.reload()
    expect(other_page.locator(STATUS)).to_have_text("no sign-in in progress")
    expect(other_page.locator("#start-notice")).to_have_text(SESSION_ENDED)  # says why
    assert watched.problems == []
    other.close()
    context.close()
