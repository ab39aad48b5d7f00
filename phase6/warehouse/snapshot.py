"""Range reads for replays: read each table once for a chunk of dates into an in-memory DuckDB (a snapshot),
then run every day's unchanged SQL against the snapshot.

A query reads rows dated (by its tables' partition columns) between its smallest and its largest date parameter,
or from the beginning when it declares `reads_all_history`; a query with no date parameter reads its tables
whole. The union of those windows over a chunk's days and queries is what each table contributes to the snapshot.
`tests/test_backfill_ranges.py` replays days both ways and compares every file byte for byte.
"""
from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

import duckdb

from .base import Warehouse, WarehouseError
from .duckdb_backend import DuckDBWarehouse
from .schema import TABLES, create_schema, duckdb_type
from .slices import Extract, TableSlice
from .tables_read import tables_named

EXTRACT_CONCURRENCY = 8


Window = tuple[date | None, date | None]  # (lower, upper); None is unbounded
WHOLE: Window = (None, None)


def query_window(params: Mapping[str, Any], reads_all_history: bool) -> Window:
    """The dates a query with these parameters reads; WHOLE when it is not date-bound."""
    dates = [value for value in params.values() if isinstance(value, date)]
    if not dates:
        return WHOLE
    return (None if reads_all_history else min(dates)), max(dates)


def plan_slices(reads: Iterable[tuple[str, Mapping[str, Any], bool]]) -> list[TableSlice]:
    """One slice per table covering every read: (sql, params, reads_all_history) per query and day."""
    windows: dict[str, Window] = {}
    for sql, params, reads_all_history in reads:
        window = query_window(params, reads_all_history)
        for table in tables_named(sql):
            if table not in TABLES:
                raise WarehouseError(f"snapshot: {table} is not a known production table")
            windows[table] = _union(windows[table], window) if table in windows else window
    return [TableSlice(table, *window) if TABLES[table].partition_column else TableSlice(table)
            for table, window in sorted(windows.items())]


def _union(a: Window, b: Window) -> Window:
    lower = None if a[0] is None or b[0] is None else min(a[0], b[0])
    upper = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return lower, upper


def build_snapshot(extracts: Iterable[Extract]) -> DuckDBWarehouse:
    """An in-memory DuckDB with the production schema and the view, holding the extracted slices."""
    connection = duckdb.connect(":memory:")
    create_schema(connection)
    for extract in extracts:
        table = TABLES[extract.slice.table]
        path = str(extract.path).replace("'", "''")
        if extract.format == "parquet":
            source = f"read_parquet('{path}')"
        else:
            types = ", ".join(f"'{column.name}': '{duckdb_type(column.bq_type)}'" for column in table.columns)
            source = f"read_json('{path}', format='newline_delimited', columns={{{types}}})"
        columns = ", ".join(table.column_names)
        connection.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {source}")
    return DuckDBWarehouse.over(connection)


def take_snapshot(source: Warehouse, slices: Iterable[TableSlice]) -> tuple[DuckDBWarehouse, list[Extract]]:
    """Read each slice once from `source` (its `extract` method; a few at a time, as BigQuery jobs are round trips
    of about a second), then load them into a snapshot."""
    with tempfile.TemporaryDirectory(prefix="phase6-snapshot-") as folder:
        with ThreadPoolExecutor(max_workers=EXTRACT_CONCURRENCY, thread_name_prefix="extract") as pool:
            extracts = list(pool.map(lambda item: source.extract(item, Path(folder)), slices))
        return build_snapshot(extracts), extracts
