"""50 MB through the relay each way, streamed: the process's peak memory (BFF, upstream and
client share it, so the BFF's own growth is at most this) grows by less than 20 MB.

Measured with Linux's peak-RSS counter: writing 5 to /proc/self/clear_refs resets VmHWM to
the current RSS (proc(5)), so VmHWM afterwards is the peak of this transfer alone."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_helpers import SpaClient, sign_in_through_mfa_setup, sign_up_and_confirm
from flask import Flask
from relay_support import CHUNK, Recorder, Served, remote_apis

SIZE = 50 * 1024 * 1024
LIMIT = 20 * 1024 * 1024
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLEAR_REFS.exists(), reason="needs Linux's /proc/self/clear_refs"),
]


def _kib(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in {STATUS}")


def _peak_growth(transfer: Callable[[], None]) -> int:
    """Bytes the process's peak RSS rose above its RSS at the start, during ``transfer``."""
    CLEAR_REFS.write_text("5")
    start = _kib("VmRSS")
    transfer()
    return (_kib("VmHWM") - start) * 1024


@pytest.fixture
def setup(
    make_app: Callable[..., Flask], outbox: Any, unique_email: str, cognito_clock: Any
) -> Iterator[tuple[Served, str]]:
    upstream = Served(Recorder())
    app = make_app(BFF_REMOTE_APIS=remote_apis(upstream.url, max_body_bytes=SIZE))
    spa = SpaClient(app.test_client())
    sign_up_and_confirm(spa, outbox, unique_email)
    sign_in_through_mfa_setup(spa, unique_email, set(), cognito_clock)
    bff = Served(app)
    cookie = spa.cookie()
    assert cookie
    yield bff, cookie
    bff.close()
    upstream.close()


def _headers(cookie: str) -> dict[str, str]:
    return {"X-CSRF": "1", "Cookie": f"bff_session={cookie}"}


def test_a_50_mb_download_streams_through(setup: tuple[Served, str]) -> None:
    bff, cookie = setup
    received = 0

    def download() -> None:
        nonlocal received
        conn = bff.connection()
        conn.request("GET", f"/api/remote/notes/download/{SIZE}", headers=_headers(cookie))
        answer = conn.getresponse()
        assert answer.status == 200
        assert answer.getheader("Content-Length") == str(SIZE)
        while chunk := answer.read(CHUNK):
            received += len(chunk)
        conn.close()

    growth = _peak_growth(download)
    print(f"50 MB download: peak RSS grew {growth / 2**20:.1f} MB")
    assert received == SIZE
    assert growth < LIMIT


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_50_mb_upload_streams_through(setup: tuple[Served, str], framing: str) -> None:
    bff, cookie = setup
    answers: list[dict[str, Any]] = []

    def body() -> Iterator[bytes]:
        block = b"y" * CHUNK
        for _ in range(SIZE // CHUNK):
            yield block

    def upload() -> None:
        conn = bff.connection()
        headers = {**_headers(cookie), "Content-Type": "application/octet-stream"}
        if framing == "content-length":
            headers["Content-Length"] = str(SIZE)
        conn.request(
            "POST",
            "/api/remote/notes/upload",
            body=body(),
            headers=headers,
            encode_chunked=framing == "chunked",
        )
        answer = conn.getresponse()
        assert answer.status == 200
        answers.append(json.loads(answer.read()))
        conn.close()

    growth = _peak_growth(upload)
    print(f"50 MB upload ({framing}): peak RSS grew {growth / 2**20:.1f} MB")
    assert answers == [{"method": "POST", "target": "/upload", "size": SIZE}]
    assert growth < LIMIT


def test_the_measure_sees_a_buffered_body() -> None:
    """The control: holding 30 MB at once does show up in the peak."""
    growth = _peak_growth(lambda: bytes(bytearray(30 * 1024 * 1024)).count(b"x") and None)
    assert growth >= 25 * 1024 * 1024, growth
