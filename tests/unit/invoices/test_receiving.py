"""A body is spooled to disk as it arrives: kept whole up to the limit, past it only head, digest and size."""
from __future__ import annotations

import hashlib
import io

import pytest

from server.invoices.receiving import HEAD_BYTES, spool


class Trickle(io.RawIOBase):
    """A stream that hands out at most 1,000 bytes per read, as a socket does."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece = self.data[self.at:self.at + min(size if size >= 0 else len(self.data), 1000)]
        self.at += len(piece)
        return piece


@pytest.mark.parametrize("size", [0, 1, 4095, 4096])
def test_a_body_up_to_the_limit_is_kept_whole(size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    with spool(Trickle(data), limit=4096) as body:
        assert not body.too_large and body.content() == data
        assert (body.size, body.sha256) == (size, hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("size", [4097, 300_000])
def test_a_body_over_the_limit_keeps_head_digest_and_size_only(size):
    data = b"<Invoice>" + b"y" * (size - 9)
    with spool(Trickle(data), limit=4096) as body:
        assert body.too_large and body.size == len(data)
        assert body.sha256 == hashlib.sha256(data).hexdigest()
        assert body.head == data[:HEAD_BYTES]
        body.file.seek(0, io.SEEK_END)
        assert body.file.tell() == 0  # nothing of it stays on disk either
        with pytest.raises(ValueError):
            body.content()


def test_under_a_limit_smaller_than_the_head_the_head_is_cut_at_the_limit():
    data = b"z" * 5000
    with spool(Trickle(data), limit=1000) as body:
        assert body.too_large and body.head == data[:1000]
