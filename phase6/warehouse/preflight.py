"""The schema preflight: before a run's first export (and as `python -m phase6 preflight`), compare the columns and
types every declared query needs with what the warehouse has.

What a query needs is read from its SQL: sqlglot resolves each column reference to the table it comes from, using
the production definitions (phase6/warehouse/schema.py). What the warehouse has comes from the adapter's `columns`
(one INFORMATION_SCHEMA.COLUMNS query per dataset on BigQuery). A missing column, or one whose type differs from the
definition, is a Problem naming the table, the column and the export types that need it; the runner skips those
exports with that message and runs the rest. A view's column types follow from its SQL, so only their presence is
checked.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from ..catalog import ExportSpec, Query
from .base import Warehouse
from .schema import TABLES, VIEWS
from .tables_read import tables_named

log = logging.getLogger("phase6.preflight")

DEFINITIONS = {**TABLES, **VIEWS}
# What a check compares: (dataset.table, column) → the export types that need it.
Needs = Callable[[Iterable[ExportSpec]], Mapping[tuple[str, str], tuple[str, ...]]]
_ALIASES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "DECIMAL": "NUMERIC", "BIGDECIMAL": "BIGNUMERIC"}


@dataclass(frozen=True)
class Problem:
    table: str  # dataset.table
    column: str
    expected: str  # the definition's type
    found: str | None  # the warehouse's type; None when the column (or the whole table) is missing
    exports: tuple[str, ...]

    def message(self) -> str:
        needed = f"needed by {', '.join(self.exports)}"
        if self.found is None:
            return f"{self.table}.{self.column} is missing from the warehouse ({needed})"
        return f"{self.table}.{self.column} is {self.found} in the warehouse, not {self.expected} ({needed})"


def declared_queries(spec: ExportSpec) -> tuple[Query, ...]:
    """An export's queries, its materialization's reads included."""
    return (*spec.queries, *(spec.materialization.queries if spec.materialization else ()))


@lru_cache(maxsize=512)
def columns_read(sql: str) -> frozenset[tuple[str, str]]:
    """(dataset.table, column) for every column of a production table or view that a BigQuery statement reads."""
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for definition in DEFINITIONS.values():
        schema.setdefault(definition.dataset, {})[definition.short_name] = {
            column.name: column.bq_type for column in definition.columns}
    # A column the definitions do not know stays unresolved here; the warehouse reports it when the query runs.
    resolved = qualify(sqlglot.parse_one(sql, read="bigquery"), schema=schema, dialect="bigquery",
                       validate_qualify_columns=False)
    found = set()
    for scope in traverse_scope(resolved):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table) and source.db:
                found.add((f"{source.db}.{source.name}", column.name))
    return frozenset(found)


def required_columns(specs: Iterable[ExportSpec]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(dataset.table, column) → the export types whose queries read it."""
    return _needed_by(specs, columns_read)


def range_read_columns(specs: Iterable[ExportSpec]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(dataset.table, column) → the export types whose replay copies it: a range read (phase6/warehouse/slices.py)
    copies every defined column of each table an export's queries read (a view: its base tables)."""
    return _needed_by(specs, columns_copied)


def columns_copied(sql: str) -> frozenset[tuple[str, str]]:
    return frozenset((table, column) for table in tables_named(sql) for column in TABLES[table].column_names)


def _needed_by(specs: Iterable[ExportSpec], columns_of: Callable[[str], Iterable[tuple[str, str]]],
               ) -> dict[tuple[str, str], tuple[str, ...]]:
    needed: dict[tuple[str, str], list[str]] = {}
    for spec in specs:
        for query in declared_queries(spec):
            for key in columns_of(query.sql):
                exports = needed.setdefault(key, [])
                if spec.name not in exports:
                    exports.append(spec.name)
    return {key: tuple(exports) for key, exports in sorted(needed.items())}


def base_type(type_name: str) -> str:
    """A type as compared: parameters dropped (NUMERIC(5, 2) → NUMERIC), legacy names to GoogleSQL ones."""
    type_name = re.sub(r"\s+", "", type_name.upper())
    array = re.fullmatch(r"ARRAY<(.+)>", type_name)
    if array:
        return f"ARRAY<{base_type(array.group(1))}>"
    name = type_name.split("(", 1)[0]
    return _ALIASES.get(name, name)


def compare(needed: Mapping[tuple[str, str], tuple[str, ...]],
            present: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """Problems between what the queries need and the warehouse's columns (`present`: table → column → type)."""
    problems = []
    for (table, column), exports in needed.items():
        expected = next(c.bq_type for c in DEFINITIONS[table].columns if c.name == column)
        found = present.get(table, {}).get(column)
        if found is None:
            problems.append(Problem(table, column, expected, None, exports))
        elif table in TABLES and base_type(found) != base_type(expected):
            problems.append(Problem(table, column, expected, found, exports))
    return problems


def check(warehouse: Warehouse, specs: Iterable[ExportSpec], needs: Needs = required_columns) -> list[Problem]:
    """Read the warehouse's columns of every table the specs need (`needs`: their queries' columns by default), and
    compare."""
    needed = needs(specs)
    if not needed:
        return []
    return compare(needed, warehouse.columns(sorted({table for table, _ in needed})))


def skipped_exports(problems: Iterable[Problem]) -> dict[str, str]:
    """Export type → the error it is skipped with (every problem that concerns it)."""
    reasons: dict[str, list[str]] = {}
    for problem in problems:
        for export in problem.exports:
            reasons.setdefault(export, []).append(problem.message())
    return {export: "schema preflight: " + "; ".join(messages) for export, messages in reasons.items()}


def schema_preflight(warehouse: Warehouse, specs: Iterable[ExportSpec], needs: Needs = required_columns,
                     ) -> dict[str, str]:
    """The runner's hook before a run's first export: export type → the error it is skipped with. A preflight that
    cannot read the warehouse's columns skips nothing; the exports then meet (and report) the failure themselves.
    A backfill checks what its range reads copy instead (`needs=range_read_columns`)."""
    try:
        return skipped_exports(check(warehouse, specs, needs))
    except Exception as error:  # noqa: BLE001 — any adapter error; the run goes on without the check
        log.warning("schema preflight not done: %s: %s", type(error).__name__, error)
        return {}
