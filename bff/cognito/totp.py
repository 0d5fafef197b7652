"""TOTP helpers for MFA setup: the otpauth:// URI, its QR code, and the current code.

AssociateSoftwareToken gives a base32 secret; authenticator apps want it as an
``otpauth://totp/{issuer}:{account}?secret=...&issuer=...`` URI (Google Authenticator's
Key Uri Format), usually scanned from a QR code. Every part is percent-encoded, so an
issuer with spaces or a colon (amplify-ui #988, #1837) still yields a URI the apps parse.
"""

from __future__ import annotations

import base64
import binascii
import io
from datetime import UTC, datetime
from urllib.parse import quote

import pyotp
import segno

# Cognito's software tokens are RFC 6238 defaults: SHA-1, 6 digits, 30-second steps.
DIGITS = 6
PERIOD = 30


def _checked_secret(secret: str) -> str:
    normalised = secret.replace(" ", "").upper()
    if not normalised:
        raise ValueError("the TOTP secret is empty")
    try:
        base64.b32decode(normalised + "=" * (-len(normalised) % 8))
    except binascii.Error:
        raise ValueError("the TOTP secret is not base32") from None
    return normalised


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI for an authenticator app (label ``issuer:account``, all encoded)."""
    if not account or not issuer:
        raise ValueError("a TOTP URI needs both an account and an issuer")
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    query = f"secret={_checked_secret(secret)}&issuer={quote(issuer, safe='')}"
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, for the SPA's setup screen."""
    return segno.make(uri, error="m").svg_inline(scale=4)


def qr_text(uri: str) -> str:
    """The URI as a QR code in Unicode half blocks, for a terminal."""
    buffer = io.StringIO()
    segno.make(uri, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue()


def current_code(secret: str, at: datetime | None = None) -> str:
    """The 6-digit code an authenticator app shows for ``secret`` at ``at`` (default: now)."""
    moment = at or datetime.now(UTC)
    return pyotp.TOTP(_checked_secret(secret), digits=DIGITS, interval=PERIOD).at(moment)
