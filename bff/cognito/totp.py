"""TOTP helpers for MFA setup: the otpauth:// URI, its QR code, and the current code.

AssociateSoftwareToken gives a base32 secret; authenticator apps want it as an
``otpauth://totp/{issuer}:{account}?secret=...&issuer=...`` URI (Google Authenticator's
Key Uri Format), usually scanned from a QR code. Every part is percent-encoded, so an
issuer with spaces or a colon (amplify-ui #988, #1837) still yields a URI the apps parse.

The QR code: zxing-cpp encodes it (its writer is Zint, in C: about 0.6 ms for the
version-8 code of a typical URI, where segno, in pure Python, took about 40 ms, most of it
choosing the mask) at error correction level M; this module draws the module matrix as an
SVG path (one horizontal run a segment) or as Unicode half blocks. The tests decode the SVG
back with zxing-cpp's reader.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

import pyotp
import zxingcpp

if TYPE_CHECKING:
    from typing_extensions import Buffer

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


#: Error correction level M (15 % of the code can be damaged), the usual for otpauth URIs.
QR_ERROR_CORRECTION = "M"
#: Light modules around the code, as the QR standard asks (ISO/IEC 18004: 4 modules).
QR_QUIET_ZONE = 4
#: Pixels per module in the SVG's intrinsic size.
QR_SCALE = 4
_DARK_RUN = re.compile(rb"\x00+")


def qr_matrix(uri: str) -> list[bytes]:
    """The QR code's modules, one ``bytes`` a row: 0 for a dark module, 255 for a light one
    (no quiet zone)."""
    barcode = zxingcpp.create_barcode(
        uri, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR_CORRECTION
    )
    image = barcode.to_image(add_quiet_zones=False)
    height, width = image.shape
    # zxingcpp's Image has the buffer protocol; its type stub does not say so.
    raw = memoryview(cast("Buffer", image)).tobytes()
    return [raw[row * width : (row + 1) * width] for row in range(height)]


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, for the SPA's setup screen: one ``<path>`` whose
    segments are the dark runs of each row (1 unit = 1 module), drawn at ``QR_SCALE``."""
    rows = qr_matrix(uri)
    side = len(rows) + 2 * QR_QUIET_ZONE
    segments = []
    for y, row in enumerate(rows):
        for run in _DARK_RUN.finditer(row):
            x = run.start() + QR_QUIET_ZONE
            segments.append(f"M{x} {y + QR_QUIET_ZONE}.5h{run.end() - run.start()}")
    pixels = side * QR_SCALE
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
        f'viewBox="0 0 {side} {side}" class="qrcode" shape-rendering="crispEdges">'
        f'<path stroke="#000" d="{"".join(segments)}"/></svg>'
    )


_HALF_BLOCKS = {  # (top light, bottom light): light modules are drawn, for dark terminals
    (True, True): "\u2588",
    (True, False): "\u2580",
    (False, True): "\u2584",
    (False, False): " ",
}


def qr_text(uri: str) -> str:
    """The URI as a QR code in Unicode half blocks (two rows a line), for a terminal."""
    matrix = qr_matrix(uri)
    width = len(matrix[0]) + 2 * QR_QUIET_ZONE
    light = [[True] * width for _ in range(QR_QUIET_ZONE)]
    margin = [True] * QR_QUIET_ZONE
    rows = light + [margin + [m != 0 for m in row] + margin for row in matrix] + light
    if len(rows) % 2:
        rows.append([True] * width)
    lines = (
        "".join(_HALF_BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(rows[0::2], rows[1::2], strict=True)
    )
    return "\n".join(lines) + "\n"


def current_code(secret: str, at: datetime | None = None) -> str:
    """The 6-digit code an authenticator app shows for ``secret`` at ``at`` (default: now)."""
    moment = at or datetime.now(UTC)
    return pyotp.TOTP(_checked_secret(secret), digits=DIGITS, interval=PERIOD).at(moment)
