"""The warehouse interface: BigQuery Standard SQL with named parameters in, rows as plain dicts out."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping, Protocol, Sequence

if TYPE_CHECKING:
    from .slices import Extract, TableSlice

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class ArrayParam:
    """An array query parameter whose element type must be known even when it is empty."""

    element_type: str  # BigQuery scalar type name: STRING, INT64, FLOAT64, DATE, BOOL, ...
    values: Sequence[Any]


class WarehouseError(RuntimeError):
    """A query or insert failed; the message names the query."""


class WarehouseInUse(WarehouseError):
    """Another process holds the embedded warehouse's lock (a run): it cannot be opened, not even read-only."""


class Warehouse(Protocol):
    def query(self, sql: str, params: Mapping[str, Any] | None = None, *, label: str = "") -> Rows: ...

    def insert_rows(self, table: str, rows: Rows) -> None: ...

    def extract(self, table_slice: "TableSlice", folder: Path) -> "Extract":
        """Read one slice of a table (one query) into a local file, for a replay's snapshot."""
        ...

    def columns(self, tables: Sequence[str]) -> dict[str, dict[str, str]]:
        """The warehouse's columns of these tables (dataset.table): table → column → BigQuery type name. A table
        the warehouse does not have is left out. Read by the schema preflight (phase6/warehouse/preflight.py)."""
        ...

    def close(self) -> None: ...


def plain_value(value: Any) -> Any:
    """NUMERIC columns come back as Decimal in both engines; the publisher works in floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    return value


def plain_rows(names: Sequence[str], records: Iterable[Sequence[Any]], converted: Collection[str],
               arrays: Collection[str] = ()) -> Rows:
    """Rows as dicts of the result's column `names`. Only the `converted` columns (NUMERIC, arrays and structs: those
    that can hold a Decimal) go through plain_value; a NULL in an `arrays` column becomes [], as BigQuery returns it."""
    rows = [dict(zip(names, record)) for record in records]
    for name in converted:
        null = [] if name in arrays else None
        for row in rows:
            value = row[name]
            row[name] = list(null) if value is None and null is not None else plain_value(value)
    return rows
