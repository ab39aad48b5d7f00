"""Executes exporters' queries for one run: a per-run cache shared by exporters, and a trace of every query."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Hashable, Mapping

from .catalog import ExportContext, Query, Rows
from .clock import utc_now
from .formats import ts
from .warehouse import ArrayParam, Warehouse


QUERY_CONCURRENCY = 8  # an export's queries in flight at once


@dataclass
class QueryTrace:
    export: str
    name: str
    started_at: str  # wall clock, UTC
    seconds: float
    rows: int
    cached: bool


@dataclass
class QueryRunner:
    warehouse: Warehouse
    traces: list[QueryTrace] = field(default_factory=list)
    _cache: dict[Hashable, Rows] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=QUERY_CONCURRENCY, thread_name_prefix="query")
    )

    def run(self, export: str, query: Query, ctx: ExportContext) -> Rows:
        params = dict(query.params(ctx))
        key = (query.sql, _freeze(params))
        started_at = ts(utc_now()) or ""
        started = time.perf_counter()
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            rows = self.warehouse.query(query.sql, params, label=f"{export}.{query.name}")
            with self._lock:
                self._cache[key] = rows
        else:
            rows = cached
        seconds = time.perf_counter() - started
        self.traces.append(QueryTrace(export, query.name, started_at, seconds, len(rows), cached is not None))
        return rows

    def run_all(self, export: str, queries: tuple[Query, ...], ctx: ExportContext) -> dict[str, Rows]:
        """An export's queries run concurrently: on BigQuery each is a job with a round trip of about a second."""
        if len(queries) <= 1:
            return {query.name: self.run(export, query, ctx) for query in queries}
        results = list(self._pool.map(lambda query: self.run(export, query, ctx), queries))
        return {query.name: rows for query, rows in zip(queries, results)}

    def insert(self, table: str, rows: Rows) -> None:
        """Append rows, then forget the cached results of the queries that name the table (no view reads the one
        table the publisher writes, so naming it is the whole dependency)."""
        self.warehouse.insert_rows(table, rows)
        with self._lock:
            self._cache = {key: rows for key, rows in self._cache.items() if table not in key[0]}

    def stats_for(self, export: str) -> tuple[int, int]:
        """(warehouse queries issued, rows read) by one export; cache hits are not queries."""
        mine = [trace for trace in self.traces if trace.export == export and not trace.cached]
        return len(mine), sum(trace.rows for trace in mine)


def _freeze(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, ArrayParam):
        return (value.element_type, tuple(value.values))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, (date, datetime, str, int, float, bool)) or value is None:
        return value
    return repr(value)
