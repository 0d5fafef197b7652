"""TOTP helpers: the otpauth:// URI survives awkward issuers, the QR codes encode it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
import zxingcpp

from bff.cognito import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_uri_shape_and_round_trip_through_pyotp():
    uri = totp.otpauth_uri(SECRET, account="ada@example.com", issuer="Cognito BFF")
    assert uri == (
        f"otpauth://totp/Cognito%20BFF:ada@example.com?secret={SECRET}&issuer=Cognito%20BFF"
    )
    parsed = pyotp.parse_uri(uri)
    assert parsed.issuer == "Cognito BFF"
    assert parsed.name == "ada@example.com"
    assert parsed.secret == SECRET


@pytest.mark.parametrize("issuer", ["My App", "Acme: Staging", "a&b=c?d#e", "Ünïcødé Co"])
def test_issuer_with_spaces_and_reserved_characters_stays_one_label(issuer):
    uri = totp.otpauth_uri(SECRET, account="x y@example.com", issuer=issuer)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert " " not in uri
    label_issuer, _, account = parts.path.lstrip("/").partition(":")
    assert unquote(label_issuer) == issuer
    assert unquote(account) == "x y@example.com"
    query = parse_qs(parts.query)
    assert query == {"secret": [SECRET], "issuer": [issuer]}


def test_secret_is_normalised_and_validated():
    uri = totp.otpauth_uri("jbsw y3dp ehpk 3pxp", account="a", issuer="b")
    assert "secret=JBSWY3DPEHPK3PXP&" in uri
    with pytest.raises(ValueError, match="base32"):
        totp.otpauth_uri("not base32!", account="a", issuer="b")
    with pytest.raises(ValueError, match="empty"):
        totp.current_code("")
    with pytest.raises(ValueError, match="account and an issuer"):
        totp.otpauth_uri(SECRET, account="", issuer="b")


def test_current_code_matches_rfc6238_at_a_fixed_time():
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert totp.current_code(SECRET, at) == pyotp.TOTP(SECRET).at(at)
    assert len(totp.current_code(SECRET)) == 6
    assert totp.current_code(SECRET).isdigit()


def test_qr_svg_is_an_inline_svg():
    svg = totp.qr_svg(totp.otpauth_uri(SECRET, account="a@b.c", issuer="Issuer"))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg  # inline: embeddable in the SPA's HTML


def _decode(rows: list[list[bool]], scale: int = 4) -> str | None:
    """Read a QR code back from its modules (True = dark) with zxing-cpp's reader (not the
    Zint writer that drew it), as a camera would see the picture: grey levels, scaled."""
    width, height = len(rows[0]) * scale, len(rows) * scale
    pixels = bytearray(b"\xff" * width * height)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for line in range(y * scale, (y + 1) * scale):
                    start = line * width + x * scale
                    pixels[start : start + scale] = b"\x00" * scale
    image = memoryview(bytes(pixels)).cast("B", (height, width))
    found = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text if found is not None else None


def _modules_of_svg(svg: str) -> list[list[bool]]:
    """The modules an SVG of qr_svg's shape draws: its viewBox, and one run per segment."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    rows = [[False] * side for _ in range(side)]
    segments = re.fullmatch(r'.*<path stroke="#000" d="([^"]*)"/></svg>', svg).group(1)  # type: ignore[union-attr]
    for x, y, length in re.findall(r"M(\d+) (\d+)\.5h(\d+)", segments):
        for column in range(int(x), int(x) + int(length)):
            rows[int(y)][column] = True
    assert re.sub(r"M\d+ \d+\.5h\d+", "", segments) == ""
    return rows


@pytest.mark.parametrize(
    ("account", "issuer"),
    [("a@b.c", "Issuer"), ("qa-1a2b3c4d@example.com", "Cognito BFF: Staging & Test")],
)
def test_qr_svg_decodes_to_the_uri(account: str, issuer: str) -> None:
    uri = totp.otpauth_uri(SECRET * 2, account=account, issuer=issuer)
    rows = _modules_of_svg(totp.qr_svg(uri))

    assert _decode(rows) == uri
    quiet = totp.QR_QUIET_ZONE
    assert not any(rows[0]) and not any(any(row[:quiet]) for row in rows)
    assert [row[quiet:-quiet] for row in rows[quiet:-quiet]] == [
        [module == 0 for module in row] for row in totp.qr_matrix(uri)
    ]


def test_qr_text_decodes_to_the_uri() -> None:
    uri = totp.otpauth_uri(SECRET, account="a@b.c", issuer="Issuer")
    halves = {"\u2588": (False, False), "\u2580": (False, True), "\u2584": (True, False)}
    rows: list[list[bool]] = []
    for line in totp.qr_text(uri).rstrip("\n").split("\n"):
        pairs = [halves.get(char, (True, True)) for char in line]  # a drawn half is light
        rows += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    assert _decode(rows) == uri


def test_qr_text_is_half_blocks_and_square():
    text = totp.qr_text(totp.otpauth_uri(SECRET, account="a@b.c", issuer="Issuer"))
    lines = text.rstrip("\n").split("\n")
    assert set("".join(lines)) <= {" ", "\u2580", "\u2584", "\u2588"}
    assert len({len(line) for line in lines}) == 1
    # Two matrix rows per line: a square code is about twice as wide as it is tall.
    assert abs(len(lines[0]) - 2 * len(lines)) <= 2
