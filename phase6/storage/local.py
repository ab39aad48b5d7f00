"""A local folder as the bucket. Each write goes to a temp file and is renamed into place, so a reader never
sees a partial object; the object's Cache-Control and content type are recorded in a sidecar under `.meta/`
for the local preview."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .base import JSON_CONTENT_TYPE, ObjectInfo, StorageError

META_DIR = ".meta"


class LocalBucket:
    def __init__(self, root: Path):
        self.root = root

    def _object_path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        root = self.root.resolve()
        if root not in path.parents or name.startswith(META_DIR):
            raise StorageError(f"object name {name!r} escapes the bucket")
        return path

    def _meta_path(self, name: str) -> Path:
        return self.root / META_DIR / f"{name}.json"

    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None:
        path = self._object_path(name)
        meta = json.dumps({"cache_control": cache_control, "content_type": content_type}).encode()
        with _os_errors("write of", name):
            _atomic_write(self._meta_path(name), meta)
            _atomic_write(path, data)

    def read(self, name: str) -> bytes | None:
        path = self._object_path(name)
        with _os_errors("read of", name):
            return path.read_bytes() if path.is_file() else None

    def stat(self, name: str) -> ObjectInfo | None:
        path = self._object_path(name)
        with _os_errors("metadata read of", name):
            return self._info(name, path) if path.is_file() else None

    def list(self, prefix: str, *, recursive: bool = True) -> list[ObjectInfo]:
        base = self.root / prefix
        directory = base if not prefix or prefix.endswith("/") else base.parent
        with _os_errors("listing", prefix):
            if not directory.is_dir():
                return []
            found = []
            for path in sorted(directory.rglob("*") if recursive else directory.iterdir()):
                name = path.relative_to(self.root).as_posix()
                if path.is_file() and name.startswith(prefix) and not name.startswith(META_DIR) and ".tmp-" not in path.name:
                    found.append(self._info(name, path))
            return found

    def metadata(self, name: str) -> dict[str, str]:
        meta = self._meta_path(name)
        return json.loads(meta.read_text()) if meta.is_file() else {}

    def _info(self, name: str, path: Path) -> ObjectInfo:
        stat = path.stat()
        meta = self.metadata(name)
        return ObjectInfo(
            name=name,
            size=stat.st_size,
            updated=datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc),
            cache_control=meta.get("cache_control"),
            content_type=meta.get("content_type"),
        )


@contextmanager
def _os_errors(action: str, name: str) -> Iterator[None]:
    """The storage error type for every operating-system error (permissions, a full disk, a path under a file)."""
    try:
        yield
    except OSError as error:
        raise StorageError(f"{action} {name} failed: {error}") from error


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise
