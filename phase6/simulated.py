"""Simulated production: the embedded warehouse and bucket with a fixed round-trip latency added to every call,
to model BigQuery jobs (about 1 s each) and Cloud Storage uploads (about 60 ms each). Used by the benchmark."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .storage import Bucket, ObjectInfo
from .storage.base import JSON_CONTENT_TYPE
from .warehouse import Rows, Warehouse
from .warehouse.slices import Extract, TableSlice

DEFAULT_QUERY_LATENCY = 1.0
DEFAULT_UPLOAD_LATENCY = 0.060


@dataclass
class SlowWarehouse:
    inner: Warehouse
    latency: float = DEFAULT_QUERY_LATENCY

    def query(self, sql: str, params: Mapping[str, Any] | None = None, *, label: str = "") -> Rows:
        time.sleep(self.latency)
        return self.inner.query(sql, params, label=label)

    def insert_rows(self, table: str, rows: Rows) -> None:
        time.sleep(self.latency)
        self.inner.insert_rows(table, rows)

    def extract(self, table_slice: TableSlice, folder: Path) -> Extract:
        time.sleep(self.latency)
        return self.inner.extract(table_slice, folder)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # demo_now and other extras of the embedded warehouse
        return getattr(self.inner, name)


@dataclass
class SlowBucket:
    inner: Bucket
    latency: float = DEFAULT_UPLOAD_LATENCY

    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None:
        time.sleep(self.latency)
        self.inner.write(name, data, cache_control=cache_control, content_type=content_type)

    def read(self, name: str) -> bytes | None:
        time.sleep(self.latency)
        return self.inner.read(name)

    def stat(self, name: str) -> ObjectInfo | None:
        time.sleep(self.latency)
        return self.inner.stat(name)

    def list(self, prefix: str, *, recursive: bool = True) -> list[ObjectInfo]:
        time.sleep(self.latency)
        return self.inner.list(prefix, recursive=recursive)
