"""Bucket adapters, chosen by URL: `file://DIR` (embedded default) or `gs://BUCKET`."""
from __future__ import annotations

from ..config import Settings, local_path
from .base import JSON_CONTENT_TYPE, Bucket, ObjectInfo, StorageError

__all__ = ["Bucket", "JSON_CONTENT_TYPE", "ObjectInfo", "StorageError", "open_bucket"]


def open_bucket(settings: Settings) -> Bucket:
    url = settings.bucket_url
    if url.startswith("file://"):
        from .local import LocalBucket

        return LocalBucket(local_path(url, "file"))
    if url.startswith("gs://"):
        from .gcs import GCSBucket

        name = url[len("gs://"):].strip("/")
        if not name:
            raise ValueError(f"gs URL needs a bucket name: {url!r}")
        return GCSBucket(name)
    raise ValueError(f"unsupported bucket URL {url!r}; expected file://DIR or gs://BUCKET")
