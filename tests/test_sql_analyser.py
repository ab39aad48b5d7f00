"""Every SQL statement the project can send to BigQuery, resolved by Google's ZetaSQL analyser (BigQuery's SQL
front end) against the production table definitions, with its named parameters declared as the adapter types
them: each export's queries and its materialization's reads on a live day and on a replayed day, the backfill's
range reads for a full chunk, the schema preflight's reads and the infrastructure probe's query. A statement the analyser rejects fails with the
analyser's own message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from exporters import catalog
from phase6.backfill import DEFAULT_CHUNK_DAYS, chunk_slices, dated_export_types, days_between
from phase6.clock import Clock
from phase6.config import Settings
from phase6.probe import PROBE_SQL
from phase6.catalog import ExportContext
from phase6.runner import Backends, Runner
from phase6.warehouse.bigquery_backend import columns_statements, parameter_type
from phase6.warehouse.schema import SUBSET_PERFORMANCE_VIEW, SUBSET_PERFORMANCE_VIEW_SQL, TABLES
from tests.sql_analyser import AnalyserError

DEMO_DAY = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, tzinfo=timezone.utc)
CONTEXTS = [ExportContext(DEMO_DAY, DEMO_DAY, NOW, "catboost_v9"),  # a live run on the demo day, and a replay
            ExportContext(date(2026, 1, 15), DEMO_DAY, NOW, "catboost_v9", mode="replay", update_latest=False)]


@dataclass(frozen=True)
class Statement:
    label: str
    sql: str
    parameter_types: tuple[tuple[str, str], ...]


def statement(label: str, sql: str, params: Mapping[str, Any]) -> Statement:
    return Statement(label, sql, tuple(sorted((name, parameter_type(value)) for name, value in params.items())))


def export_statements() -> list[Statement]:
    """Each export's queries (materialization reads included) with a live demo day's and a replay's parameters."""
    found = []
    for name, spec in catalog().items():
        queries = (*spec.queries, *(spec.materialization.queries if spec.materialization else ()))
        found += [statement(f"{name}.{query.name}", query.sql, query.params(ctx)) for ctx in CONTEXTS
                  for query in queries]
    return found


def range_read_statements() -> list[Statement]:
    """The backfill's range reads for a chunk of the default size ending on the demo day."""
    runner = Runner(Settings(), Backends(None, None, None), Clock(NOW), catalog())  # type: ignore[arg-type]
    days = days_between(DEMO_DAY - timedelta(days=DEFAULT_CHUNK_DAYS - 1), DEMO_DAY)
    return [statement(f"extract.{table_slice.table}", table_slice.select_sql(), table_slice.params())
            for table_slice in chunk_slices(runner, dated_export_types(catalog()), days)]


def view_statement() -> Statement:
    """Not sent by the publisher, but it is production's view as the project defines it (and the emulator runs)."""
    return statement("view.v_dynamic_subset_performance", SUBSET_PERFORMANCE_VIEW_SQL.split(" AS\n", 1)[1], {})


def distinct(statements: list[Statement]) -> list[Statement]:
    """One of each (SQL, parameter types): exports share queries, and a day's parameters differ only in value."""
    return list({(item.sql, item.parameter_types): item for item in statements}.values())


def preflight_statements_as_sent() -> list[Statement]:
    """The schema preflight's INFORMATION_SCHEMA reads, one per dataset."""
    return [statement(label, sql, params) for label, sql, params in columns_statements(sorted(TABLES))]


EVERY_STATEMENT = [*export_statements(), *range_read_statements(), *preflight_statements_as_sent(),
                   statement("probe.warehouse", PROBE_SQL, {}), view_statement()]
STATEMENTS = distinct(EVERY_STATEMENT)


def test_the_inventory_covers_every_kind_of_statement():
    kinds = {item.label.split(".", 1)[0] for item in EVERY_STATEMENT}
    assert set(catalog()) | {"extract", "preflight", "probe", "view"} <= kinds
    assert len([item for item in STATEMENTS if item.label.startswith("extract.")]) >= 15


@pytest.mark.emulator
@pytest.mark.parametrize("item", STATEMENTS, ids=[item.label for item in STATEMENTS])
def test_bigquery_analyses_the_statement(item, sql_analyser):
    try:
        sql_analyser.analyse(item.sql, dict(item.parameter_types))
    except AnalyserError as error:
        pytest.fail(f"{item.label}: ZetaSQL rejects the statement:\n{error}", pytrace=False)


@pytest.mark.emulator
@pytest.mark.parametrize("change, message", [
    (("MAX(team_abbr)", "ARG_MAX(team_abbr, game_date)"), "Function not found: ARG_MAX"),  # DuckDB's, not BigQuery's
    (("COUNTIF(recommendation = 'OVER')", "COUNTIF(recomendation = 'OVER')"), "Unrecognized name: recomendation"),
    (("@champion_system_id", "@champion"), "Query parameter 'champion' not found"),
    (("COUNT(*) AS games_predicted", "COUNT(1) AS games_predicted"), None),  # still valid: not everything fails
], ids=["duckdb-function", "unknown-column", "undeclared-parameter", "control"])
def test_the_analysis_rejects_what_bigquery_would(change, message, sql_analyser):
    """Mutations of one real query: each one BigQuery would reject is reported with the analyser's message."""
    from exporters.players import PLAYER_ACCURACY

    sql = PLAYER_ACCURACY.sql.replace(*change)
    assert sql != PLAYER_ACCURACY.sql
    types = dict(statement("players", sql, PLAYER_ACCURACY.params(CONTEXTS[0])).parameter_types)
    if message is None:
        sql_analyser.analyse(sql, types)
        return
    with pytest.raises(AnalyserError, match=message):
        sql_analyser.analyse(sql, types)


# Tables production creates with require_partition_filter=TRUE, by partition column; a query on the view must filter
# its game_date, which BigQuery pushes down to the required filter on player_prop_predictions.
REQUIRED_FILTERS = {name: table.partition_column for name, table in TABLES.items() if table.require_partition_filter}
REQUIRED_FILTERS[SUBSET_PERFORMANCE_VIEW.name] = "game_date"
COMPARISONS = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def unpruned_scans(sql: str) -> list[str]:
    """Each read of a require_partition_filter table whose scan has no prunable predicate on the partition column:
    one ANDed into the WHERE of the SELECT that reads it, comparing the bare column with an expression of
    parameters and literals. A filter in a JOIN's ON, under an OR, or on a function of the column does not count."""
    problems = []
    for scope in traverse_scope(sqlglot.parse_one(sql, read="bigquery")):
        for alias, source in scope.selected_sources.items():
            node = source[1] if isinstance(source, tuple) else source
            name = f"{node.db}.{node.name}" if isinstance(node, exp.Table) else None
            if name in REQUIRED_FILTERS and not _prunes(scope.expression.args.get("where"), alias,
                                                       REQUIRED_FILTERS[name], only_source=len(scope.sources) == 1):
                problems.append(f"{name} (as {alias}) has no prunable filter on {REQUIRED_FILTERS[name]} in its WHERE")
    return problems


def _prunes(where: exp.Where | None, alias: str, column: str, only_source: bool) -> bool:
    if where is None:
        return False
    for condition in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        if isinstance(condition, COMPARISONS):
            sides = [(condition.this, condition.expression), (condition.expression, condition.this)]
        elif isinstance(condition, (exp.Between, exp.In)):
            sides = [(condition.this, condition)]
        else:
            continue
        for bare, other in sides:
            if (isinstance(bare, exp.Column) and bare.name == column
                    and (bare.table == alias or (not bare.table and only_source))
                    and not [c for c in other.find_all(exp.Column) if c is not bare]):
                return True
    return False


SENT = [item for item in STATEMENTS if not item.label.startswith("view.")]  # the view's scans are filtered by its readers


@pytest.mark.parametrize("item", SENT, ids=[item.label for item in SENT])
def test_every_require_partition_filter_table_is_pruned_where_it_is_read(item):
    assert unpruned_scans(item.sql) == []


@pytest.mark.parametrize("sql, pruned", [
    ("SELECT 1 FROM nba_raw.nbac_schedule WHERE game_date = @d", True),
    ("SELECT 1 FROM nba_raw.nbac_schedule s WHERE s.game_date BETWEEN @a AND @b AND s.game_status = 3", True),
    ("SELECT 1 FROM nba_raw.nbac_schedule WHERE game_status = 3", False),
    ("SELECT 1 FROM nba_raw.nbac_schedule WHERE game_date = @d OR game_status = 3", False),
    ("SELECT 1 FROM nba_raw.nbac_schedule WHERE DATE_ADD(game_date, INTERVAL 1 DAY) = @d", False),
    ("SELECT 1 FROM nba_predictions.player_prop_predictions p LEFT JOIN nba_predictions.prediction_accuracy a "
     "ON a.player_lookup = p.player_lookup AND a.game_date = @d WHERE p.game_date = @d", False),
    ("SELECT 1 FROM nba_predictions.player_prop_predictions p JOIN nba_predictions.prediction_accuracy a "
     "ON a.player_lookup = p.player_lookup WHERE p.game_date = @d AND a.game_date = p.game_date", False),
    ("SELECT 1 FROM (SELECT game_date FROM nba_raw.nbac_schedule) WHERE game_date = @d", False),
    ("SELECT 1 FROM nba_predictions.v_dynamic_subset_performance WHERE game_date >= @d", True),
    ("SELECT 1 FROM nba_predictions.v_dynamic_subset_performance", False),
], ids=["equal", "between", "none", "under-or", "function", "left-join-on", "join-column", "subquery", "view",
        "view-unfiltered"])
def test_the_partition_check_tells_prunable_filters_from_others(sql, pruned):
    assert (unpruned_scans(sql) == []) is pruned
