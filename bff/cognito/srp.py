"""Client-side SRP for Cognito: USER_SRP_AUTH and the remembered-device flow.

Cognito's SRP is SRP-6a over the 3072-bit group of RFC 5054 (g = 2) with SHA-256, as the
Amplify/amazon-cognito-identity-js ``AuthenticationHelper`` implements it. The number
helpers (``hash_sha256``, ``hex_hash``, ``pad_hex``, ``compute_hkdf``, the group ``n_hex`` /
``g_hex``) come from warrant-lite; this module adds what warrant-lite gets wrong for a
server process:

* ``WarrantLite.process_challenge`` switches the *whole process's* locale to en_US.UTF-8 to
  format the timestamp. That locale is often missing (``locale.Error``) and ``setlocale`` is
  not thread-safe, so ``cognito_timestamp`` formats English names by hand instead.
* modular exponentiation uses gmpy2 when it is installed (about 10x faster for one 3072-bit
  ``g^a``; see tests/benchmarks/srp_modpow.py) and Python's ``pow`` otherwise, with
  identical results.
* powers of g (``g^a``, ``g^x``: two of the three exponentiations of a sign-in) use a
  fixed-base table (``G_POWERS``): g and N never change, so g^(d * 2^(6i)) is computed once
  per process and ``g^e`` is one multiplication per 6 bits of ``e``, no squaring (the
  windowed fixed-base method, Handbook of Applied Cryptography, algorithm 14.109). About 4x
  faster than one GMP ``powmod`` for a 1024-bit exponent (tests/benchmarks/srp_device.py).

Nothing here talks to Cognito: the gateway sends what these functions compute.

Password flow (USER_SRP_AUTH)::

    A = g^a mod N                               -> InitiateAuth {USERNAME, SRP_A}
    <- PASSWORD_VERIFIER {USER_ID_FOR_SRP, SALT, SRP_B, SECRET_BLOCK}
    u = H(pad(A) || pad(B))
    x = H(pad(salt) || H(poolName || userIdForSrp || ":" || password))
    S = (B - k * g^x) ^ (a + u * x) mod N,  k = H(pad(N) || pad(g))
    K = HKDF(ikm=pad(S), salt=pad(u), info="Caldera Derived Key")[:16]
    signature = base64(HMAC-SHA256(K, poolName || userIdForSrp || secretBlock || timestamp))

The device flow is the same with ``poolName``/``userIdForSrp`` replaced by
``DeviceGroupKey``/``DeviceKey`` and the password by the device's random password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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

try:  # gmpy2 is an optional speed-up: CPython wheels only (see pyproject.toml's marker).
    import gmpy2
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    gmpy2 = None

BIG_N = hex_to_long(n_hex)
G = hex_to_long(g_hex)
# k = H(pad(N) || pad(g)), written out exactly as AuthenticationHelper.js does.
K_MULTIPLIER = hex_to_long(hex_hash("00" + n_hex + "0" + g_hex))

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class InvalidSrpParameters(ValueError):
    """Cognito's challenge carried values the SRP math must refuse (missing, or B = 0 mod N)."""


def powmod_python(base: int, exponent: int, modulus: int) -> int:
    """``base ** exponent % modulus`` with Python's built-in ``pow``."""
    return pow(base, exponent, modulus)


def powmod_gmpy2(base: int, exponent: int, modulus: int) -> int:
    """``base ** exponent % modulus`` with GMP (raises RuntimeError when gmpy2 is absent)."""
    if gmpy2 is None:
        raise RuntimeError("gmpy2 is not installed")
    return int(gmpy2.powmod(base, exponent, modulus))


#: The modular exponentiation every SRP computation here uses.
powmod: Callable[[int, int, int], int] = powmod_gmpy2 if gmpy2 is not None else powmod_python


class FixedBasePowers:
    """``base^e mod modulus`` for a base that never changes, from a table built once.

    The table holds ``base^(d * 2^(w*i))`` for every digit ``d`` < 2^w and window ``i`` up to
    ``max_bits``; ``pow(e)`` multiplies one entry per non-zero w-bit digit of ``e``
    (about ``max_bits / w`` multiplications instead of ``max_bits`` squarings plus the
    multiplications of a powmod). Exponents wider than ``max_bits`` fall back to ``powmod``.
    The table (4 MB for 1024 bits, w = 6, a 3072-bit modulus) is built on first use,
    under a lock, in about 30 ms with gmpy2.
    """

    def __init__(self, base: int, modulus: int, *, max_bits: int = 1024, window: int = 6):
        self.base = base
        self.modulus = modulus
        self.max_bits = max_bits
        self.window = window
        self._rows: list[list[Any]] | None = None
        self._lock = threading.Lock()

    def _number(self, value: int) -> Any:
        return gmpy2.mpz(value) if gmpy2 is not None else value

    def _table(self) -> list[list[Any]]:
        rows = self._rows
        if rows is not None:
            return rows
        with self._lock:
            if self._rows is None:
                modulus = self._number(self.modulus)
                step = self._number(self.base) % modulus
                built = []
                for _ in range(-(-self.max_bits // self.window)):
                    row = [self._number(1), step]
                    for _ in range((1 << self.window) - 2):
                        row.append(row[-1] * step % modulus)
                    built.append(row)
                    step = row[-1] * step % modulus  # base^(2^(w*(i+1)))
                self._rows = built
            return self._rows

    def warm(self) -> None:
        """Build the table now (a server does it at start, not in its first sign-in)."""
        self._table()

    def pow(self, exponent: int) -> int:
        """``base ** exponent % modulus``."""
        if exponent < 0 or exponent.bit_length() > self.max_bits:
            return powmod(self.base, exponent, self.modulus)
        rows = self._table()
        modulus = self._number(self.modulus)
        mask = (1 << self.window) - 1
        result = self._number(1)
        index = 0
        while exponent:
            digit = exponent & mask
            if digit:
                result = result * rows[index][digit] % modulus
            exponent >>= self.window
            index += 1
        return int(result % modulus)


#: Powers of g mod N: ``G_POWERS.pow(a)`` is ``g^a mod N`` (a is 1024 bits, x 256 bits).
G_POWERS = FixedBasePowers(G, BIG_N)


def cognito_timestamp(now: datetime | None = None) -> str:
    """Cognito's TIMESTAMP, e.g. ``Sun Nov 22 09:05:07 UTC 2026``.

    English day and month names and a day without a leading zero, whatever the process's
    locale: built by hand rather than with ``strftime`` and ``setlocale`` (not thread-safe).
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day} "
        f"{moment:%H:%M:%S} UTC {moment.year}"
    )


def pool_name(user_pool_id: str) -> str:
    """The part of a pool id after the region and ``_`` ("us-east-1_AbC" -> "AbC")."""
    region, sep, name = user_pool_id.partition("_")
    if not (region and sep and name):
        raise InvalidSrpParameters(f"not a user pool id: {user_pool_id!r}")
    return name


@dataclass(frozen=True)
class SrpEphemeral:
    """The client's one-use SRP key pair: secret ``a`` and public ``A = g^a mod N``."""

    small_a: int
    large_a: int

    @classmethod
    def generate(cls, small_a: int | None = None) -> SrpEphemeral:
        """A fresh pair (128 random bytes, as Amplify), or the pair for a given ``a`` (tests)."""
        if small_a is None:
            small_a = secrets.randbits(1024) % BIG_N
        large_a = G_POWERS.pow(small_a)
        if large_a % BIG_N == 0:  # SRP-6a safety check; cannot happen for 0 < a < N
            raise InvalidSrpParameters("A mod N is zero")
        return cls(small_a=small_a, large_a=large_a)

    @property
    def srp_a(self) -> str:
        """``SRP_A`` as Cognito expects it: unpadded lowercase hex."""
        return long_to_hex(self.large_a)

    def __repr__(self) -> str:  # a is the session's secret
        return f"SrpEphemeral(large_a=<{self.large_a.bit_length()} bits>, small_a=<hidden>)"


def authentication_key(
    ephemeral: SrpEphemeral,
    *,
    identity: str,
    password: str,
    server_b_hex: str,
    salt_hex: str,
) -> bytes:
    """The 16-byte key K both sides derive (identity: poolName+userId or groupKey+deviceKey)."""
    server_b = hex_to_long(server_b_hex)
    if server_b % BIG_N == 0:
        raise InvalidSrpParameters("SRP_B mod N is zero")
    u = hex_to_long(hex_hash(pad_hex(ephemeral.large_a) + pad_hex(server_b)))
    if u == 0:
        raise InvalidSrpParameters("u is zero")
    identity_hash = hash_sha256(f"{identity}:{password}".encode())
    x = hex_to_long(hex_hash(pad_hex(salt_hex) + identity_hash))
    base = (server_b - K_MULTIPLIER * G_POWERS.pow(x)) % BIG_N
    s = powmod(base, ephemeral.small_a + u * x, BIG_N)
    return compute_hkdf(bytearray.fromhex(pad_hex(s)), bytearray.fromhex(pad_hex(long_to_hex(u))))


def _claim_signature(key: bytes, prefix: str, identity: str, secret_block: str, ts: str) -> str:
    message = prefix.encode() + identity.encode() + base64.b64decode(secret_block) + ts.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def _required(parameters: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not parameters.get(name)]
    if missing:
        raise InvalidSrpParameters(f"challenge is missing {', '.join(missing)}")
    return [parameters[name] for name in names]


def password_verifier_responses(
    ephemeral: SrpEphemeral,
    *,
    user_pool_id: str,
    password: str,
    challenge_parameters: Mapping[str, str],
    now: datetime | None = None,
) -> dict[str, str]:
    """The ChallengeResponses answering PASSWORD_VERIFIER (without SECRET_HASH / DEVICE_KEY).

    Uses ``USER_ID_FOR_SRP`` as the SRP identity (Cognito's internal user name, not what the
    user typed) and answers with the ``USERNAME`` Cognito sent, falling back to that id.
    """
    user_id, salt, srp_b, secret_block = _required(
        challenge_parameters, "USER_ID_FOR_SRP", "SALT", "SRP_B", "SECRET_BLOCK"
    )
    name = pool_name(user_pool_id)
    timestamp = cognito_timestamp(now)
    key = authentication_key(
        ephemeral, identity=name + user_id, password=password, server_b_hex=srp_b, salt_hex=salt
    )
    return {
        "USERNAME": challenge_parameters.get("USERNAME") or user_id,
        "TIMESTAMP": timestamp,
        "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
        "PASSWORD_CLAIM_SIGNATURE": _claim_signature(key, name, user_id, secret_block, timestamp),
    }


def device_password_verifier_responses(
    ephemeral: SrpEphemeral,
    *,
    device_group_key: str,
    device_key: str,
    device_password: str,
    challenge_parameters: Mapping[str, str],
    now: datetime | None = None,
) -> dict[str, str]:
    """The ChallengeResponses answering DEVICE_PASSWORD_VERIFIER (without SECRET_HASH)."""
    salt, srp_b, secret_block = _required(challenge_parameters, "SALT", "SRP_B", "SECRET_BLOCK")
    timestamp = cognito_timestamp(now)
    key = authentication_key(
        ephemeral,
        identity=device_group_key + device_key,
        password=device_password,
        server_b_hex=srp_b,
        salt_hex=salt,
    )
    signature = _claim_signature(key, device_group_key, device_key, secret_block, timestamp)
    responses = {
        "DEVICE_KEY": device_key,
        "TIMESTAMP": timestamp,
        "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
        "PASSWORD_CLAIM_SIGNATURE": signature,
    }
    if challenge_parameters.get("USERNAME"):
        responses["USERNAME"] = challenge_parameters["USERNAME"]
    return responses


@dataclass(frozen=True)
class DeviceVerifier:
    """What ConfirmDevice needs (``DeviceSecretVerifierConfig``) and the password to keep."""

    device_password: str
    password_verifier: str  # base64 of g^x mod N, padded as AuthenticationHelper pads it
    salt: str  # base64

    def verifier_config(self) -> dict[str, str]:
        return {"PasswordVerifier": self.password_verifier, "Salt": self.salt}

    def __repr__(self) -> str:
        return "DeviceVerifier(device_password=<hidden>)"


def generate_device_verifier(
    device_group_key: str,
    device_key: str,
    *,
    device_password: str | None = None,
    salt: bytes | None = None,
) -> DeviceVerifier:
    """A new device password (base64 of 40 random bytes), salt (16 random bytes) and verifier.

    x = H(pad(salt) || H(DeviceGroupKey || DeviceKey || ":" || password)); verifier = g^x mod N.
    The salt is padded like every SRP number (a leading 00 when its top bit is set), exactly
    as ``AuthenticationHelper.generateHashDevice`` sends it, so that the SALT Cognito later
    returns in DEVICE_PASSWORD_VERIFIER hashes to the same x.
    """
    if device_password is None:
        device_password = base64.b64encode(secrets.token_bytes(40)).decode()
    salt_hex = pad_hex(long_to_hex(int.from_bytes(salt or secrets.token_bytes(16), "big")))
    identity_hash = hash_sha256(f"{device_group_key}{device_key}:{device_password}".encode())
    x = hex_to_long(hex_hash(salt_hex + identity_hash))
    verifier_hex = pad_hex(G_POWERS.pow(x))
    return DeviceVerifier(
        device_password=device_password,
        password_verifier=base64.b64encode(bytes.fromhex(verifier_hex)).decode(),
        salt=base64.b64encode(bytes.fromhex(salt_hex)).decode(),
    )
