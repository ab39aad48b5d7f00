"""Executes exporters' queries for one run: a per-run cache shared by exporters, and a trace of every query.

Queries are submitted ahead of need (`prefetch`): the runner sends every query of a run at its start, so a day pays
one wave of warehouse round trips instead of one per export. A statement is sent once per run (same SQL, same
parameters); whoever needs it later waits for the same result, and a failed one is tried once per export that needs
it. A query that must wait for a table the run writes (a materialization) is held back (`prefetch(..., hold=)`)
and sent when `release` says the table is written (or will not be). Every warehouse call is traced once, attributed
to the export that first needed it; a later export's use of the result is traced as cached.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Hashable, Iterable, Mapping

from .catalog import SAFE_ENTITY, ExportContext, Query, Rows
from .clock import utc_now
from .formats import ts
from .warehouse import ArrayParam, Warehouse

QUERY_CONCURRENCY = 8  # queries in flight at once when the warehouse does not say (test doubles)

Result = tuple[Rows, tuple[str, ...]]  # publishable rows, and the player lookups left out of them


@dataclass
class QueryTrace:
    export: str
    name: str
    started_at: str  # wall clock, UTC
    seconds: float
    rows: int
    cached: bool


def query_concurrency(warehouse: Warehouse) -> int:
    """How many queries the warehouse takes at once: its `concurrency`, or QUERY_CONCURRENCY."""
    return max(1, int(getattr(warehouse, "concurrency", QUERY_CONCURRENCY)))


@dataclass
class QueryRunner:
    warehouse: Warehouse
    pool: ThreadPoolExecutor | None = None  # shared by the runner's runs; a private one when None
    traces: list[QueryTrace] = field(default_factory=list)
    _cache: dict[Hashable, Future[Result]] = field(default_factory=dict)  # statement → its latest sending
    _taken: dict[tuple[str, Hashable], Future[Result]] = field(default_factory=dict)  # (export, statement) → its try
    _held: dict[str, list[tuple[str, Query, ExportContext]]] = field(default_factory=dict)  # table → queries
    _left_out: dict[str, set[str]] = field(default_factory=dict)  # export → unpublishable player lookups it read
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=query_concurrency(self.warehouse), thread_name_prefix="query")

    def prefetch(self, export: str, queries: tuple[Query, ...], ctx: ExportContext, *,
                 hold: Iterable[str] = ()) -> None:
        """Send the queries now, without waiting; one whose SQL names a table of `hold` waits for `release` of it."""
        hold = tuple(hold)
        for query in queries:
            table = next((table for table in hold if table in query.sql), None)
            if table is None:
                self._submit(export, query, ctx)
            else:
                with self._lock:
                    self._held.setdefault(table, []).append((export, query, ctx))

    def release(self, table: str) -> None:
        """The run has written `table` (or will not): send the queries held back for it."""
        with self._lock:
            held = self._held.pop(table, [])
        for export, query, ctx in held:
            self._submit(export, query, ctx)

    def cancel(self) -> None:
        """Drop the queries not started yet (the run stops before its first export)."""
        with self._lock:
            self._held.clear()
            for future in self._cache.values():
                future.cancel()

    def run(self, export: str, query: Query, ctx: ExportContext) -> Rows:
        return self._rows(export, query, self._submit(export, query, ctx))

    def run_all(self, export: str, queries: tuple[Query, ...], ctx: ExportContext) -> dict[str, Rows]:
        """Every query sent at once (those already in flight are not sent again), then each result in turn."""
        futures = [(query, self._submit(export, query, ctx)) for query in queries]
        return {query.name: self._rows(export, query, future) for query, future in futures}

    def _rows(self, export: str, query: Query, future: Future[Result]) -> Rows:
        started_at, started = ts(utc_now()) or "", time.perf_counter()
        rows, left_out = future.result()
        if left_out:
            with self._lock:
                self._left_out.setdefault(export, set()).update(left_out)
        if future.issuer != export:  # type: ignore[attr-defined]
            self._trace(QueryTrace(export, query.name, started_at, time.perf_counter() - started, len(rows), True))
        return rows

    def insert(self, table: str, rows: Rows) -> None:
        """Append rows, then forget the cached results of the queries that name the table (no view reads the one
        table the publisher writes, so naming it is the whole dependency)."""
        self.warehouse.insert_rows(table, rows)
        with self._lock:
            self._cache = {key: future for key, future in self._cache.items() if table not in key[0]}
            self._taken = {key: future for key, future in self._taken.items() if table not in key[1][0]}

    def left_out_for(self, export: str) -> list[str]:
        """The player lookups an export's queries returned that can never be published (see `publishable`)."""
        return sorted(self._left_out.get(export, ()))

    def stats_for(self, export: str) -> tuple[int, int]:
        """(warehouse queries issued, rows read) by one export; cache hits are not queries."""
        with self._lock:
            mine = [trace for trace in self.traces if trace.export == export and not trace.cached]
        return len(mine), sum(trace.rows for trace in mine)

    def _submit(self, export: str, query: Query, ctx: ExportContext) -> Future[Result]:
        """The query's future for `export`: the one it already took, else the statement's latest sending unless that
        failed, else a new sending. So a statement in flight or answered is sent once for every export that needs
        it, and a failed one is tried once per export (as when each export ran its own queries). `issuer` is the
        export that sent it."""
        params = dict(query.params(ctx))
        key = (query.sql, _freeze(params))
        with self._lock:
            future = self._taken.get((export, key))
            if future is None:
                future = self._cache.get(key)
                if future is None or _failed(future):
                    future = self.pool.submit(self._call, export, query, params)  # type: ignore[union-attr]
                    future.issuer = export  # type: ignore[attr-defined]
                    self._cache[key] = future
                self._taken[(export, key)] = future
        return future

    def _call(self, export: str, query: Query, params: dict[str, Any]) -> Result:
        started_at, started = ts(utc_now()) or "", time.perf_counter()
        result = publishable(self.warehouse.query(query.sql, params, label=f"{export}.{query.name}"))
        self._trace(QueryTrace(export, query.name, started_at, time.perf_counter() - started, len(result[0]), False))
        return result

    def _trace(self, trace: QueryTrace) -> None:
        with self._lock:
            self.traces.append(trace)


def publishable(rows: Rows) -> tuple[Rows, tuple[str, ...]]:
    """The rows without those whose player_lookup does not match SAFE_ENTITY, and those lookups: such a player
    cannot have a file of its own, so no document (fan-out file or aggregate) may list it."""
    left_out = {row["player_lookup"] for row in rows
                if isinstance(row.get("player_lookup"), str) and not SAFE_ENTITY.match(row["player_lookup"])}
    if not left_out:
        return rows, ()
    return [row for row in rows if row.get("player_lookup") not in left_out], tuple(sorted(left_out))


def _failed(future: Future[Result]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)


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
