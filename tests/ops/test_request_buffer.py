"""bff.request_buffer: when one HTTP/1.1 request has all arrived, fed whole or one byte at
a time (as a slow client sends it), and what is handed over as it is for gunicorn or the
app to refuse."""

from __future__ import annotations

import pytest

from bff.request_buffer import MAX_HEAD_BYTES, Need, RequestBuffer

LIMIT = 1000
HEAD = b"POST /api/sign-in HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\n"


def _chunked(*pieces: bytes, trailers: bytes = b"") -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    return HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n" + trailers + b"\r\n"


WHOLE = {
    "no body": b"GET /api/flow HTTP/1.1\r\nHost: bff\r\n\r\n",
    "content-length": HEAD + b'Content-Length: 13\r\n\r\n{"a": "bcde"}',
    "content-length 0": HEAD + b"Content-Length: 0\r\n\r\n",
    "chunked": _chunked(b'{"a": ', b'"b"}'),
    "chunked with extensions and trailers": _chunked(b"{}", trailers=b"X-T: 1\r\n").replace(
        b"2\r\n{}", b"2;name=value\r\n{}"
    ),
    "case of header names": b"POST / HTTP/1.1\r\ncontent-LENGTH: 2\r\n\r\n{}",
}


@pytest.mark.parametrize("case", sorted(WHOLE))
def test_a_whole_request_is_handed_over_only_when_its_last_byte_arrives(case: str) -> None:
    request = WHOLE[case]
    buffer = RequestBuffer(LIMIT)
    for at in range(len(request) - 1):
        assert buffer.feed(request[at : at + 1]) is Need.MORE, (case, at)
    assert buffer.feed(request[-1:]) is Need.HANDOVER
    assert bytes(buffer.data) == request and not buffer.cut_short


@pytest.mark.parametrize("case", sorted(WHOLE))
def test_a_whole_request_fed_at_once_is_handed_over(case: str) -> None:
    assert RequestBuffer(LIMIT, WHOLE[case]).need is Need.HANDOVER


def test_a_pipelined_next_request_stays_in_the_buffer() -> None:
    both = WHOLE["content-length"] + b"GET /healthz HTTP/1.1\r\n"
    buffer = RequestBuffer(LIMIT, both)
    assert buffer.need is Need.HANDOVER
    assert bytes(buffer.data) == both  # the thread's parser reads one; the rest waits


MALFORMED = {
    "a chunk size that is not hex": HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n",
    "a transfer coding other than chunked": HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
    "two different lengths": HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n",
    "a length that is not a number": HEAD + b"Content-Length: -1\r\n\r\n",
    "a chunk-size line that never ends": HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"1" * 2000,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_what_cannot_be_framed_is_handed_over_for_gunicorn_to_refuse(case: str) -> None:
    assert RequestBuffer(LIMIT, MALFORMED[case]).need is Need.HANDOVER


def test_a_body_declared_over_the_limit_is_handed_over_with_its_head_alone() -> None:
    buffer = RequestBuffer(LIMIT, HEAD + b"Content-Length: 1001\r\n\r\n{")
    assert buffer.need is Need.HANDOVER
    assert buffer.cut_short  # the app answers 413; the connection must close after


def test_a_chunked_body_is_handed_over_once_more_than_the_limit_is_here() -> None:
    buffer = RequestBuffer(LIMIT, HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    assert buffer.feed(b"3e8\r\n" + b"a" * 1000 + b"\r\n") is Need.MORE  # at the limit
    assert buffer.feed(b"10\r\n") is Need.MORE  # a size line is no byte of body yet
    assert buffer.feed(b"b") is Need.HANDOVER
    assert buffer.cut_short


def test_chunked_framing_past_its_bound_is_too_large() -> None:
    """One byte per chunk, each with a long extension: the body stays small, the bytes
    held for it do not."""
    buffer = RequestBuffer(LIMIT, HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    need = Need.MORE
    chunks = 0
    while need is Need.MORE:
        need = buffer.feed(b"1;x=" + b"x" * 900 + b"\r\na\r\n")
        chunks += 1
    assert need is Need.BODY_TOO_LARGE
    assert chunks < LIMIT  # refused before the body itself reached the limit


def test_a_head_over_the_bound_is_too_large() -> None:
    buffer = RequestBuffer(LIMIT, b"GET / HTTP/1.1\r\n")
    need = Need.MORE
    while need is Need.MORE:
        need = buffer.feed(b"X-Filler: " + b"a" * 1000 + b"\r\n")
    assert need is Need.HEAD_TOO_LARGE
    assert len(buffer.data) > MAX_HEAD_BYTES


def test_a_client_waiting_for_100_continue_is_seen() -> None:
    buffer = RequestBuffer(LIMIT, HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert buffer.need is Need.MORE and buffer.expects_continue()
    buffer.feed(b"{}")
    assert buffer.need is Need.HANDOVER and not buffer.expects_continue()
