"""The demo page's notes panel in chromium, against a real `bff serve`: the example notes
API in its own process behind the BFF's token relay (/api/remote/notes/), verifying the
access token against the local Cognito's JWKS.

Signed out, the panel is hidden; signed in, the user adds two notes and deletes one; a
second user sees none of them; signed out again, the panel hides. Chromium missing skips
this outside CI and fails it in CI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Api, UserCodes, Watched
from playwright.sync_api import Browser, expect

from bff_tools.local_clock import LocalClock
from tests.support.serve import bff_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("notes-serve")
    with bff_serve(workdir) as printed:
        assert "notes API" in printed, (workdir / "serve.log").read_text()
        yield printed


def _email() -> str:
    return f"notes-{uuid.uuid4().hex[:8]}@example.com"


def test_the_notes_panel_reads_and_writes_through_the_relay(
    browser: Browser, urls: dict[str, str], shots: Path
) -> None:
    base = urls["Demo page"].rstrip("/")
    context = browser.new_context(viewport={"width": 1200, "height": 860})
    page = context.new_page()
    watched = Watched(page)
    page.goto(base + "/")
    expect(page.locator("#flow-status")).to_contain_text("no sign-in in progress")
    expect(page.locator("#notes")).to_be_hidden()

    clock = LocalClock(urls["local Cognito"])
    Api(context, base).sign_up_with_mfa(_email(), UserCodes(clock))
    page.reload()
    panel = page.locator("#notes")
    expect(panel).to_be_visible()
    expect(page.locator("#notes-list")).to_have_text("No notes yet.")

    for words in ("Buy <b>milk</b>", "Call Ada"):
        page.fill("#notes-text", words)
        page.click("#notes-form button[type=submit]")
        expect(page.locator("#notes-list .note-text", has_text=words)).to_be_visible()
    texts = page.locator("#notes-list .note-text")
    expect(texts).to_have_text(["Buy <b>milk</b>", "Call Ada"])  # text, never markup
    assert page.locator("#notes-list b").count() == 0
    page.screenshot(path=str(shots / "notes-panel.png"))

    page.click("#notes-list button[aria-label='Delete note: Call Ada']")
    expect(texts).to_have_text(["Buy <b>milk</b>"])

    # Another user, another browser: none of the first user's notes.
    other = browser.new_context()
    other_page = other.new_page()
    Api(other, base).sign_up_with_mfa(_email(), UserCodes(clock))
    other_page.goto(base + "/")
    expect(other_page.locator("#notes-list")).to_have_text("No notes yet.")
    other.close()

    # Signing out hides the panel (the relay answers 401 not_signed_in).
    page.reload()
    page.locator("button", has_text="Sign out").first.click()
    expect(panel).to_be_hidden()
    assert watched.problems == []
    context.close()
