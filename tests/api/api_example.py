"""Print the whole sign-in journey as HTTP requests and responses, for docs/api.md.

Not a test (no ``test_`` prefix): ``python -m tests.api.api_example > /tmp/example.md`` from
the repository root.
It runs the real app against a fresh local Cognito; cookies, codes, passwords, TOTP secrets
and the QR code are elided in the printout.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from bff.app import create_app
from bff.local_outbox import read_outbox
from local_cognito import LocalCognito
from tests.api.api_helpers import settings_for
from tests.support.passwords import NEW_PASSWORD, PASSWORD
from tests.support.totp import fresh_totp

EMAIL = "ada@example.com"


def elide(text: str) -> str:
    text = re.sub(r"(bff_(?:session|device)=)[A-Za-z0-9_-]+", r"\1<elided>", text)
    text = re.sub(r"(secret=)[A-Z2-7]+", r"\1<elided>", text)
    text = re.sub(r'("secret": ")[A-Z2-7]+', r"\1<elided>", text)
    text = re.sub(r'("qr_svg": ")<svg.*?</svg>', r"\1<svg …inline QR code…</svg>", text)
    return text


def show(client: Any, method: str, path: str, body: Any = None, secret: bool = False) -> Any:
    headers = {"X-CSRF": "1"} if method != "GET" else {}
    response = client.open(path, method=method, json=body, headers=headers)
    print("```http")
    print(f"{method} {path}")
    if method != "GET":
        print("Content-Type: application/json\nX-CSRF: 1")
    if body is not None:
        shown = {
            k: ("<elided>" if k in ("password", "code", "new_password") else v)
            for k, v in body.items()
        }
        print("\n" + json.dumps(shown))
    print("```\n```http")
    print(f"HTTP/1.1 {response.status}")
    for cookie in response.headers.getlist("Set-Cookie"):
        print("Set-Cookie: " + elide(cookie))
    print("\n" + elide(json.dumps(response.get_json(), indent=2)))
    print("```\n")
    return response.get_json()


def main() -> None:
    server = LocalCognito()
    info = server.start()
    try:
        app = create_app(settings_for(info, Path(tempfile.mkdtemp())))
        client = app.test_client()
        used: set[str] = set()
        print("1. Sign up; Cognito emails a code.\n")
        show(client, "POST", "/api/sign-up", {"email": EMAIL, "password": PASSWORD})
        code = read_outbox(info.endpoint_url, to=EMAIL)[-1]["code"]
        print("2. Confirm with the emailed code.\n")
        show(client, "POST", "/api/sign-up/confirm", {"code": code})
        print("3. Sign in: MFA is required and not set up yet, so the answer is the QR code.\n")
        flow = show(client, "POST", "/api/sign-in", {"username": EMAIL, "password": PASSWORD})
        secret = flow["flow"]["data"]["secret"]
        print("4. The first code from the authenticator app: signed in.\n")
        show(
            client,
            "POST",
            "/api/sign-in/mfa-setup",
            {"code": fresh_totp(secret, used, server.clock)},
        )
        print("5. Remember this browser.\n")
        show(client, "POST", "/api/sign-in/remember-device", {"remember": True})
        print("6. Who am I (claims of the ID token; the tokens stay on the server).\n")
        show(client, "GET", "/api/me")
        print("7. Sign out.\n")
        show(client, "POST", "/api/sign-out", {})
        print("8. Sign in again in the same browser: the remembered device answers Cognito's")
        print("   device challenge, no MFA code is asked.\n")
        show(client, "POST", "/api/sign-in", {"username": EMAIL, "password": PASSWORD})
        print("9. A step that is not allowed now.\n")
        show(client, "POST", "/api/sign-in/mfa", {"code": "123456"})
        print("10. Signed in: the MFA settings.\n")
        show(client, "GET", "/api/account/mfa")
        print("11. Another browser: the user forgot the password. The answer is the same for")
        print("    an unknown user (nothing is sent then).\n")
        other = app.test_client()
        show(other, "POST", "/api/password/forgot", {"username": EMAIL})
        reset = read_outbox(info.endpoint_url, to=EMAIL, kind="password_reset_code")[-1]["code"]
        print("12. The emailed reset code and a new password. Every other session of the user")
        print("    ends: the first browser is signed out.\n")
        show(other, "POST", "/api/password/reset", {"code": reset, "new_password": NEW_PASSWORD})
        print("13. The first browser, signed out by the reset.\n")
        show(client, "GET", "/api/me")
        app.extensions["bff"]["store"].close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
