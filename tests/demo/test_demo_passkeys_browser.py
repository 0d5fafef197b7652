"""A real WebAuthn ceremony in chromium: the demo page adds a passkey with
``navigator.credentials.create`` on Chrome's virtual authenticator (DevTools protocol
``WebAuthn.addVirtualAuthenticator``: CTAP2, internal transport, resident keys, user
verification), and the local Cognito verifies it. Against a real `bff serve` subprocess.

The page is opened on ``localhost``: the local pool's relying party, and the host chromium
accepts for passkeys over http (an IP address is never a valid relying party id)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import Api, UserCodes, Watched, expect_state, submit
from demo_support import local_settings, serving
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from bff.app import create_app
from bff_tools.local_clock import LocalClock
from local_cognito import LocalCognito
from tests.support.passwords import PASSWORD
from tests.support.serve import bff_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("passkeys-serve")
    with bff_serve(workdir) as urls:
        yield urls


@pytest.fixture(scope="module")
def base(served: dict[str, str]) -> str:
    """The demo page's address on localhost (bff serve prints 127.0.0.1)."""
    return served["Demo page"].rstrip("/").replace("127.0.0.1", "localhost")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1100, "height": 900})
    yield opened
    opened.close()


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    """Chrome's virtual authenticator on ``page``: passkeys are created and used for real."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, str(added["authenticatorId"])


def signed_in(context: BrowserContext, base: str, served: dict[str, str]) -> Page:
    email = f"passkey-{uuid.uuid4().hex[:8]}@example.com"
    Api(context, base).sign_up_with_mfa(email, UserCodes(LocalClock(served["local Cognito"])))
    page = context.new_page()
    return page


def credentials(cdp: CDPSession, authenticator: str) -> list[dict[str, Any]]:
    found = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    return list(found["credentials"])


def test_the_demo_page_adds_and_deletes_a_passkey(
    context: BrowserContext, base: str, served: dict[str, str], shots: Path
) -> None:
    page = signed_in(context, base, served)
    watched = Watched(page)
    cdp, authenticator = virtual_authenticator(context, page)
    page.goto(base + "/")
    page.click("#passkeys-section summary")
    expect(page.locator("#passkeys")).to_have_text("No passkeys yet.")

    page.click("#add-passkey")
    expect(page.locator("#notice")).to_have_text(
        "Passkey added. You can sign in with it instead of your password."
    )
    items = page.locator("#passkeys li[data-credential-id]")
    expect(items).to_have_count(1)
    (held,) = credentials(cdp, authenticator)
    assert held["isResidentCredential"] is True
    assert held["rpId"] == "localhost"
    credential_id = items.first.get_attribute("data-credential-id")
    assert credential_id is not None
    # The authenticator holds the key Cognito verified: the same credential id.
    assert credential_id.rstrip("=") == held["credentialId"].replace("+", "-").replace(
        "/", "_"
    ).rstrip("=")
    page.screenshot(path=shots / "passkey-added.png")

    # The same authenticator again: Cognito's options exclude it, the browser refuses.
    page.click("#add-passkey")
    expect(page.locator("#error")).to_contain_text(
        "This authenticator already holds a passkey for your account."
    )
    expect(items).to_have_count(1)

    page.click(f"#passkeys li[data-credential-id='{credential_id}'] button")
    expect(page.locator("#notice")).to_have_text("Passkey deleted: it can no longer sign in.")
    expect(page.locator("#passkeys")).to_have_text("No passkeys yet.")
    assert watched.problems == []


@pytest.fixture
def passwordless_site(local_cognito_server: LocalCognito, tmp_path: Path) -> Iterator[str]:
    """The demo page on a pool of the template with MFA optional (Cognito offers a passkey
    as a first factor only where MFA is not required), on localhost."""
    info = local_cognito_server.provision(MfaConfiguration="OPTIONAL")
    app = create_app(local_settings(info, tmp_path))
    try:
        with serving(app) as url:
            yield url.replace("127.0.0.1", "localhost")
    finally:
        app.extensions["bff"]["store"].close()


def test_the_demo_page_signs_in_with_a_passkey(
    context: BrowserContext, passwordless_site: str, shots: Path
) -> None:
    base = passwordless_site
    email = f"passkey-{uuid.uuid4().hex[:8]}@example.com"
    api = Api(context, base)
    api.sign_up(email)
    assert (
        api.post("/api/sign-in", {"username": email, "password": PASSWORD})["flow"]["state"]
        == "AUTHENTICATED"
    )
    api.post("/api/sign-in/remember-device", {"remember": False})
    page = context.new_page()
    watched = Watched(page)
    cdp, authenticator = virtual_authenticator(context, page)
    page.goto(base + "/")
    page.click("#passkeys-section summary")
    page.click("#add-passkey")
    expect(page.locator("#passkeys li[data-credential-id]")).to_have_count(1)
    page.click("#sign-out")
    expect_state(page, "SIGNED_OUT")

    # The passkey alone signs in: navigator.credentials.get on the virtual authenticator,
    # the assertion relayed to the local Cognito, which checks it with the stored key.
    page.fill("#passkey-sign-in-username", email)
    submit(page, "passkey-sign-in")
    expect_state(page, "AUTHENTICATED")
    page.click("#remember-no")  # the pool tracks devices: Cognito offered this one
    expect(page.locator("#claims")).to_contain_text(email)
    (held,) = credentials(cdp, authenticator)
    assert held["signCount"] >= 2  # one registration, one sign-in
    page.screenshot(path=shots / "passkey-signed-in.png")

    assert watched.problems == []
