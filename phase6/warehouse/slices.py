"""What a range read copies: a slice of one production table, and the local file an adapter extracted it to."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from .schema import TABLES

if TYPE_CHECKING:
    from .base import Warehouse


@dataclass(frozen=True)
class TableSlice:
    """The rows of one table to copy: partition column between lower and upper (None: unbounded)."""

    table: str
    lower: date | None = None
    upper: date | None = None

    @property
    def partition_column(self) -> str | None:
        return TABLES[self.table].partition_column

    def _bounds(self) -> list[tuple[str, str, date]]:
        """(parameter, comparison, date) for each bound that applies: none for an unpartitioned table."""
        if not self.partition_column:
            return []
        return [(name, op, value) for name, op, value in (("lower", ">=", self.lower), ("upper", "<=", self.upper))
                if value is not None]

    def select_sql(self) -> str:
        """BigQuery SQL (also valid DuckDB) for the slice, with @lower/@upper where bounded."""
        columns = ", ".join(TABLES[self.table].column_names)
        bounds = " AND ".join(f"{self.partition_column} {op} @{name}" for name, op, _ in self._bounds())
        return f"SELECT {columns} FROM {self.table}" + (f" WHERE {bounds}" if bounds else "")

    def params(self) -> dict[str, date]:
        return {name: value for name, _, value in self._bounds()}

    def describe(self) -> str:
        if not self.partition_column:
            return f"{self.table} (whole)"
        return f"{self.table} {self.lower or '…'}..{self.upper or '…'}"


@dataclass(frozen=True)
class Extract:
    """A slice written to a local file by a warehouse adapter (Parquet from DuckDB, NDJSON from anything)."""

    slice: TableSlice
    path: Path
    format: str  # "parquet" | "ndjson"
    rows: int


def extract_by_query(warehouse: "Warehouse", table_slice: TableSlice, folder: Path) -> Extract:
    """The portable range read: one query for the slice, its rows to newline-delimited JSON (dates and timestamps
    as ISO strings), which the snapshot loads with the schema's column types."""
    rows = warehouse.query(table_slice.select_sql(), table_slice.params(), label=f"extract.{table_slice.table}")
    path = folder / f"{table_slice.table}.ndjson"
    with path.open("wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row))
            handle.write(b"\n")
    return Extract(table_slice, path, "ndjson", len(rows))
