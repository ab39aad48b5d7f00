"""Bulk loading of generated rows into DuckDB through temporary CSV files."""
from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import duckdb

from phase6.demo.clock import format_ts
from phase6.warehouse.schema import Table, duckdb_type

NULL_TEXT = r"\N"


def _text(value: object) -> str:
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def load_rows(con: duckdb.DuckDBPyConnection, table: Table, rows: list, scratch_dir: Path) -> None:
    """Writes `rows` (dicts keyed by column name, or tuples in column order) to CSV and inserts them."""
    if not rows:
        return
    names = table.column_names
    path = scratch_dir / f"{table.name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in rows:
            values = [row[name] for name in names] if isinstance(row, dict) else row
            writer.writerow([_text(value) for value in values])
    csv_types = {column.name: "VARCHAR" if column.bq_type.startswith("ARRAY") else duckdb_type(column.bq_type)
                 for column in table.columns}
    select_list = ", ".join(
        f"CAST({column.name} AS {duckdb_type(column.bq_type)})" if column.bq_type.startswith("ARRAY") else column.name
        for column in table.columns)
    columns_literal = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in csv_types.items()) + "}"
    con.execute(
        f"INSERT INTO {table.name} SELECT {select_list} FROM read_csv(?, header = false, columns = {columns_literal}, "
        f"nullstr = '{NULL_TEXT}', quote = '\"', escape = '\"', auto_detect = false)",
        [str(path)])
    path.unlink()
