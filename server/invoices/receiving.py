"""A received body, spooled to a temporary file as it arrives: never whole in memory.

Up to the document limit the bytes are kept in the file for storing; past it only the first few KB
(the head), the SHA-256 and the size of the whole body are kept, so a refusal can still be recorded
and recognised when the same body comes again.
"""
from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from types import TracebackType
from typing import BinaryIO, Protocol, Self

HEAD_BYTES = 4096
CHUNK_BYTES = 64 * 1024


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclasses.dataclass
class SpooledBody:
    """What arrived: size and SHA-256 of all of it, its head, and (within the limit) all of it in a file."""

    file: BinaryIO
    size: int
    sha256: str
    head: bytes
    limit: int

    @property
    def too_large(self) -> bool:
        return self.size > self.limit

    def content(self) -> bytes:
        """The whole body (only within the limit: a larger one was never kept)."""
        if self.too_large:
            raise ValueError("a body over the limit is not kept")
        self.file.seek(0)
        return self.file.read()

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def spool(stream: Readable, *, limit: int, head_bytes: int = HEAD_BYTES) -> SpooledBody:
    """Read `stream` to its end in chunks: hashed and counted whole, written to disk up to `limit` bytes;
    the head is never longer than the limit, so a refused body is never kept whole."""
    digest, size, head, head_bytes = hashlib.sha256(), 0, bytearray(), min(head_bytes, limit)
    target = tempfile.TemporaryFile(prefix="stroom-body-")  # noqa: SIM115 - the SpooledBody closes it
    try:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
            if len(head) < head_bytes:
                head += chunk[:head_bytes - len(head)]
            if size + len(chunk) <= limit:
                target.write(chunk)
            elif size <= limit:
                target.truncate(0)  # over the limit: nothing but the head is kept
            size += len(chunk)
    except BaseException:
        target.close()
        raise
    return SpooledBody(file=target, size=size, sha256=digest.hexdigest(), head=bytes(head), limit=limit)
