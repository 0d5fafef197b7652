"""SRP math checked against an independent implementation: pycognito's AWSSRP.

pycognito is a test-only dependency: its random ``a`` and its clock are patched so both
implementations compute from the same fixed inputs, and every output must agree bit for bit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pycognito import aws_srp

from bff.cognito import srp

POOL_ID = "eu-west-1_TeStPoOl9"
CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"
FIXED_A = int("7d" * 128, 16) % srp.BIG_N  # 1024-bit secret exponent
NOW = datetime(2026, 11, 22, 9, 5, 7, tzinfo=UTC)
SECRET_BLOCK = base64.b64encode(bytes(range(200))).decode()


def _server_b(verifier: int, small_b: int = 0xB0B0B0B0 << 900) -> str:
    """An honest server's B = k*v + g^b mod N, for a known b."""
    return srp.long_to_hex(
        (srp.K_MULTIPLIER * verifier + pow(srp.G, small_b, srp.BIG_N)) % srp.BIG_N
    )


class _FixedClock(datetime):
    @classmethod
    def utcnow(cls):  # what pycognito calls
        return NOW.replace(tzinfo=None)


@pytest.fixture
def fixed_pycognito(monkeypatch):
    monkeypatch.setattr(aws_srp, "get_random", lambda nbytes: FIXED_A)
    # Replace pycognito's reference to the module, not the shared datetime module itself.
    monkeypatch.setattr(aws_srp, "datetime", SimpleNamespace(datetime=_FixedClock))


def _awssrp(**kwargs) -> aws_srp.AWSSRP:
    return aws_srp.AWSSRP(
        username="ignored",
        password=kwargs.pop("password", "ignored"),
        pool_id=POOL_ID,
        client_id=CLIENT_ID,
        client=object(),  # never used: only the math is exercised
        **kwargs,
    )


def test_timestamp_has_english_names_and_no_leading_zero_on_the_day():
    assert srp.cognito_timestamp(NOW) == "Sun Nov 22 09:05:07 UTC 2026"
    assert srp.cognito_timestamp(datetime(2025, 5, 7, 0, 9, 40, tzinfo=UTC)) == (
        "Wed May 7 00:09:40 UTC 2025"
    )
    assert srp.cognito_timestamp(NOW) == aws_srp.AWSSRP.get_cognito_formatted_timestamp(NOW)


def test_timestamp_ignores_the_process_locale(monkeypatch):
    import locale

    def refuse(*args, **kwargs):
        raise AssertionError("cognito_timestamp must not touch the locale")

    monkeypatch.setattr(locale, "setlocale", refuse)
    assert srp.cognito_timestamp(NOW).startswith("Sun Nov 22")


def test_large_a_matches_pycognito(fixed_pycognito):
    ours = srp.SrpEphemeral.generate(small_a=FIXED_A)
    theirs = _awssrp()
    assert theirs.small_a_value == FIXED_A
    assert ours.large_a == theirs.large_a_value
    assert ours.srp_a == aws_srp.long_to_hex(theirs.large_a_value)


def test_password_verifier_matches_pycognito(fixed_pycognito):
    salt_hex = "f3a1" + "5c" * 14
    user_id = "6f1c2b7e-0d4a-4c3e-9e59-3b7f8e2a1d10"
    verifier = pow(srp.G, 0x1234567, srp.BIG_N)
    parameters = {
        "USER_ID_FOR_SRP": user_id,
        "USERNAME": user_id,
        "SALT": salt_hex,
        "SRP_B": _server_b(verifier),
        "SECRET_BLOCK": SECRET_BLOCK,
    }
    ours = srp.password_verifier_responses(
        srp.SrpEphemeral.generate(small_a=FIXED_A),
        user_pool_id=POOL_ID,
        password="Correct-Horse-9",
        challenge_parameters=parameters,
        now=NOW,
    )
    theirs = _awssrp(password="Correct-Horse-9").process_challenge(
        parameters, {"USERNAME": "typed@example.com"}
    )
    assert ours == theirs
    assert ours["TIMESTAMP"] == "Sun Nov 22 09:05:07 UTC 2026"


def test_device_verifier_matches_pycognito(monkeypatch):
    salt = bytes.fromhex("9a" * 16)  # top bit set: padded with a leading 00
    monkeypatch.setattr(aws_srp, "get_random", lambda nbytes: int.from_bytes(salt, "big"))
    monkeypatch.setattr(aws_srp, "os", SimpleNamespace(urandom=lambda n: b"\x07" * n))
    password_theirs, config_theirs = aws_srp.generate_hash_device(
        "eu-west-1_GrOuP", "eu-west-1_dev"
    )

    ours = srp.generate_device_verifier(
        "eu-west-1_GrOuP", "eu-west-1_dev", device_password=password_theirs, salt=salt
    )
    assert ours.device_password == password_theirs
    assert ours.verifier_config() == config_theirs
    assert base64.b64decode(ours.salt)[0] == 0  # the padding byte


def test_generated_device_password_is_40_random_bytes_and_salt_16():
    first = srp.generate_device_verifier("group", "device")
    second = srp.generate_device_verifier("group", "device")
    assert len(base64.b64decode(first.device_password)) == 40
    assert len(base64.b64decode(first.salt).lstrip(b"\0")) <= 16
    assert first.device_password != second.device_password
    assert first.salt != second.salt
    assert "device_password" not in repr(first).replace("device_password=<hidden>", "")


def test_device_password_verifier_matches_pycognito(fixed_pycognito):
    group_key, device_key = "-zLeMy1Ew", "eu-west-1_4c8d7b63-8f2a-4d7b-9d1e-6a8b2c3d4e5f"
    device = srp.generate_device_verifier(group_key, device_key, salt=b"\x01" * 16)
    verifier = int.from_bytes(base64.b64decode(device.password_verifier), "big")
    parameters = {
        "USERNAME": "6f1c2b7e-0d4a-4c3e-9e59-3b7f8e2a1d10",
        "SALT": base64.b64decode(device.salt).hex(),
        "SRP_B": _server_b(verifier),
        "SECRET_BLOCK": SECRET_BLOCK,
    }
    ours = srp.device_password_verifier_responses(
        srp.SrpEphemeral.generate(small_a=FIXED_A),
        device_group_key=group_key,
        device_key=device_key,
        device_password=device.device_password,
        challenge_parameters=parameters,
        now=NOW,
    )
    theirs = _awssrp(
        device_key=device_key, device_group_key=group_key, device_password=device.device_password
    ).process_device_challenge(parameters)
    assert ours == theirs


def test_device_signature_verifies_with_the_servers_key():
    """What an honest server derives from the verifier alone equals the client's key."""
    group_key, device_key = "grp", "us-east-1_dev"
    device = srp.generate_device_verifier(group_key, device_key)
    verifier = int.from_bytes(base64.b64decode(device.password_verifier), "big")
    salt_hex = base64.b64decode(device.salt).hex()
    small_b = 0xC0FFEE << 1000
    big_b = (srp.K_MULTIPLIER * verifier + pow(srp.G, small_b, srp.BIG_N)) % srp.BIG_N
    ephemeral = srp.SrpEphemeral.generate()
    responses = srp.device_password_verifier_responses(
        ephemeral,
        device_group_key=group_key,
        device_key=device_key,
        device_password=device.device_password,
        challenge_parameters={
            "SALT": salt_hex,
            "SRP_B": srp.long_to_hex(big_b),
            "SECRET_BLOCK": SECRET_BLOCK,
        },
    )
    # Server side of SRP-6a: S = (A * v^u)^b mod N.
    u = srp.hex_to_long(srp.hex_hash(srp.pad_hex(ephemeral.large_a) + srp.pad_hex(big_b)))
    s = pow(ephemeral.large_a * pow(verifier, u, srp.BIG_N), small_b, srp.BIG_N)
    key = srp.compute_hkdf(
        bytearray.fromhex(srp.pad_hex(s)), bytearray.fromhex(srp.pad_hex(srp.long_to_hex(u)))
    )
    message = (
        (group_key + device_key).encode()
        + base64.b64decode(SECRET_BLOCK)
        + responses["TIMESTAMP"].encode()
    )
    expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    assert responses["PASSWORD_CLAIM_SIGNATURE"] == expected


def test_gmpy2_and_pure_python_paths_give_identical_numbers(monkeypatch):
    exponents = [FIXED_A, 1, 2**3071 + 12345, srp.BIG_N - 2]
    for exponent in exponents:
        assert srp.powmod_gmpy2(srp.G, exponent, srp.BIG_N) == srp.powmod_python(
            srp.G, exponent, srp.BIG_N
        )

    def answer():  # the same fixed exchange, answered with whichever powmod is in place
        return srp.password_verifier_responses(
            srp.SrpEphemeral.generate(small_a=FIXED_A),
            user_pool_id=POOL_ID,
            password="pw",
            challenge_parameters={
                "USER_ID_FOR_SRP": "user",
                "SALT": "00ab",
                "SRP_B": _server_b(12345),
                "SECRET_BLOCK": SECRET_BLOCK,
            },
            now=NOW,
        )

    with_gmpy2 = answer()
    monkeypatch.setattr(srp, "powmod", srp.powmod_python)
    assert answer() == with_gmpy2
    assert isinstance(srp.powmod_gmpy2(3, 5, 7), int)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"SALT": "ab", "SRP_B": "0", "SECRET_BLOCK": "AA=="}, "SRP_B mod N is zero"),
        (
            {"SALT": "ab", "SRP_B": srp.n_hex, "SECRET_BLOCK": "AA=="},
            "SRP_B mod N is zero",
        ),
        ({"SALT": "ab", "SECRET_BLOCK": "AA=="}, "missing SRP_B"),
    ],
)
def test_refuses_malicious_or_incomplete_challenges(parameters, message):
    with pytest.raises(srp.InvalidSrpParameters, match=message):
        srp.device_password_verifier_responses(
            srp.SrpEphemeral.generate(),
            device_group_key="g",
            device_key="d",
            device_password="p",
            challenge_parameters=parameters,
        )


def test_pool_name_is_the_part_after_the_underscore():
    assert srp.pool_name("us-east-1_AbC123") == "AbC123"
    with pytest.raises(srp.InvalidSrpParameters):
        srp.pool_name("no-underscore")


def test_ephemeral_repr_hides_the_secret_exponent():
    ephemeral = srp.SrpEphemeral.generate(small_a=FIXED_A)
    assert str(FIXED_A) not in repr(ephemeral)
    assert format(FIXED_A, "x") not in repr(ephemeral)


def test_without_gmpy2_the_gmpy2_path_says_so(monkeypatch):
    monkeypatch.setattr(srp, "gmpy2", None)
    with pytest.raises(RuntimeError, match="gmpy2 is not installed"):
        srp.powmod_gmpy2(2, 3, 5)


@pytest.mark.parametrize(
    "exponent",
    [0, 1, 2, 63, 64, 65, 2**1024 - 1, 2**1023, 2**1024, 2**2000 + 12345],
    ids=lambda e: f"{e.bit_length()}-bits",
)
def test_fixed_base_table_matches_pow_at_the_edges(exponent):
    assert srp.G_POWERS.pow(exponent) == pow(srp.G, exponent, srp.BIG_N)


def test_fixed_base_table_matches_pow_for_random_exponents():
    for bits in (256, 512, 1024):
        for _ in range(10):
            exponent = secrets.randbits(bits)
            assert srp.G_POWERS.pow(exponent) == pow(srp.G, exponent, srp.BIG_N)


def test_fixed_base_table_without_gmpy2(monkeypatch):
    monkeypatch.setattr(srp, "gmpy2", None)
    monkeypatch.setattr(srp, "powmod", srp.powmod_python)
    table = srp.FixedBasePowers(5, 2**127 - 1, max_bits=64, window=4)
    for exponent in (0, 1, 15, 16, 2**64 - 1, 2**64, 2**100 + 3):
        result = table.pow(exponent)
        assert result == pow(5, exponent, 2**127 - 1) and type(result) is int
