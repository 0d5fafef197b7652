"""The example notes API over HTTP, with real tokens from the local Cognito: what it accepts,
the tokens it must refuse (401 with ``WWW-Authenticate``), its JWKS cache, and its CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import jwt
import pytest
from moto.utilities.utils import load_resource

from examples.notes_api import AccessTokenVerifier, JwksCache, NotesServer, serve
from examples.notes_api.app import MAX_BODY
from local_cognito import LocalCognito, LocalCognitoInfo, make_boto3_client
from local_cognito.keys import sign
from tests.support.passwords import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any = field(default=None)


def call(
    url: str, method: str = "GET", token: str | None = None, body: Any = None, **headers: str
) -> Answer:
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = Request(url, data=data, method=method, headers=headers)
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            raw = response.read()
            return Answer(response.status, dict(response.headers), json.loads(raw) if raw else None)
    except HTTPError as error:
        with error:
            raw = error.read()
            return Answer(error.code, dict(error.headers), json.loads(raw) if raw else None)


def sign_in(info: LocalCognitoInfo, email: str) -> dict[str, Any]:
    """A confirmed user ``email`` of ``info``'s pool, signed in; the AuthenticationResult."""
    client = make_boto3_client(info)
    client.admin_create_user(
        UserPoolId=info.user_pool_id,
        Username=email,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    client.admin_set_user_password(
        UserPoolId=info.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    result: dict[str, Any] = client.initiate_auth(
        ClientId=info.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def issuer_of(info: LocalCognitoInfo) -> str:
    return f"{info.endpoint_url}/{info.user_pool_id}"


@pytest.fixture(scope="module")
def pool(local_cognito_server: LocalCognito) -> LocalCognitoInfo:
    return local_cognito_server.provision(MfaConfiguration="OFF", DeviceConfiguration=None)


@pytest.fixture(scope="module")
def notes(pool: LocalCognitoInfo) -> Iterator[NotesServer]:
    server = serve(issuer_of(pool), pool.client_id)
    yield server
    server.stop()


@pytest.fixture
def tokens(pool: LocalCognitoInfo, unique_email: str) -> dict[str, Any]:
    return sign_in(pool, unique_email)


def test_a_signed_in_user_reads_writes_and_deletes_own_notes(
    notes: NotesServer, pool: LocalCognitoInfo, tokens: dict[str, Any]
) -> None:
    access = tokens["AccessToken"]
    assert call(f"{notes.url}/notes", token=access).body == {"notes": []}
    created = call(f"{notes.url}/notes", "POST", access, {"text": "buy milk"})
    assert created.status == 201
    assert created.headers["Location"] == f"/notes/{created.body['id']}"
    assert created.body["text"] == "buy milk"
    # The trailing slash a proxy may keep is the same route, not a redirect.
    assert call(f"{notes.url}/notes/", token=access).body == {"notes": [created.body]}

    other = sign_in(pool, f"other-{time.time_ns()}@example.com")["AccessToken"]
    assert call(f"{notes.url}/notes", token=other).body == {"notes": []}
    note_url = f"{notes.url}/notes/{created.body['id']}"
    assert call(note_url, "DELETE", other).status == 404  # not theirs: as if absent
    assert call(note_url, "DELETE", access).status == 204
    assert call(note_url, "DELETE", access).status == 404
    assert call(f"{notes.url}/notes", token=access).body == {"notes": []}


def test_healthz_needs_no_token(notes: NotesServer) -> None:
    assert call(f"{notes.url}/healthz").body == {"status": "ok"}


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _refused(
    local_cognito_server: LocalCognito, pool: LocalCognitoInfo, tokens: dict[str, Any]
) -> dict[str, str]:
    """Tokens a resource server must refuse, each with the reason the API gives."""
    access = tokens["AccessToken"]
    claims = _claims(access)
    pool_key = local_cognito_server.backend.user_pools[pool.user_pool_id].json_web_key
    now = int(time.time())
    expired = sign(pool_key, {**claims, "iat": now - 7200, "exp": now - 3600})
    other_pool = local_cognito_server.provision(MfaConfiguration="OFF", DeviceConfiguration=None)
    foreign = sign_in(other_pool, f"foreign-{now}-{time.time_ns()}@example.com")["AccessToken"]
    # Another app client of the same pool: right issuer and key, wrong client_id.
    second = make_boto3_client(pool).create_user_pool_client(
        UserPoolId=pool.user_pool_id,
        ClientName="another",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    other_client = sign(pool_key, {**claims, "client_id": second})
    moto_key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    kid = jwt.get_unverified_header(access)["kid"]
    public_pem = pool_key.as_pem(private=False)
    return {
        "garbage": ("not-a-jwt", "the token is not a JWT"),
        "expired": (expired, "the token has expired"),
        "another pool's": (foreign, "the token is signed with a key this pool does not publish"),
        "another issuer's claims, this pool's key": (
            sign(pool_key, {**claims, "iss": issuer_of(other_pool)}),
            "the token was issued by another pool",
        ),
        "another client's": (other_client, "the token was issued to another app client"),
        "an ID token": (tokens["IdToken"], "the token is not an access token"),
        "moto's key, its kid": (
            jwt.encode(claims, moto_key, "RS256", headers={"kid": "dummy"}),
            "the token is signed with a key this pool does not publish",
        ),
        "moto's key, the pool's kid": (
            jwt.encode(claims, moto_key, "RS256", headers={"kid": kid}),
            "the token's signature does not verify",
        ),
        "alg none": (
            jwt.encode(claims, None, "none", headers={"kid": kid}),
            "the token's algorithm is not RS256",
        ),
        "HS256 keyed with the public key": (
            _hs256(claims, public_pem, kid),
            "the token's algorithm is not RS256",
        ),
        "no kid": (
            jwt.encode(claims, moto_key, "RS256"),
            "the token names no signing key",
        ),
        "no token_use": (
            sign(pool_key, {k: v for k, v in claims.items() if k != "token_use"}),
            "the token lacks the token_use claim",
        ),
    }


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """The algorithm-confusion forgery: HS256 with the public key as the HMAC secret (PyJWT
    refuses to do it with a PEM key, so the signature is made by hand)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


def test_tokens_a_resource_server_must_refuse_get_401(
    notes: NotesServer,
    local_cognito_server: LocalCognito,
    pool: LocalCognitoInfo,
    tokens: dict[str, Any],
) -> None:
    for case, (token, reason) in _refused(local_cognito_server, pool, tokens).items():
        for method, path, body in (
            ("GET", "/notes", None),
            ("POST", "/notes", {"text": "x"}),
            ("DELETE", "/notes/abc", None),
        ):
            answer = call(f"{notes.url}{path}", method, token, body)
            assert answer.status == 401, case
            assert answer.body["error"]["code"] == "invalid_token", case
            assert answer.body["error"]["message"] == reason, case
            assert answer.headers["WWW-Authenticate"] == (
                f'Bearer realm="notes", error="invalid_token", error_description="{reason}"'
            ), case
    # Nothing was written by any of them.
    assert call(f"{notes.url}/notes", token=tokens["AccessToken"]).body == {"notes": []}


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "token abc"]
)
def test_no_bearer_token_is_401_without_an_error_code(
    notes: NotesServer, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = call(f"{notes.url}/notes", **headers)
    assert answer.status == 401
    # RFC 6750 section 3.1: a request with no credentials gets no error code.
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="notes"'
    assert answer.body["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"text": "hi"}', "text/plain", 415, "unsupported_media_type"),
        (b"{not json", "application/json", 400, "invalid_body"),
        (b'["text"]', "application/json", 400, "invalid_body"),
        (b'{"text": "hi", "pinned": true}', "application/json", 400, "invalid_body"),
        (b'{"text": "   "}', "application/json", 400, "invalid_text"),
        (b'{"text": 7}', "application/json", 400, "invalid_text"),
        (json.dumps({"text": "x" * 2001}).encode(), "application/json", 400, "invalid_text"),
        (b'{"text": "' + b"x" * MAX_BODY + b'"}', "application/json", 413, None),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(
    notes: NotesServer,
    tokens: dict[str, Any],
    body: bytes,
    content_type: str,
    status: int,
    code: str | None,
) -> None:
    access = tokens["AccessToken"]
    answer = call(f"{notes.url}/notes", "POST", access, body, **{"Content-Type": content_type})
    assert answer.status == status
    assert answer.body["error"]["code"] == (code or "request_entity_too_large")
    assert call(f"{notes.url}/notes", token=access).body == {"notes": []}


def test_unknown_routes_and_methods_answer_in_the_error_shape(
    notes: NotesServer, tokens: dict[str, Any]
) -> None:
    missing = call(f"{notes.url}/nothing-here")
    assert (missing.status, missing.body["error"]["code"]) == (404, "not_found")
    wrong = call(f"{notes.url}/notes", "PUT", tokens["AccessToken"], {"text": "x"})
    assert (wrong.status, wrong.body["error"]["code"]) == (405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}


class CountingFetch:
    """The real JWKS fetch, counted, on a clock the test moves."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.now = 1000.0

    def fetch(self, url: str, timeout: float) -> Any:
        self.urls.append(url)
        with urlopen(url, timeout=timeout) as response:  # noqa: S310 - the local Cognito
            return json.load(response)

    def clock(self) -> float:
        return self.now


def test_the_jwks_is_cached_and_refetched_on_an_unknown_kid_no_more_than_the_floor(
    local_cognito_server: LocalCognito, pool: LocalCognitoInfo, tokens: dict[str, Any]
) -> None:
    counting = CountingFetch()
    issuer = issuer_of(pool)
    keys = JwksCache(
        f"{issuer}/.well-known/jwks.json",
        refetch_floor=60,
        fetch=counting.fetch,
        clock=counting.clock,
    )
    verifier = AccessTokenVerifier(issuer, pool.client_id, keys)
    for _ in range(5):
        assert verifier.verify(tokens["AccessToken"]).sub == _claims(tokens["AccessToken"])["sub"]
    assert counting.urls == [f"{issuer}/.well-known/jwks.json"]  # fetched once, then cached

    # A new key the pool starts signing with (as after a key rotation): within the floor
    # its tokens are refused without a fetch; after it, one fetch finds the key.
    pool_object = local_cognito_server.backend.user_pools[pool.user_pool_id]
    from local_cognito.keys import new_signing_key

    old_key, pool_object.json_web_key = pool_object.json_web_key, new_signing_key()
    try:
        rotated = sign(pool_object.json_web_key, _claims(tokens["AccessToken"]))
        counting.now += 30
        for _ in range(20):
            with pytest.raises(Exception, match="does not publish"):
                verifier.verify(rotated)
        assert len(counting.urls) == 1
        counting.now += 31
        assert verifier.verify(rotated).client_id == pool.client_id
        assert len(counting.urls) == 2
        # The old key is gone from the JWKS now, and so are tokens signed with it.
        with pytest.raises(Exception, match="does not publish"):
            verifier.verify(tokens["AccessToken"])
    finally:
        pool_object.json_web_key = old_key


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_jwks_is_503_with_retry_after(tokens: dict[str, Any]) -> None:
    issuer = f"http://127.0.0.1:{_closed_port()}/eu-west-1_gone"
    server = serve(issuer, "client")
    try:
        for _ in range(2):  # the second within the floor: no new fetch, the same answer
            answer = call(f"{server.url}/notes", token=tokens["AccessToken"])
            assert answer.status == 503
            assert answer.body["error"]["code"] == "keys_unavailable"
            assert 1 <= int(answer.headers["Retry-After"]) <= 60
    finally:
        server.stop()


@pytest.mark.slow
def test_python_m_examples_notes_api_serves_on_the_port_it_prints(
    notes: NotesServer, pool: LocalCognitoInfo, tokens: dict[str, Any]
) -> None:
    command = [sys.executable, "-m", "examples.notes_api", "--port", "0"]
    command += ["--issuer", issuer_of(pool), "--client-id", pool.client_id]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            assert call(f"{url}/healthz").status == 200
            note = {"text": "from a process"}
            assert call(f"{url}/notes", "POST", tokens["AccessToken"], note).status == 201
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--client-id", "c"],
        ["--issuer", "ftp://host/pool", "--client-id", "c"],
        ["--issuer", "http://127.0.0.1:9229", "--client-id", "c"],
        ["--issuer", "http://127.0.0.1:9229/p", "--client-id", "c", "--port", "70000"],
    ],
)
def test_the_command_refuses_bad_arguments(arguments: list[str]) -> None:
    from examples.notes_api.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main(arguments)
    assert caught.value.code == 2
