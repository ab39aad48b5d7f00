"""Executes exporters' queries for one run: a per-run cache shared by exporters, and a trace of every query."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Hashable, Mapping

from .catalog import ExportContext, Query, Rows
from .warehouse import ArrayParam, Warehouse


@dataclass
class QueryTrace:
    export: str
    name: str
    seconds: float
    rows: int
    cached: bool


@dataclass
class QueryRunner:
    warehouse: Warehouse
    traces: list[QueryTrace] = field(default_factory=list)
    _cache: dict[Hashable, Rows] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, export: str, query: Query, ctx: ExportContext) -> Rows:
        params = dict(query.params(ctx))
        key = (query.sql, _freeze(params))
        started = time.perf_counter()
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            rows = self.warehouse.query(query.sql, params, label=f"{export}.{query.name}")
            with self._lock:
                self._cache[key] = rows
        else:
            rows = cached
        self.traces.append(QueryTrace(export, query.name, time.perf_counter() - started, len(rows), cached is not None))
        return rows

    def run_all(self, export: str, queries: tuple[Query, ...], ctx: ExportContext) -> dict[str, Rows]:
        return {query.name: self.run(export, query, ctx) for query in queries}

    def insert(self, table: str, rows: Rows) -> None:
        self.warehouse.insert_rows(table, rows)
        with self._lock:
            self._cache.clear()

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
