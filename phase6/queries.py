"""Executes exporters' queries for one run: a per-run cache shared by exporters, and a trace of every query."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Hashable, Mapping

from .catalog import SAFE_ENTITY, ExportContext, Query, Rows
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
    _cache: dict[Hashable, tuple[Rows, tuple[str, ...]]] = field(default_factory=dict)
    _left_out: dict[str, set[str]] = field(default_factory=dict)  # export → unpublishable player lookups it read
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
            rows, left_out = publishable(self.warehouse.query(query.sql, params, label=f"{export}.{query.name}"))
            with self._lock:
                self._cache[key] = (rows, left_out)
        else:
            rows, left_out = cached
        if left_out:
            with self._lock:
                self._left_out.setdefault(export, set()).update(left_out)
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

    def left_out_for(self, export: str) -> list[str]:
        """The player lookups an export's queries returned that can never be published (see `publishable`)."""
        return sorted(self._left_out.get(export, ()))

    def stats_for(self, export: str) -> tuple[int, int]:
        """(warehouse queries issued, rows read) by one export; cache hits are not queries."""
        mine = [trace for trace in self.traces if trace.export == export and not trace.cached]
        return len(mine), sum(trace.rows for trace in mine)


def publishable(rows: Rows) -> tuple[Rows, tuple[str, ...]]:
    """The rows without those whose player_lookup does not match SAFE_ENTITY, and those lookups: such a player
    cannot have a file of its own, so no document (fan-out file or aggregate) may list it."""
    left_out = {row["player_lookup"] for row in rows
                if isinstance(row.get("player_lookup"), str) and not SAFE_ENTITY.match(row["player_lookup"])}
    if not left_out:
        return rows, ()
    return [row for row in rows if row.get("player_lookup") not in left_out], tuple(sorted(left_out))


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
