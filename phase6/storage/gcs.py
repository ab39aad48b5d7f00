"""Cloud Storage as the bucket: one upload call carries the media, content type, content encoding and Cache-Control.

A compressed object is served compressed to readers that accept gzip and decompressed by Cloud Storage for the
others (decompressive transcoding); the client library asks for gzip and decodes, so `read()` returns the body.
Retries use the client library's own policy (DEFAULT_RETRY); repeating a whole-object upload is harmless.
"""
from __future__ import annotations

from typing import Any

from .base import JSON_CONTENT_TYPE, ObjectInfo, StorageError, stored_form


class GCSBucket:
    concurrency = 32  # uploads at once: each is a round trip of about 60 ms, so threads mostly wait

    def __init__(self, bucket_name: str, client: Any = None, timeout: float = 60.0):
        from google.cloud import storage
        from google.cloud.storage.retry import DEFAULT_RETRY

        try:  # missing credentials or project fail here
            self._client = client or storage.Client()
            self._bucket = self._client.bucket(bucket_name)
        except Exception as error:
            raise StorageError(f"cannot open bucket gs://{bucket_name}: {error}") from error
        self._retry = DEFAULT_RETRY
        self._timeout = timeout

    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None:
        stored, encoding = stored_form(data, content_type)
        blob = self._bucket.blob(name)
        blob.cache_control = cache_control
        blob.content_encoding = encoding
        try:
            blob.upload_from_string(stored, content_type=content_type, retry=self._retry, timeout=self._timeout)
        except Exception as error:
            raise StorageError(f"upload of {name} failed: {error}") from error

    def read(self, name: str) -> bytes | None:
        from google.api_core.exceptions import NotFound

        try:
            return self._bucket.blob(name).download_as_bytes(retry=self._retry, timeout=self._timeout)
        except NotFound:
            return None
        except Exception as error:
            raise StorageError(f"download of {name} failed: {error}") from error

    def stat(self, name: str) -> ObjectInfo | None:
        try:
            blob = self._bucket.get_blob(name, retry=self._retry, timeout=self._timeout)
        except Exception as error:
            raise StorageError(f"metadata read of {name} failed: {error}") from error
        return _info(blob) if blob is not None else None

    def list(self, prefix: str, *, recursive: bool = True) -> list[ObjectInfo]:
        delimiter = None if recursive else "/"
        try:
            blobs = self._client.list_blobs(self._bucket, prefix=prefix, delimiter=delimiter, retry=self._retry)
            return [_info(blob) for blob in blobs]
        except Exception as error:
            raise StorageError(f"listing {prefix} failed: {error}") from error


def _info(blob: Any) -> ObjectInfo:
    return ObjectInfo(
        name=blob.name,
        size=int(blob.size or 0),
        updated=blob.updated,
        cache_control=blob.cache_control,
        content_type=blob.content_type,
        content_encoding=blob.content_encoding,
    )
