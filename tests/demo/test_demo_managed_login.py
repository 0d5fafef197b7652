"""Managed login in a real browser (Debian's chromium, headless, driven by Playwright)
against a real `bff serve` subprocess and its local Cognito: the demo page's "Use the
hosted sign-in page" follows every redirect (BFF → the local Cognito's sign-in and MFA
pages → BFF) and lands signed in on the same account panel; "Sign out of the hosted pages
too" goes through Cognito's /logout and back.

Every request and response the browser saw is recorded (URLs with their fragments, the
bodies of every page, script and API answer, every header), then storage and the cookies
a script can read: no token anywhere (RFC 10017: the browser never holds one).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_support import STATUS, Api, UserCodes, Watched
from playwright.sync_api import Browser, Page, Response, expect

from bff_tools.local_clock import LocalClock
from local_cognito.local_idp import load_users
from tests.support.passwords import PASSWORD
from tests.support.serve import bff_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A JWT (Cognito's access and ID tokens) or a refresh token (Cognito's are JWE: five
#: base64url parts).
TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("managed-login-serve")
    with bff_serve(workdir) as urls:
        assert "Demo page" in urls, (workdir / "serve.log").read_text()
        yield urls


@dataclass
class Seen:
    """Everything the page's browser context exchanged."""

    urls: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def record(self, response: Response) -> None:
        self.urls.append(response.url)
        self.texts.append(str(response.all_headers()))
        if 300 <= response.status < 400:
            return  # a redirect has no body to read
        try:
            self.texts.append(response.text())
        except Exception:  # noqa: BLE001 - a body the browser already dropped (favicon...)
            self.texts.append("")

    def tokens(self) -> list[str]:
        return [m.group(0) for text in self.urls + self.texts for m in TOKEN.finditer(text)]


def _sign_in_on_the_hosted_page(page: Page, cognito: str, email: str, code: str) -> None:
    expect(page).to_have_url(re.compile("^" + re.escape(cognito) + "/oauth2/authorize"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.fill("input[name=code]", code)
    page.click("form[action='/login/mfa'] button[type=submit]")


def test_the_hosted_page_signs_the_demo_in_and_no_token_reaches_the_browser(
    browser: Browser, served: dict[str, str], shots: Path
) -> None:
    bff = served["Demo page"].rstrip("/")
    cognito = served["local Cognito"].rstrip("/")
    email = f"hosted-{uuid.uuid4().hex[:8]}@example.com"
    codes = UserCodes(LocalClock(cognito))
    setup = browser.new_context()
    secret = Api(setup, bff).sign_up_with_mfa(email, codes)  # an account with TOTP MFA
    setup.close()

    context = browser.new_context()
    page = context.new_page()
    watched = Watched(page)
    seen = Seen()
    page.on("response", seen.record)
    page.on("framenavigated", lambda frame: seen.urls.append(frame.url))
    page.goto(bff + "/")
    expect(page.locator("#oauth-hosted")).to_be_visible()
    page.screenshot(path=str(shots / "managed-login-start.png"))
    page.click("#oauth-hosted")
    _sign_in_on_the_hosted_page(page, cognito, email, codes.code(secret))

    expect(page).to_have_url(bff + "/")
    expect(page.locator(STATUS)).to_contain_text("state AUTHENTICATED")
    expect(page.locator("#claims")).to_contain_text(email)
    expect(page.locator("#sign-out-hosted")).to_be_visible()
    page.screenshot(path=str(shots / "managed-login-signed-in.png"))
    visited = [url for url in seen.urls if url.startswith(cognito)]
    assert any("/oauth2/authorize" in url for url in visited), seen.urls
    assert any(url.startswith(bff + "/api/oauth/callback?code=") for url in seen.urls)

    storage: dict[str, Any] = page.evaluate(
        "() => ({local: {...localStorage}, session: {...sessionStorage}, "
        "cookies: document.cookie, scripts: [...document.scripts].map(s => s.text)})"
    )
    assert any(email in text for text in seen.texts), "the API answers were read"
    assert seen.tokens() == [], "a token reached the browser"
    assert not TOKEN.search(str(storage)), storage
    assert storage["cookies"] == "", "every cookie is HttpOnly"
    names = {c["name"]: c for c in context.cookies(bff)}
    assert names["bff_session"]["httpOnly"] and "bff_oauth" not in names

    page.click("#sign-out-hosted")  # POST /api/oauth/sign-out, then Cognito's /logout
    expect(page).to_have_url(bff + "/")
    expect(page.locator("#oauth-hosted")).to_be_visible()
    expect(page.locator(STATUS)).to_have_text("no sign-in in progress")
    # The hosted pages forgot the user too: the next sign-in asks for the password again.
    page.click("#oauth-hosted")
    expect(page.locator("input[name=password]")).to_be_visible()
    assert seen.tokens() == [], "a token reached the browser"
    assert watched.problems == []
    context.close()


def test_continue_with_local_idp_follows_every_redirect_and_signs_the_demo_in(
    browser: Browser, served: dict[str, str], shots: Path
) -> None:
    """BFF → local Cognito → LocalIdP (its own server) → local Cognito → BFF, in chromium:
    signed in as the federated user, and no token in anything the browser saw."""
    bff = served["Demo page"].rstrip("/")
    cognito = served["local Cognito"].rstrip("/")
    provider = served["local IdP"].rstrip("/")
    alice = load_users()[0]
    context = browser.new_context()
    page = context.new_page()
    watched = Watched(page)
    seen = Seen()
    page.on("response", seen.record)
    page.on("framenavigated", lambda frame: seen.urls.append(frame.url))
    page.goto(bff + "/")
    page.click("#oauth-local-idp")
    expect(page).to_have_url(re.compile("^" + re.escape(provider)))
    page.screenshot(path=str(shots / "managed-login-local-idp.png"))
    page.click(f"form:has(input[name=user][value='{alice.sub}']) button")

    expect(page).to_have_url(bff + "/")
    expect(page.locator(STATUS)).to_contain_text("state AUTHENTICATED")
    expect(page.locator("#claims")).to_contain_text(alice.email)
    expect(page.locator("main")).to_contain_text(f"LocalIdP_{alice.sub}")
    # Every hop, in this order: the BFF, the local Cognito, the provider, the local
    # Cognito's /oauth2/idpresponse, the BFF's callback, the app.
    hops = [
        bff + "/api/oauth/sign-in",
        cognito + "/oauth2/authorize",
        provider,
        cognito + "/oauth2/idpresponse",
        bff + "/api/oauth/callback",
        bff + "/",
    ]
    at = 0
    for hop in hops:  # each hop found after the one before
        at = next((i for i in range(at, len(seen.urls)) if seen.urls[i].startswith(hop)), -1)
        assert at >= 0, (hop, seen.urls)
    storage: dict[str, Any] = page.evaluate(
        "() => ({local: {...localStorage}, session: {...sessionStorage}, "
        "cookies: document.cookie, scripts: [...document.scripts].map(s => s.text)})"
    )
    assert any(alice.email in text for text in seen.texts), "the API answers were read"
    assert seen.tokens() == [], "a token reached the browser"
    assert not TOKEN.search(str(storage)) and storage["cookies"] == ""
    assert watched.problems == []
    context.close()
