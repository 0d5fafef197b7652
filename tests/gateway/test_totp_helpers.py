"""TOTP helpers: the otpauth:// URI survives awkward issuers, the QR codes encode it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

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


def test_qr_text_is_half_blocks_and_square():
    text = totp.qr_text(totp.otpauth_uri(SECRET, account="a@b.c", issuer="Issuer"))
    lines = text.rstrip("\n").split("\n")
    assert set("".join(lines)) <= {" ", "\u2580", "\u2584", "\u2588"}
    assert len({len(line) for line in lines}) == 1
    # Two matrix rows per line: a square code is about twice as wide as it is tall.
    assert abs(len(lines[0]) - 2 * len(lines)) <= 2
