"""Every SQL statement of the catalogue: BigQuery dialect that transpiles to DuckDB, runs on the production
schema, filters every partitioned table on its partition column, and never hard-codes a model id."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from exporters import catalog, performance, players
from phase6.catalog import ExportContext, Query
from phase6.warehouse.duckdb_backend import to_duckdb
from phase6.warehouse.schema import PARTITION_COLUMNS, create_schema


def all_queries() -> list[tuple[str, Query]]:
    found = []
    for name, spec in catalog().items():
        queries = list(spec.queries)
        if spec.materialization is not None:
            queries += list(spec.materialization.queries)
        found += [(f"{name}.{query.name}", query) for query in queries]
    return found


QUERIES = all_queries()
CONTEXT = ExportContext(date(2026, 3, 4), date(2026, 3, 4), datetime(2026, 3, 4, 18, tzinfo=timezone.utc), "catboost_v9")


def test_every_export_type_the_website_reads_is_implemented():
    assert {"results", "performance", "best-bets", "predictions", "tonight", "tonight-players", "streaks", "subset-picks",
            "daily-signals", "subset-performance", "subset-definitions", "season-subsets", "model-registry", "players",
            "live-grading"} <= set(catalog())


@pytest.fixture(scope="module")
def empty_warehouse():
    connection = duckdb.connect()
    connection.execute("SET TimeZone='UTC'")
    create_schema(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize("label, query", QUERIES, ids=[label for label, _ in QUERIES])
def test_transpiles_and_runs_on_the_schema(label, query, empty_warehouse):
    statement = to_duckdb(query.sql)
    params = dict(query.params(CONTEXT))
    used = set(re.findall(r"\$(\w+)", statement))
    assert used <= set(params), f"{label} uses parameters it does not bind: {used - set(params)}"
    empty_warehouse.execute(statement, {name: value for name, value in params.items() if name in used}).fetchall()


@pytest.mark.parametrize("label, query", QUERIES, ids=[label for label, _ in QUERIES])
def test_no_model_id_literal(label, query):
    literals = [node.this for node in sqlglot.parse_one(query.sql, read="bigquery").find_all(exp.Literal) if node.is_string]
    assert not [value for value in literals if re.search(r"catboost|xgboost|ensemble|moving_average|similarity", value)]


@pytest.mark.parametrize("label, query", QUERIES, ids=[label for label, _ in QUERIES])
def test_partitioned_tables_are_filtered_on_their_partition(label, query):
    """In the scope that reads a partitioned table, its partition column appears in a WHERE or JOIN condition."""
    for scope in traverse_scope(sqlglot.parse_one(query.sql, read="bigquery")):
        for alias, source in scope.selected_sources.items():
            node = source[1] if isinstance(source, tuple) else source
            if not isinstance(node, exp.Table) or not node.db:
                continue
            partition = PARTITION_COLUMNS.get(f"{node.db}.{node.name}")
            if partition is None:
                continue
            assert _filtered_on(scope.expression, alias, partition), f"{label}: {node.db}.{node.name} not filtered on {partition}"


def _filtered_on(select: exp.Expression, alias: str, column: str) -> bool:
    conditions = [select.args.get("where")] + [join.args.get("on") for join in select.args.get("joins") or []]
    for condition in filter(None, conditions):
        for reference in condition.find_all(exp.Column):
            if reference.name == column and reference.table in ("", alias):
                return True
    return False


def _graded_rows(values: list[str]) -> list[dict]:
    """Graded champion OVER rows of one player on consecutive days; each value is the row's confidence, absolute
    error and edge."""
    from decimal import Decimal

    return [dict(player_lookup="p", game_id=f"g{day}", system_id="catboost_v9", game_date=date(2026, 3, 1 + day),
                 recommendation="OVER", prediction_correct=True, is_voided=False, confidence_score=Decimal(value),
                 absolute_error=Decimal(value), signed_error=Decimal(value), predicted_points=10 + Decimal(value),
                 line_value=Decimal(10), actual_points=10, within_3_points=True, within_5_points=True)
            for day, value in enumerate(values)]


@pytest.mark.parametrize("query", [players.PLAYER_ACCURACY, performance.TIERS_QUERY], ids=["players", "performance"])
def test_aggregates_of_numeric_columns_do_not_depend_on_row_order(query, tmp_path):
    """Floating-point sums depend on the order of their terms, which neither engine fixes: (0.1 + 0.2) + 0.3 and
    0.1 + (0.2 + 0.3) differ in the last bit, enough to flip a value that rounds at .xx5. NUMERIC columns are
    summed as NUMERIC (exact), and converted once."""
    from phase6.warehouse.duckdb_backend import DuckDBWarehouse

    results = []
    for order in (["0.1", "0.2", "0.3"], ["0.3", "0.2", "0.1"]):
        path = tmp_path / f"order-{len(results)}.duckdb"
        with duckdb.connect(str(path)) as connection:
            create_schema(connection)
        warehouse = DuckDBWarehouse(path)
        warehouse.insert_rows("nba_predictions.prediction_accuracy", _graded_rows(order))
        results.append(warehouse.query(query.sql, query.params(CONTEXT)))
        warehouse.close()
    assert results[0] and results[0] == results[1]


def test_the_embedded_engine_computes_decimal_literals_and_null_arrays_as_bigquery_does():
    """BigQuery: 0.1 is FLOAT64 (0.1 + 0.2 = 0.30000000000000004), and a NULL array comes back empty.
    (The same values through the BigQuery client: tests/test_bigquery_emulator.py.)"""
    from phase6.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse.over(duckdb.connect())
    row = warehouse.query("SELECT 0.1 + 0.2 AS f, 100.0 * 3 / 7 AS g, CAST(NULL AS ARRAY<FLOAT64>) AS a, [1.5] AS b")[0]
    warehouse.close()
    assert row == {"f": 0.1 + 0.2, "g": 100.0 * 3 / 7, "a": [], "b": [1.5]}


def test_numeric_values_come_back_as_floats_wherever_they_are_and_other_columns_as_fetched():
    """Only the columns that can hold a NUMERIC are converted; the result is the same as converting every cell."""
    from datetime import date

    from phase6.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse.over(duckdb.connect())
    rows = warehouse.query(
        "SELECT CAST(2.25 AS NUMERIC) AS n, [CAST(1.5 AS NUMERIC), NULL] AS ns, STRUCT(CAST(0.5 AS NUMERIC) AS x) AS s, "
        "CAST(NULL AS NUMERIC) AS missing, 7 AS i, 'a' AS t, DATE '2026-03-04' AS d, 2.5e0 AS f, "
        "CAST(NULL AS ARRAY<STRING>) AS empty"
    )
    warehouse.close()
    assert rows == [{"n": 2.25, "ns": [1.5, None], "s": {"x": 0.5}, "missing": None, "i": 7, "t": "a",
                     "d": date(2026, 3, 4), "f": 2.5, "empty": []}]
    row = rows[0]
    assert [type(row[name]) for name in ("n", "i", "f")] == [float, int, float] and type(row["ns"][0]) is float
