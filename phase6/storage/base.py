"""The bucket interface: whole-object writes with content type, content encoding and Cache-Control in the same call.

A JSON body of 1 KiB or more is stored gzip-compressed with `Content-Encoding: gzip` (docs/api.md, Conventions);
`read()` always returns the decoded body, so callers never see the stored form."""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

JSON_CONTENT_TYPE = "application/json"
GZIP = "gzip"
GZIP_MIN_BYTES = 1024
# zlib's default level. On the demo day, level 9 stores 5 % fewer bytes for 2.6 times the CPU (0.29 s against
# 0.11 s per run; benchmarks/run.py, gzip section).
GZIP_LEVEL = 6


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int  # stored bytes
    updated: datetime
    cache_control: str | None
    content_type: str | None
    content_encoding: str | None = None


class StorageError(RuntimeError):
    """A bucket operation failed; the message names the object."""


def stored_form(data: bytes, content_type: str) -> tuple[bytes, str | None]:
    """The bytes to store for a body, and their Content-Encoding. The gzip header carries no time (mtime 0), so
    the same body always gives the same bytes. Other content types (the HTML run report) are stored as they are."""
    if content_type == JSON_CONTENT_TYPE and len(data) >= GZIP_MIN_BYTES:
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0), GZIP
    return data, None


class Bucket(Protocol):
    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None: ...

    def read(self, name: str) -> bytes | None:
        """The decoded body, or None when there is no such object."""
        ...

    def stat(self, name: str) -> ObjectInfo | None: ...

    def list(self, prefix: str, *, recursive: bool = True) -> list[ObjectInfo]:
        """Objects whose names start with `prefix`; with recursive=False only those with no further '/'."""
        ...
