"""A local folder as the bucket, storing what Cloud Storage would store.

- A write goes to a temp file beside the object (`.NAME.tmp-*`) and is renamed into place, so a reader never sees
  a partial object. The temp file is created with the process's file mode (0666 less the umask, like any file the
  process writes) and stays locked (`flock`) by its writer until the rename.
- Each object's Cache-Control and content type are recorded in a sidecar under `.meta/`, written only when they
  change, so writing an object again with the same headers is one file write.
- JSON bodies of 1 KiB or more are stored gzip-compressed (`base.stored_form`). The gzip header marks a compressed
  object, so its Content-Encoding is read from the stored bytes themselves and never disagrees with them, even
  after a crash between the sidecar's rename and the object's.
- A name with a segment that starts with "." (temp files, `.meta/`, `..`) is the bucket's own, never an object.
- Opening the bucket removes the temp files of writers that died (a killed run's): those nobody holds locked.
"""
from __future__ import annotations

import contextlib
import fcntl
import gzip
import json
import os
import secrets
import time
import zlib
from dataclasses import dataclass
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .base import GZIP, JSON_CONTENT_TYPE, ObjectInfo, StorageError, stored_form

META_DIR = ".meta"
TEMP_MARKER = ".tmp-"
GZIP_MAGIC = b"\x1f\x8b"
# A temp file is created, then locked: one younger than this may belong to a writer between the two steps.
ABANDONED_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class StoredObject:
    """An object as the folder holds it: the stored (possibly compressed) bytes and their headers."""

    data: bytes
    content_type: str | None
    cache_control: str | None
    content_encoding: str | None

    def decoded(self) -> bytes:
        if self.content_encoding != GZIP:
            return self.data
        try:
            return gzip.decompress(self.data)
        except (OSError, EOFError, zlib.error) as error:
            raise StorageError(f"stored gzip body is corrupt: {error}") from error


def is_object_name(name: str) -> bool:
    """Relative, with no empty segment and no segment starting with '.' (the bucket's own files, `..`)."""
    return bool(name) and "\0" not in name and all(segment and not segment.startswith(".") for segment in name.split("/"))


class LocalBucket:
    concurrency = 2  # writes at once: a local write is CPU and file-system work, not a wait

    def __init__(self, root: Path):
        self.root = root
        self.removed_temp_files = remove_abandoned_temp_files(root)
        self._folders: set[str] = set()  # folders this bucket has made sure exist (a removed one is made again)

    def _object_path(self, name: str) -> Path:
        if not is_object_name(name):
            raise StorageError(f"{name!r} is not an object name (relative, no empty or dot-prefixed segments)")
        return self.root / name

    def _meta_path(self, name: str) -> Path:
        return self.root / META_DIR / f"{name}.json"

    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None:
        path = self._object_path(name)
        stored, _ = stored_form(data, content_type)
        meta = json.dumps({"cache_control": cache_control, "content_type": content_type}).encode()
        meta_path = self._meta_path(name)
        try:
            if _current(meta_path) != meta:  # an object written again with the same headers keeps its sidecar
                _atomic_write(meta_path, meta, self._folders)
            _atomic_write(path, stored, self._folders)
        except OSError as error:
            raise StorageError(f"write of {name} failed: {error}") from error

    def read_stored(self, name: str) -> StoredObject | None:
        path = self._object_path(name)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as error:
            raise StorageError(f"read of {name} failed: {error}") from error
        meta = self.metadata(name)
        return StoredObject(data, meta.get("content_type"), meta.get("cache_control"), _encoding(data[:2]))

    def read(self, name: str) -> bytes | None:
        stored = self.read_stored(name)
        if stored is None:
            return None
        try:
            return stored.decoded()
        except StorageError as error:
            raise StorageError(f"read of {name} failed: {error}") from error

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
                if name.startswith(prefix) and is_object_name(name) and path.is_file():
                    found.append(self._info(name, path))
            return found

    def metadata(self, name: str) -> dict[str, str]:
        self._object_path(name)
        meta = self._meta_path(name)
        with _os_errors("metadata read of", name):
            return json.loads(meta.read_text()) if meta.is_file() else {}

    def _info(self, name: str, path: Path) -> ObjectInfo:
        try:
            with path.open("rb") as stored:
                head, status = stored.read(2), os.fstat(stored.fileno())
        except OSError as error:
            raise StorageError(f"metadata read of {name} failed: {error}") from error
        meta = self.metadata(name)
        return ObjectInfo(
            name=name,
            size=status.st_size,
            updated=datetime.fromtimestamp(status.st_mtime, tz=timezone.utc),
            cache_control=meta.get("cache_control"),
            content_type=meta.get("content_type"),
            content_encoding=_encoding(head),
        )


@contextmanager
def _os_errors(action: str, name: str) -> Iterator[None]:
    """The storage error type for every operating-system error (permissions, a full disk, a path under a file)."""
    try:
        yield
    except OSError as error:
        raise StorageError(f"{action} {name} failed: {error}") from error


def _encoding(head: bytes) -> str | None:
    return GZIP if head == GZIP_MAGIC else None


def _current(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as stored:
            return stored.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _atomic_write(path: Path, data: bytes, folders: set[str]) -> None:
    """`folders`: the folders known to exist, so that a write into one of them skips making it."""
    folder, name = os.path.split(path)
    temp = os.path.join(folder, f".{name}{TEMP_MARKER}{secrets.token_hex(4)}")
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    try:
        try:
            output = open(temp, "xb")  # O_EXCL, mode 0666 less the umask
        except FileNotFoundError:  # the folder was removed since
            os.makedirs(folder, exist_ok=True)
            output = open(temp, "xb")
        with output:
            fcntl.flock(output, fcntl.LOCK_EX)  # held until closed, after the rename
            output.write(data)
            output.flush()
            os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_abandoned_temp_files(root: Path) -> int:
    """Removes the temp files under `root` that no live writer holds (a killed writer's lock dies with it) and that
    are older than ABANDONED_AFTER_SECONDS. Returns how many it removed."""
    removed = 0
    for directory, _, names in os.walk(root):
        for name in names:
            if name.startswith(".") and TEMP_MARKER in name and _remove_if_abandoned(Path(directory, name)):
                removed += 1
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    try:
        with path.open("rb") as temp:
            if time.time() - os.fstat(temp.fileno()).st_mtime < ABANDONED_AFTER_SECONDS:
                return False
            fcntl.flock(temp, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()
            return True
    except OSError:  # locked by a live writer, renamed or removed meanwhile, or not ours to remove
        return False
