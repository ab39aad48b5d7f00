"""The embedded warehouse: DuckDB with the production schemas; shared SQL is transpiled with sqlglot."""
from __future__ import annotations

import re
import threading
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import sqlglot
from sqlglot import exp

from .base import ArrayParam, Rows, WarehouseError, WarehouseInUse, plain_rows
from .schema import bigquery_type
from .slices import Extract, TableSlice

_PARAM = re.compile(r"\$(\w+)")


@lru_cache(maxsize=512)
def to_duckdb(sql: str) -> str:
    """Transpile one BigQuery statement to DuckDB (cached per statement)."""
    try:
        statements = sqlglot.parse(sql, read="bigquery")
    except sqlglot.errors.SqlglotError as error:
        raise WarehouseError(f"cannot read the SQL: {error}") from error
    if len(statements) != 1:
        raise WarehouseError(f"expected exactly one SQL statement, found {len(statements)}")
    return statements[0].transform(_count_if_never_null).transform(_float_literals).sql(dialect="duckdb")


def _count_if_never_null(node: exp.Expression) -> exp.Expression:
    """BigQuery's COUNTIF is 0 when every input is NULL; DuckDB's COUNT_IF is NULL. COUNTIF(COALESCE(x, FALSE))
    counts the same rows in both."""
    if isinstance(node, exp.CountIf) and not isinstance(node.this, exp.Coalesce):
        return exp.CountIf(this=exp.func("COALESCE", node.this.copy(), exp.false()))
    return node


def _float_literals(node: exp.Expression) -> exp.Expression:
    """A literal with a decimal point or an exponent (0.5, 100.0) is FLOAT64 in BigQuery but DECIMAL in DuckDB,
    which would compute exactly where BigQuery rounds: cast it, so both engines do the same arithmetic."""
    if isinstance(node, exp.Literal) and not node.is_string and any(mark in node.this for mark in ".eE"):
        return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
    return node


# DuckDB result types whose values are used as fetched; the others (DECIMAL, which NUMERIC comes back as, and the
# lists and structs that may hold one) go through plain_value.
PLAIN_KINDS = frozenset({
    "boolean", "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint",
    "float", "double", "varchar", "date", "time", "timestamp", "timestamp with time zone", "interval", "null",
})


class DuckDBWarehouse:
    concurrency = 4  # queries at once: DuckDB already spreads one query over the cores

    def __init__(self, path: Path, read_only: bool = False):
        if not path.exists():
            raise WarehouseError(f"DuckDB warehouse {path} does not exist; build it with `python -m phase6 demo`")
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            if isinstance(error, duckdb.IOException) and "lock" in str(error):  # 'Could not set lock on file ...'
                raise WarehouseInUse(f"DuckDB warehouse {path} is in use by another process: {error}") from error
            raise WarehouseError(f"cannot open DuckDB warehouse {path}: {error}") from error
        self._use(connection, path)

    @classmethod
    def over(cls, connection: duckdb.DuckDBPyConnection) -> "DuckDBWarehouse":
        """A warehouse over an open connection (an in-memory snapshot); closing it closes the connection."""
        warehouse = cls.__new__(cls)
        warehouse._use(connection, None)
        return warehouse

    def _use(self, connection: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.path = path
        self._connection = connection
        self._connection.execute("SET TimeZone='UTC'")
        self._local = threading.local()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            cursor.execute("SET TimeZone='UTC'")
            self._local.cursor = cursor
        return cursor

    def query(self, sql: str, params: Mapping[str, Any] | None = None, *, label: str = "") -> Rows:
        try:  # values are converted while they are fetched, so a bad value fails in fetchall()
            statement = to_duckdb(sql)
            bound = {name: _bind(value) for name, value in (params or {}).items() if name in _PARAM.findall(statement)}
            result = self._cursor().execute(statement, bound)
            columns = [column[0] for column in result.description]
            kinds = {column[0]: getattr(column[1], "id", None) for column in result.description}
            records = result.fetchall()
        except (duckdb.Error, WarehouseError) as error:
            raise WarehouseError(f"query {label or '(unnamed)'} failed: {error}") from error
        converted = [name for name, kind in kinds.items() if kind not in PLAIN_KINDS]
        return plain_rows(columns, records, converted, arrays={name for name, kind in kinds.items() if kind == "list"})

    def insert_rows(self, table: str, rows: Rows) -> None:
        if not rows:
            return
        columns = list(rows[0])
        placeholders = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        try:
            self._cursor().executemany(statement, [[row.get(column) for column in columns] for row in rows])
        except duckdb.Error as error:
            raise WarehouseError(f"insert into {table} failed: {error}") from error

    def extract(self, table_slice: TableSlice, folder: Path) -> Extract:
        """Copy one slice to a Parquet file inside the engine (a range read for a snapshot)."""
        path = folder / f"{table_slice.table}.parquet"
        target = str(path).replace("'", "''")
        statement = f"COPY ({to_duckdb(table_slice.select_sql())}) TO '{target}' (FORMAT parquet)"
        try:
            self._cursor().execute(statement, table_slice.params())
            rows = self._cursor().execute(f"SELECT COUNT(*) FROM read_parquet('{target}')").fetchone()[0]
        except duckdb.Error as error:
            raise WarehouseError(f"extract of {table_slice.describe()} failed: {error}") from error
        return Extract(table_slice, path, "parquet", rows)

    def columns(self, tables: Sequence[str]) -> dict[str, dict[str, str]]:
        rows = self._cursor().execute(
            "SELECT table_schema || '.' || table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema || '.' || table_name IN (SELECT UNNEST(?))", [list(tables)]).fetchall()
        present: dict[str, dict[str, str]] = {}
        for table, column, data_type in rows:
            present.setdefault(table, {})[column] = bigquery_type(data_type)
        return present

    def demo_now(self) -> datetime | None:
        """The frozen demo clock stored by the demo generator, if this is a demo warehouse."""
        try:
            rows = self.query("SELECT demo_now FROM phase6_demo.settings LIMIT 1", label="demo_clock")
        except WarehouseError:
            return None
        return rows[0]["demo_now"] if rows else None

    def close(self) -> None:
        self._connection.close()


def _bind(value: Any) -> Any:
    if isinstance(value, ArrayParam):
        return list(value.values)
    if isinstance(value, tuple):
        return list(value)
    return value
