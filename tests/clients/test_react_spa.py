"""The React example (examples/react-spa) in Debian's chromium (Playwright, headless),
against a real `bff serve`, served both ways docs/hosting.md describes for development and
for one origin: Vite's dev server proxying ``/api`` to the BFF, and the built files served
by the BFF itself (``BFF_SPA_DIR``). In each: sign-up, confirm with the emailed code, sign
in, MFA set-up from the QR code's key, remember the browser, the account panel's MFA
status, sign out, sign in again with no MFA, add and delete a note of the example notes
API through the token relay, forgot password, then the authenticator's code
in another browser; and an administrator's user replacing the temporary password.

`.ci/run` runs `npm ci` in clients/typescript and examples/react-spa first; the module
builds both (`npm run build`) once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bff.local_outbox import latest_message
from bff_tools.local_clock import LocalClock
from tests.demo.browser_support import CHROMIUM, CHROMIUM_FLAGS
from tests.support.faults import free_port
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.programs import require_program
from tests.support.serve import bff_serve, serve_environment
from tests.support.totp import fresh_totp

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
SPA = ROOT / "examples" / "react-spa"


def _npm_run(folder: Path, script: str) -> None:
    npm = require_program("npm", shutil.which("npm"), "install Node.js 18+ (Debian: nodejs npm)")
    if not (folder / "node_modules").is_dir():
        require_program(f"{folder.name}'s npm packages", None, f"run `npm ci --prefix {folder}`")
    result = subprocess.run(
        [npm, "run", script], cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.fixture(scope="module")
def built(client_build: None) -> Path:
    """The client, then the example, built as CI builds them; the example's dist/."""
    _npm_run(CLIENT, "build")
    _npm_run(SPA, "build")
    assert (SPA / "dist" / "index.html").is_file()
    return SPA / "dist"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_program(
        "chromium",
        CHROMIUM if Path(CHROMIUM).exists() else None,
        f"no browser at {CHROMIUM}; apt-get install chromium (.ci/run does)",
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@contextmanager
def _vite(bff_url: str, workdir: Path) -> Iterator[str]:
    """Vite's dev server on a free port, proxying /api to ``bff_url``; yields its URL once
    it says it is ready."""
    port = free_port()
    env = {**os.environ, "BFF_URL": bff_url, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    log = (workdir / "vite.log").open("w")
    process = subprocess.Popen(
        [str(SPA / "node_modules" / ".bin" / "vite"), "--host", "127.0.0.1", "--port", str(port)]
        + ["--strictPort"],
        cwd=SPA,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Local:" in line or "ready in" in line:
                break
        else:
            raise AssertionError("vite exited: " + (workdir / "vite.log").read_text())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


@dataclass(frozen=True)
class Site:
    """The page's URL, the BFF's, the local Cognito's endpoint, the instance folder."""

    page: str
    bff: str
    cognito: str
    instance: Path

    def create_user(self, email: str) -> None:
        """An administrator creates ``email`` (a temporary password is emailed)."""
        key = (self.instance / "local-admin-key").read_text().strip()
        answer = requests.post(
            self.bff + "/api/admin/users",
            json={"email": email},
            headers={"X-Admin-Key": key, "X-CSRF": "1"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module", params=["vite-dev-server", "bff-spa-dir"])
def site(
    request: pytest.FixtureRequest, built: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The SPA and the BFF, for each way of serving the SPA."""
    workdir = tmp_path_factory.mktemp(request.param)
    instance = workdir / "instance"
    if request.param == "bff-spa-dir":
        env = serve_environment(workdir, BFF_SPA_DIR=str(built))
        with bff_serve(workdir, env) as urls:
            bff = urls["BFF"].removesuffix("/api")
            yield Site(bff, bff, urls["local Cognito"], instance)
    else:
        with bff_serve(workdir) as urls:
            bff = urls["BFF"].removesuffix("/api")
            with _vite(bff, workdir) as page_url:
                yield Site(page_url, bff, urls["local Cognito"], instance)


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", name=text)).to_be_visible()


def test_sign_up_mfa_remembered_device_and_password_reset(
    site: Site, browser: Browser, request: pytest.FixtureRequest
) -> None:
    page_url, cognito = site.page, site.cognito
    email = f"spa-{request.node.callspec.id}-{os.getpid()}@example.com"
    clock = LocalClock(cognito)
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(page_url)
    _heading(page, "Sign in")
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    _heading(page, "Confirm your email")
    code = latest_message(cognito, email, "confirmation_code")["code"]
    page.get_by_label("Code").fill(str(code))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("Your account is confirmed. Sign in.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    _heading(page, "Set up your authenticator app")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    used: set[str] = set()
    page.get_by_label("Code").fill(fresh_totp(secret, used, clock))
    page.get_by_role("button", name="Verify").click()

    _heading(page, "Remember this browser?")
    page.get_by_role("button", name="Remember this browser").click()
    _heading(page, "Signed in")
    expect(page.get_by_role("status")).to_have_text("This browser is remembered.")
    expect(page.get_by_text(email)).to_be_visible()
    expect(page.get_by_text("(this browser)")).to_be_visible()
    page.get_by_role("button", name="Show MFA status").click()
    expect(page.get_by_test_id("mfa-status")).to_contain_text("Authenticator app: on")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    _heading(page, "Signed in")  # the remembered browser: no authenticator code

    # The notes of the team's own API, through the BFF's token relay.
    relayed: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: relayed.append(r.headers) if "/api/remote/notes/" in r.url else None,
    )
    expect(page.get_by_test_id("no-notes")).to_be_visible()
    page.get_by_label("New note").fill("Buy milk")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_test_id("notes")).to_contain_text("Buy milk")
    expect(page.get_by_label("New note")).to_have_value("")

    page.reload()  # the screen comes back from GET /api/flow, the notes from the API
    _heading(page, "Signed in")
    expect(page.get_by_test_id("notes")).to_contain_text("Buy milk")
    page.get_by_role("button", name="Delete note Buy milk").click()
    expect(page.get_by_test_id("no-notes")).to_be_visible()
    assert relayed, "the notes were read through the relay"
    assert all("authorization" not in headers for headers in relayed)
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    _heading(page, "Choose a new password")
    reset = latest_message(cognito, email, "password_reset_code")["code"]
    page.get_by_label("Code").fill(str(reset))
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed. Sign in with the new one.")).to_be_visible()

    # No token reached the page: its script sees no cookie (HttpOnly) and no JWT.
    assert page.evaluate("document.cookie") == ""
    assert "eyJ" not in page.content()
    assert problems == []
    context.close()

    # Another browser, not remembered: the authenticator's code is asked.
    other = browser.new_context()
    page = other.new_page()
    page.goto(page_url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    _heading(page, "Enter the code from your authenticator app")
    page.get_by_label("Code").fill(fresh_totp(secret, used, clock))
    page.get_by_role("button", name="Verify").click()
    _heading(page, "Remember this browser?")
    page.get_by_role("button", name="Not now").click()
    _heading(page, "Signed in")
    other.close()


def test_a_temporary_password_is_replaced_then_mfa_set_up(
    site: Site, browser: Browser, request: pytest.FixtureRequest
) -> None:
    email = f"spa-admin-{request.node.callspec.id}-{os.getpid()}@example.com"
    site.create_user(email)
    temporary = latest_message(site.cognito, email, "temporary_password")["temporary_password"]
    context = browser.new_context()
    page = context.new_page()

    page.goto(site.page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(str(temporary))
    page.get_by_role("button", name="Sign in", exact=True).click()

    _heading(page, "Choose your password")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    _heading(page, "Set up your authenticator app")
    page.reload()  # the key is shown once: the page says so after a reload
    expect(page.get_by_text("sign in again for a new key")).to_be_visible()
    context.close()
