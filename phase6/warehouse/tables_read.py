"""Which production tables a BigQuery statement reads, the view standing for the tables it is built from: what a
replay's range reads copy (phase6/warehouse/snapshot.py) and what the backfill's preflight checks."""
from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from .schema import SUBSET_PERFORMANCE_VIEW, SUBSET_PERFORMANCE_VIEW_SQL

VIEW_NAME = SUBSET_PERFORMANCE_VIEW.name


def _tables_in(sql: str, dialect: str) -> frozenset[str]:
    return frozenset(f"{table.db}.{table.name}" for table in sqlglot.parse_one(sql, read=dialect).find_all(exp.Table)
                     if table.db)


VIEW_BASE_TABLES = _tables_in(SUBSET_PERFORMANCE_VIEW_SQL, "bigquery") - {VIEW_NAME}


@lru_cache(maxsize=256)
def tables_named(sql: str) -> frozenset[str]:
    """Production tables a statement reads; the view stands for the tables it is built from."""
    names = _tables_in(sql, "bigquery")
    return (names - {VIEW_NAME}) | VIEW_BASE_TABLES if VIEW_NAME in names else names
