"""The bucket interface: whole-object writes with content type and Cache-Control in the same call."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int
    updated: datetime
    cache_control: str | None
    content_type: str | None


class StorageError(RuntimeError):
    """A bucket operation failed; the message names the object."""


class Bucket(Protocol):
    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None: ...

    def read(self, name: str) -> bytes | None: ...

    def stat(self, name: str) -> ObjectInfo | None: ...

    def list(self, prefix: str, *, recursive: bool = True) -> list[ObjectInfo]:
        """Objects whose names start with `prefix`; with recursive=False only those with no further '/'."""
        ...
