"""Each pool signs with a key of its own, published at its JWKS, kept across restarts; moto's
built-in key (whose private half ships with moto) verifies none of its tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import jwt
import pytest
from lc_support import confirmed_sign_in
from moto.utilities.utils import load_resource

from local_cognito import LocalCognito, make_boto3_client
from local_cognito.state import STATE_FILE

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def _jwks(endpoint_url: str, pool_id: str) -> dict[str, Any]:
    with urlopen(f"{endpoint_url}/{pool_id}/.well-known/jwks.json") as response:  # noqa: S310
        document: dict[str, Any] = json.load(response)
    return document


def _verify(token: str, info: Any, **options: Any) -> dict[str, Any]:
    """Verify ``token`` as an API would: discovery → JWKS → the key its kid names."""
    issuer = f"{info.endpoint_url}/{info.user_pool_id}"
    with urlopen(f"{issuer}/.well-known/openid-configuration") as response:  # noqa: S310
        discovery = json.load(response)
    key = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=discovery["issuer"], **options
    )
    return claims


def _moto_key() -> Any:
    (entry,) = load_resource("cognitoidp/resources/jwks-public.json")["keys"]
    return jwt.PyJWK(entry).key


@pytest.fixture(scope="module")
def pool(local_cognito_server: LocalCognito) -> Any:
    return local_cognito_server.provision(MfaConfiguration="OFF", DeviceConfiguration=None)


def test_tokens_verify_with_the_pools_jwks_and_not_with_motos_key(
    pool: Any, unique_email: str
) -> None:
    client = make_boto3_client(pool)
    tokens = confirmed_sign_in(client, pool, unique_email)
    refreshed = client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    (published,) = _jwks(pool.endpoint_url, pool.user_pool_id)["keys"]
    assert published["kid"] != "dummy" and len(published["kid"]) == 44
    assert {published["kty"], published["alg"], published["use"]} == {"RSA", "RS256", "sig"}
    assert not PRIVATE_MEMBERS & set(published)
    assert jwt.PyJWK(published).key.key_size == 2048
    # Sign-in and refresh, access and ID tokens: all under the pool's kid, all verify.
    for token in (tokens["AccessToken"], refreshed["AccessToken"]):
        header = jwt.get_unverified_header(token)
        assert (header["kid"], header["alg"]) == (published["kid"], "RS256")
        assert _verify(token, pool)["token_use"] == "access"
    for token in (tokens["IdToken"], refreshed["IdToken"]):
        assert _verify(token, pool, audience=pool.client_id)["email"] == unique_email
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            tokens["AccessToken"], _moto_key(), algorithms=["RS256"], options={"verify_iss": False}
        )


def test_two_pools_have_different_keys(local_cognito_server: LocalCognito, pool: Any) -> None:
    other = local_cognito_server.provision(MfaConfiguration="OFF")
    first = _jwks(pool.endpoint_url, pool.user_pool_id)["keys"][0]
    second = _jwks(other.endpoint_url, other.user_pool_id)["keys"][0]
    assert first["kid"] != second["kid"]
    assert first["n"] != second["n"]


def test_the_jwks_of_an_unknown_pool_is_not_found(local_cognito: Any) -> None:
    with pytest.raises(HTTPError) as caught:
        _jwks(local_cognito.endpoint_url, "eu-west-1_nope")
    with caught.value as error:
        assert error.code == 404
        assert json.load(error)["__type"] == "ResourceNotFoundException"


def test_the_key_survives_a_restart(tmp_path: Path, unique_email: str) -> None:
    first = LocalCognito(state_dir=tmp_path)
    info = first.start()
    try:
        extra = first.provision(MfaConfiguration="OFF")
        tokens = confirmed_sign_in(first.client(), extra, unique_email)
        before = _jwks(info.endpoint_url, info.user_pool_id)
    finally:
        first.stop()
    # The private half is kept only in the state file, readable by its owner alone.
    assert (tmp_path / STATE_FILE).stat().st_mode & 0o077 == 0

    second = LocalCognito(state_dir=tmp_path)
    after = second.start()
    try:
        assert second.restored
        assert _jwks(after.endpoint_url, after.user_pool_id) == before
        moved = type(extra)(after.endpoint_url, extra.region, extra.user_pool_id, extra.client_id)
        # The other pool's token, issued before the restart, verifies against its JWKS.
        claims = _verify(tokens["AccessToken"], moved, options={"verify_iss": False})
        assert claims["client_id"] == extra.client_id
    finally:
        second.stop()


def test_a_state_file_with_motos_key_gets_a_key_of_its_own(tmp_path: Path) -> None:
    """A state file written before pools had their own keys holds moto's built-in key: the
    restored pool is given a fresh key instead of signing with a published one."""
    first = LocalCognito(state_dir=tmp_path)
    info = first.start()
    first.stop()
    state = json.loads((tmp_path / STATE_FILE).read_text())
    (saved,) = state["pools"]
    saved["signing_key"] = load_resource("cognitoidp/resources/jwks-private.json")
    (tmp_path / STATE_FILE).write_text(json.dumps(state))

    second = LocalCognito(state_dir=tmp_path)
    after = second.start()
    try:
        assert (after.user_pool_id, after.client_id) == (info.user_pool_id, info.client_id)
        (published,) = _jwks(after.endpoint_url, after.user_pool_id)["keys"]
        assert published["kid"] != "dummy"
        second.persist()
        kept = json.loads((tmp_path / STATE_FILE).read_text())["pools"][0]["signing_key"]
        assert kept["kid"] == published["kid"]
    finally:
        second.stop()
