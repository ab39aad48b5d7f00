"""Simulated production: the embedded warehouse and bucket with a fixed round-trip latency added to every call,
to model BigQuery jobs (about 1 s each) and Cloud Storage uploads (about 60 ms each). Used by the benchmark.

Every simulated call is recorded on a `Timeline` (kind, start, end), so the benchmark can tell how much of a run's
wall time was spent waiting on the warehouse, on the bucket, on both, or on neither (CPU and local I/O)."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from .storage import Bucket, ObjectInfo
from .storage.base import JSON_CONTENT_TYPE
from .storage.gcs import GCSBucket
from .warehouse import Rows, Warehouse
from .warehouse.bigquery_backend import BigQueryWarehouse
from .warehouse.slices import Extract, TableSlice

DEFAULT_QUERY_LATENCY = 1.0
DEFAULT_UPLOAD_LATENCY = 0.060


@dataclass
class Timeline:
    """(kind, start, end) of every simulated call, on time.perf_counter(): kind is "query" or "bucket"."""

    calls: list[tuple[str, float, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def call(self, kind: str, latency: float) -> Iterator[None]:
        started = time.perf_counter()
        time.sleep(latency)
        try:
            yield
        finally:
            with self._lock:
                self.calls.append((kind, started, time.perf_counter()))

    def between(self, start: float, end: float) -> list[tuple[str, float, float]]:
        with self._lock:
            return [call for call in self.calls if call[1] >= start and call[2] <= end]


@dataclass
class SlowWarehouse:
    inner: Warehouse
    latency: float = DEFAULT_QUERY_LATENCY
    timeline: Timeline = field(default_factory=Timeline)
    concurrency: int = BigQueryWarehouse.concurrency  # as many queries at once as production sends

    def query(self, sql: str, params: Mapping[str, Any] | None = None, *, label: str = "") -> Rows:
        with self.timeline.call("query", self.latency):
            return self.inner.query(sql, params, label=label)

    def insert_rows(self, table: str, rows: Rows) -> None:
        with self.timeline.call("query", self.latency):
            self.inner.insert_rows(table, rows)

    def extract(self, table_slice: TableSlice, folder: Path) -> Extract:
        with self.timeline.call("query", self.latency):
            return self.inner.extract(table_slice, folder)

    def columns(self, tables: Sequence[str]) -> dict[str, dict[str, str]]:
        with self.timeline.call("query", self.latency):  # one INFORMATION_SCHEMA job per dataset, concurrently
            return self.inner.columns(tables)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # demo_now and other extras of the embedded warehouse
        return getattr(self.inner, name)


@dataclass
class SlowBucket:
    inner: Bucket
    latency: float = DEFAULT_UPLOAD_LATENCY
    timeline: Timeline = field(default_factory=Timeline)
    concurrency: int = GCSBucket.concurrency  # as many uploads at once as production sends

    def write(self, name: str, data: bytes, *, cache_control: str, content_type: str = JSON_CONTENT_TYPE) -> None:
        with self.timeline.call("bucket", self.latency):
            self.inner.write(name, data, cache_control=cache_control, content_type=content_type)

    def read(self, name: str) -> bytes | None:
        with self.timeline.call("bucket", self.latency):
            return self.inner.read(name)

    def stat(self, name: str) -> ObjectInfo | None:
        with self.timeline.call("bucket", self.latency):
            return self.inner.stat(name)

    def list(self, prefix: str, *, recursive: bool = True) -> list[ObjectInfo]:
        with self.timeline.call("bucket", self.latency):
            return self.inner.list(prefix, recursive=recursive)
