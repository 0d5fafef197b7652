"""State that survives a restart: ``LocalCognito(state_dir=...)``, ``bff local-cognito
--state DIR``, and what a crash half-way through a write leaves."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from joserfc import jwk, jwt
from lc_support import cognito_error, remember_device
from pycognito.aws_srp import AWSSRP

from bff.local_outbox import OutboxReader
from local_cognito import LocalCognito
from local_cognito.state import STATE_FILE, StateError, StateStore

BFF = str(Path(sys.executable).with_name("bff"))


def _start(state_dir: Path, **kwargs: Any) -> LocalCognito:
    server = LocalCognito(state_dir=state_dir, **kwargs)
    server.start()
    return server


@pytest.fixture
def accounts_on(accounts: Any) -> Callable[[LocalCognito], Any]:
    """The emulator conftest's Accounts helper, for a server the test started itself."""

    def on(server: LocalCognito) -> Any:
        info = server.info
        return type(accounts)(server.client(), info, OutboxReader(info.endpoint_url), server.clock)

    return on


def _jwks(endpoint_url: str, pool_id: str) -> jwk.KeySet:
    import urllib.request

    with urllib.request.urlopen(f"{endpoint_url}/{pool_id}/.well-known/jwks.json") as response:
        return jwk.KeySet.import_key_set(json.load(response))


def test_a_restart_with_the_same_state_keeps_the_pool(
    tmp_path: Path, accounts_on: Any, unique_email: str
) -> None:
    first = _start(tmp_path)
    try:
        assert not first.restored
        accounts = accounts_on(first)
        account = accounts.with_mfa(unique_email)
        device = remember_device(first.client(), account)
        old_tokens = dict(account.tokens)
        before = first.info
        first.client().forgot_password(ClientId=before.client_id, Username=unique_email)
        outbox_before = OutboxReader(before.endpoint_url).messages(to=unique_email)
    finally:
        first.stop()

    second = _start(tmp_path)
    try:
        after = second.info
        client = second.client()
        assert second.restored
        assert (after.user_pool_id, after.client_id) == (before.user_pool_id, before.client_id)
        # The outbox: the confirmation code and the reset code sent before the restart.
        outbox = OutboxReader(after.endpoint_url)
        assert outbox.messages(to=unique_email) == outbox_before
        assert [m["kind"] for m in outbox_before] == ["confirmation_code", "password_reset_code"]
        # Tokens issued before: still accepted, and still verify against the JWKS.
        user = client.get_user(AccessToken=old_tokens["AccessToken"])
        assert user["Username"] == unique_email
        keys = _jwks(after.endpoint_url, after.user_pool_id)
        for name in ("AccessToken", "IdToken"):
            assert jwt.decode(old_tokens[name], keys).claims["sub"]
        # The refresh token is still bound to its device.
        with pytest.raises(client.exceptions.NotAuthorizedException):
            client.initiate_auth(
                ClientId=after.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": old_tokens["RefreshToken"]},
            )
        refreshed = client.initiate_auth(
            ClientId=after.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": old_tokens["RefreshToken"],
                "DEVICE_KEY": device["device_key"],
            },
        )
        assert "AccessToken" in refreshed["AuthenticationResult"]
        # The password and the TOTP secret: sign-in asks for the code, the old secret works.
        step = accounts_on(second).sign_in(account)
        assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        done = accounts_on(second).respond(
            "SOFTWARE_TOKEN_MFA",
            step["Session"],
            USERNAME=unique_email,
            SOFTWARE_TOKEN_MFA_CODE=account.totp_code(),
        )
        assert "AccessToken" in done["AuthenticationResult"]
        # The remembered device: SRP with the device's secret, no MFA.
        tokens = AWSSRP(
            username=unique_email,
            password=account.password,
            pool_id=after.user_pool_id,
            client_id=after.client_id,
            client=client,
            **device,
        ).authenticate_user()
        assert "AccessToken" in tokens["AuthenticationResult"]
        # The reset code sent before the restart still resets the password.
        client.confirm_forgot_password(
            ClientId=after.client_id,
            Username=unique_email,
            ConfirmationCode=outbox.latest_reset_code(unique_email),
            Password="Another-h0rse!",
        )
    finally:
        second.stop()


def test_revocations_survive_a_restart(tmp_path: Path, accounts_on: Any, unique_email: str) -> None:
    first = _start(tmp_path)
    try:
        account = accounts_on(first).with_mfa(unique_email)
        first.client().global_sign_out(AccessToken=account.tokens["AccessToken"])
    finally:
        first.stop()
    second = _start(tmp_path)
    try:
        client = second.client()
        assert cognito_error(client.get_user, AccessToken=account.tokens["AccessToken"]) == (
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
        assert cognito_error(
            client.initiate_auth,
            ClientId=second.info.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": account.tokens["RefreshToken"]},
        ) == ("NotAuthorizedException", "Refresh Token has been revoked")
    finally:
        second.stop()


def test_reset_starts_a_new_pool(tmp_path: Path, accounts_on: Any, unique_email: str) -> None:
    first = _start(tmp_path)
    try:
        accounts_on(first).confirmed(unique_email)
        old = first.info
    finally:
        first.stop()
    second = _start(tmp_path, reset=True)
    try:
        assert not second.restored
        assert second.info.user_pool_id != old.user_pool_id
        assert OutboxReader(second.info.endpoint_url).messages() == []
    finally:
        second.stop()
    third = _start(tmp_path)  # the reset pool is the one kept now
    try:
        assert third.info.user_pool_id == second.info.user_pool_id
    finally:
        third.stop()


def test_the_clock_offset_survives_a_restart(tmp_path: Path) -> None:
    first = _start(tmp_path)
    try:
        first.clock.advance(3600)
        first.persist()
    finally:
        first.stop()
    second = _start(tmp_path)
    try:
        assert second.clock.offset == 3600
    finally:
        second.stop()


def test_a_crash_between_write_and_rename_keeps_the_previous_state(
    tmp_path: Path, accounts_on: Any, unique_email: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _start(tmp_path)
    try:
        accounts_on(first).confirmed(unique_email)
        pool_id = first.info.user_pool_id

        def crash(*_args: Any) -> None:
            raise OSError("power cut")

        monkeypatch.setattr(os, "replace", crash)
        with pytest.raises(ClientError):  # the server answers 500 InternalErrorException
            first.client().admin_delete_user(UserPoolId=pool_id, Username=unique_email)
        monkeypatch.undo()
    finally:
        first.stop()
    # A torn temporary file as a crash mid-write would leave it, next to the live file.
    (tmp_path / ".local-cognito-state-torn.tmp").write_text('{"format": 1, "pools": [{"id"')
    second = _start(tmp_path)
    try:
        assert second.info.user_pool_id == pool_id
        # The last change (the delete) is lost; the user from before it is there.
        user = second.client().admin_get_user(UserPoolId=pool_id, Username=unique_email)
        assert user["UserStatus"] == "CONFIRMED"
        assert list(tmp_path.glob("*.tmp")) == []
    finally:
        second.stop()


def test_a_truncated_state_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text('{"format": 1, "pools": [')
    server = LocalCognito(state_dir=tmp_path)
    with pytest.raises(StateError, match="not valid JSON"):
        server.start()
    server.stop()
    assert (tmp_path / STATE_FILE).read_text() == '{"format": 1, "pools": ['


def test_unchanged_state_is_not_rewritten(tmp_path: Path) -> None:
    server = _start(tmp_path)
    try:
        store = server.state
        assert store is not None
        writes = store.writes
        server.client().list_users(UserPoolId=server.info.user_pool_id)
        assert server.persist() is False
        assert store.writes == writes
    finally:
        server.stop()


def test_state_file_is_private(tmp_path: Path) -> None:
    server = _start(tmp_path)
    server.stop()
    assert (tmp_path / STATE_FILE).stat().st_mode & 0o077 == 0


def test_store_round_trip_and_reset(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "nested")
    assert store.load() is None
    assert store.save({"format": 1, "x": 1}) is True
    assert store.save({"format": 1, "x": 1}) is False
    assert StateStore(tmp_path / "nested").load() == {"format": 1, "x": 1}
    store.reset()
    assert store.load() is None


def test_pool_ids_have_cognitos_format(local_cognito: Any) -> None:
    assert re.fullmatch(r"eu-west-1_[A-Za-z0-9]{9}", local_cognito.user_pool_id)


@pytest.mark.slow  # `bff` subprocesses
def test_cli_state_keeps_the_ids_across_restarts(tmp_path: Path) -> None:
    def run(*extra: str) -> dict[str, str]:
        process = subprocess.Popen(
            [BFF, "local-cognito", "--port", "0", "--json", "--state", str(tmp_path), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            info: dict[str, str] = json.loads(process.stdout.readline())
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0 and "Traceback" not in stderr
        return info

    first = run()
    again = run()
    assert (again["user_pool_id"], again["client_id"]) == (
        first["user_pool_id"],
        first["client_id"],
    )
    fresh = run("--reset")
    assert fresh["user_pool_id"] != first["user_pool_id"]


@pytest.mark.slow  # `bff` subprocesses
def test_cli_reports_an_unreadable_state_file(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("not json")
    result = subprocess.run(
        [BFF, "local-cognito", "--port", "0", "--state", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "not valid JSON" in result.stderr and "--reset" in result.stderr
    assert "Traceback" not in result.stderr


def test_bff_serve_keeps_its_pool_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bff_tools.serve import local_cognito_state_dir

    monkeypatch.setenv("BFF_INSTANCE_PATH", str(tmp_path))
    assert local_cognito_state_dir() == str(tmp_path / "local-cognito")


def test_app_factory_keeps_its_local_pool_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bff.app import create_app

    for key in ("COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "COGNITO_ENDPOINT_URL", "BFF_MODE"):
        monkeypatch.delenv(key, raising=False)
    pool_ids = []
    for _ in range(2):
        app = create_app({"BFF_INSTANCE_PATH": str(tmp_path)})
        local = app.extensions["bff"]["local_cognito"]
        pool_ids.append(local.info.user_pool_id)
        local.stop()
        app.extensions["bff"]["store"].close()
    assert pool_ids[0] == pool_ids[1]
    assert (tmp_path / "local-cognito" / STATE_FILE).exists()


def test_backend_attributes_declared_persistent_survive_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local_cognito.fidelity import LocalCognitoBackend

    monkeypatch.setattr(LocalCognitoBackend, "PERSISTED_ATTRIBUTES", ("extra_state",))
    first = _start(tmp_path)
    try:
        first.backend.extra_state = {"token": {"device-a", "device-b"}, "raw": b"\x00\x01"}  # type: ignore[attr-defined]
        first.persist()
    finally:
        first.stop()
    second = _start(tmp_path)
    try:
        assert second.backend.extra_state == {  # type: ignore[attr-defined]
            "token": {"device-a", "device-b"},
            "raw": b"\x00\x01",
        }
    finally:
        second.stop()
