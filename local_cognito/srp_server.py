"""The server side of Cognito's SRP-6a, for USER_SRP_AUTH and device authentication.

Cognito's variant (as implemented by amazon-cognito-identity-js, warrant-lite, pycognito):
the RFC 5054 3072-bit group with g = 2, k = H(00‖N ‖ 02) over hex strings,
x = H(salt ‖ H(<prefix><id>:<password>)) where <prefix> is the part of the pool id after
"_" (user SRP) or the DeviceGroupKey (device SRP), u = H(PAD(A) ‖ PAD(B)), S = (A·v^u)^b,
K = HKDF-SHA256(ikm=PAD(S), salt=PAD(u), info="Caldera Derived Key")[:16], and the client
proves K with HMAC-SHA256(K, <prefix> ‖ <id> ‖ secret_block ‖ timestamp).

PAD is Cognito's hex padding (warrant_lite.pad_hex): an even number of hex digits, with a
leading 00 when the top bit is set. The helpers come from warrant_lite; the server half
(B, S, the claim check) is written here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from warrant_lite import (
    compute_hkdf,
    g_hex,
    hash_sha256,
    hex_hash,
    hex_to_long,
    long_to_hex,
    n_hex,
    pad_hex,
)

try:  # gmpy2 makes the 3072-bit modular powers ~10x faster; plain pow() is the fallback.
    from gmpy2 import mpz as _mpz
    from gmpy2 import powmod as _gmpy_powmod

    def _powmod(base: int, exponent: int, modulus: int) -> int:
        return int(_gmpy_powmod(_mpz(base), _mpz(exponent), _mpz(modulus)))

except ImportError:  # pragma: no cover - gmpy2 is a dependency on CPython

    def _powmod(base: int, exponent: int, modulus: int) -> int:
        return pow(base, exponent, modulus)


N = hex_to_long(n_hex)
G = hex_to_long(g_hex)
K_MULTIPLIER = hex_to_long(hex_hash("00" + n_hex + "0" + g_hex))

_TIMESTAMP = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12]\d|3[01]) \d{2}:\d{2}:\d{2} UTC \d{4}$"
)


class SrpError(ValueError):
    """A malformed SRP value from the client."""


def new_salt() -> bytes:
    """16 random bytes, as Cognito's salts."""
    return secrets.token_bytes(16)


def salt_hex(salt: bytes) -> str:
    """The SALT challenge parameter for a stored salt (PAD-ded hex)."""
    return pad_hex(salt.hex())


def compute_verifier(salt: bytes, prefix: str, identity: str, password: str) -> int:
    """v = g^x mod N for x = H(salt ‖ H(prefix + identity + ":" + password))."""
    inner = hash_sha256(f"{prefix}{identity}:{password}".encode())
    x = hex_to_long(hex_hash(salt_hex(salt) + inner))
    return _powmod(G, x, N)


def parse_srp_a(srp_a: str | None) -> int:
    """The client's public value A; refuses malformed values and A ≡ 0 (mod N)."""
    if not srp_a:
        raise SrpError("SRP_A is missing")
    try:
        value = int(srp_a, 16)
    except ValueError as exc:
        raise SrpError("SRP_A is not a hexadecimal number") from exc
    if value % N == 0:
        raise SrpError("SRP_A is invalid")
    return value


@dataclass(frozen=True)
class ServerHandshake:
    """The server's half of one SRP exchange: private b, public B, and the secret block."""

    verifier: int
    small_b: int
    big_b: int
    secret_block: bytes

    @classmethod
    def start(cls, verifier: int) -> ServerHandshake:
        while True:
            small_b = secrets.randbelow(N - 1) + 1
            big_b = (K_MULTIPLIER * verifier + _powmod(G, small_b, N)) % N
            if big_b != 0:
                return cls(verifier, small_b, big_b, secrets.token_bytes(96))

    @property
    def srp_b_hex(self) -> str:
        return long_to_hex(self.big_b)

    @property
    def secret_block_b64(self) -> str:
        return base64.standard_b64encode(self.secret_block).decode()

    def session_key(self, big_a: int) -> bytes:
        """K, the 16-byte key both sides derive."""
        u = hex_to_long(hex_hash(pad_hex(big_a) + pad_hex(self.big_b)))
        if u == 0:
            raise SrpError("u is zero")
        s = _powmod(big_a * _powmod(self.verifier, u, N), self.small_b, N)
        return compute_hkdf(
            bytearray.fromhex(pad_hex(s)), bytearray.fromhex(pad_hex(long_to_hex(u)))
        )

    def verify_claim(
        self, big_a: int, prefix: str, identity: str, timestamp: str, signature_b64: str
    ) -> bool:
        """Whether the client's PASSWORD_CLAIM_SIGNATURE proves it knows the password."""
        if not _TIMESTAMP.match(timestamp or ""):
            return False
        try:
            signature = base64.standard_b64decode(signature_b64 or "")
        except ValueError:
            return False
        try:
            key = self.session_key(big_a)
        except SrpError:
            return False
        message = prefix.encode() + identity.encode() + self.secret_block + timestamp.encode()
        expected = hmac.new(key, message, hashlib.sha256).digest()
        return hmac.compare_digest(expected, signature)
