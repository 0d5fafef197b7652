"""Knows when the bytes of one HTTP/1.1 request have all arrived, without a thread waiting.

bff.gunicorn_worker reads each request into memory in its event loop, and hands it to a
thread only once it is whole (headers, then the body by its ``Content-Length`` or its
chunked framing), so a slow client holds a buffer, never a thread. This module only looks
for the ends: it does not validate the request. Anything it cannot frame (a malformed
length, chunk size or transfer coding) is handed over as it is, for gunicorn's parser to
refuse with the usual 400 or 501; a body declared over the limit is handed over with its
headers alone, for the app to answer 413 without reading it.
"""

from __future__ import annotations

import enum
import re

#: Request line and headers together; more is answered 431 (gunicorn's own limits are per
#: line and per field, 4094 and 8190 bytes by 100 fields).
MAX_HEAD_BYTES = 64 * 1024
#: A chunk-size line longer than this is malformed: handed over for gunicorn to refuse.
MAX_CHUNK_LINE = 1024
_HEAD_END = b"\r\n\r\n"
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class Need(enum.Enum):
    """What the buffer needs next."""

    MORE = "more"  # more bytes: the request is not whole yet
    HANDOVER = "handover"  # enough: a thread can parse it without waiting for the client
    HEAD_TOO_LARGE = "head_too_large"  # 431, from the event loop
    BODY_TOO_LARGE = "body_too_large"  # 413, from the event loop (framing past the bound)


class RequestBuffer:
    """The bytes of one request as they arrive; ``feed`` says what is needed next.

    ``max_body``: the largest body the app takes (decoded); a body declared larger is
    handed over at once (the app answers 413), a chunked one as soon as more than that has
    arrived. ``max_raw_body`` bounds the chunked framing too (tiny chunks triple the size).
    """

    def __init__(self, max_body: int, initial: bytes = b"") -> None:
        self.data = bytearray()
        self.max_body = max_body
        self.max_raw_body = 2 * max_body + MAX_HEAD_BYTES
        self.head_end: int | None = None
        self._content_length: int | None = None
        self._chunked = False
        self._chunk_at = 0  # where the next chunk-size line starts
        self._decoded = 0
        self._need = Need.MORE
        #: Handed over before the body was all here (over ``max_body``): the answer must
        #: close the connection, its unread rest cannot be skipped without waiting.
        self.cut_short = False
        if initial:
            self.feed(initial)

    @property
    def need(self) -> Need:
        return self._need

    @property
    def head_done(self) -> bool:
        return self.head_end is not None

    def expects_continue(self) -> bool:
        """The client waits for ``100 Continue`` before it sends its body."""
        if self.head_end is None or self._need is not Need.MORE:
            return False
        head = bytes(self.data[: self.head_end]).lower()
        return b"\r\nexpect:" in head and b"100-continue" in head

    def feed(self, chunk: bytes) -> Need:
        before = len(self.data)
        self.data += chunk
        if self.head_end is None:
            found = self.data.find(_HEAD_END, max(0, before - 3))
            if found < 0:
                self._need = Need.HEAD_TOO_LARGE if len(self.data) > MAX_HEAD_BYTES else Need.MORE
                return self._need
            self.head_end = found + len(_HEAD_END)
            if self.head_end > MAX_HEAD_BYTES:
                self._need = Need.HEAD_TOO_LARGE
                return self._need
            if not self._read_framing():
                self._need = Need.HANDOVER
                return self._need
        self._need = self._body_need()
        return self._need

    def _read_framing(self) -> bool:
        """Content-Length or chunked from the head; False: hand over as it is (no body, or
        a framing gunicorn must judge)."""
        assert self.head_end is not None
        lengths: set[bytes] = set()
        codings: list[bytes] = []
        for line in bytes(self.data[: self.head_end - 4]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                lengths.add(value.strip())
            elif name == b"transfer-encoding":
                codings.append(value.strip().lower())
        if codings:
            # Only "chunked" last is framed here; anything else is gunicorn's to refuse.
            self._chunked = b",".join(codings).rsplit(b",", 1)[-1].strip() == b"chunked"
            self._chunk_at = self.head_end
            return self._chunked
        if len(lengths) != 1:
            return False  # no body, or conflicting lengths (gunicorn answers 400)
        (length,) = lengths
        if not length.isdigit() or len(length) > 18:
            return False
        self._content_length = int(length)
        return self._content_length > 0

    def _body_need(self) -> Need:
        assert self.head_end is not None
        received = len(self.data) - self.head_end
        if self._content_length is not None:
            if self._content_length > self.max_body:
                self.cut_short = received < self._content_length
                return Need.HANDOVER
            return Need.HANDOVER if received >= self._content_length else Need.MORE
        if received > self.max_raw_body:
            return Need.BODY_TOO_LARGE
        return self._chunks_need()

    def _chunks_need(self) -> Need:
        while True:
            line_end = self.data.find(b"\r\n", self._chunk_at)
            if line_end < 0:
                too_long = len(self.data) - self._chunk_at > MAX_CHUNK_LINE
                return Need.HANDOVER if too_long else Need.MORE
            line = bytes(self.data[self._chunk_at : line_end]).split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(line):
                return Need.HANDOVER  # malformed: gunicorn answers it
            size = int(line, 16)
            data_at = line_end + 2
            if size == 0:
                return self._trailers_need(data_at)
            arrived = min(size, len(self.data) - data_at)
            if self._decoded + arrived > self.max_body:
                self.cut_short = True
                return Need.HANDOVER  # more than the app takes is here: it answers 413
            if len(self.data) < data_at + size + 2:
                return Need.MORE
            self._decoded += size
            self._chunk_at = data_at + size + 2

    def _trailers_need(self, at: int) -> Need:
        if self.data[at : at + 2] == b"\r\n":
            return Need.HANDOVER
        return Need.HANDOVER if self.data.find(_HEAD_END, at - 2) >= 0 else Need.MORE
