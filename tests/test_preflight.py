"""The schema preflight: the columns each export's queries read, compared with the warehouse's before the first
export; an export whose column is missing or of another type is skipped with an error that names the table, the
column and the export types, and the rest run. (Against the BigQuery emulator: tests/test_bigquery_emulator.py.)"""
from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from exporters import catalog, results
from phase6.app import open_app
from phase6.cli import app as cli
from phase6.runner import RunRequest
from phase6.warehouse.preflight import Problem, base_type, compare, required_columns
from phase6.warehouse.schema import create_schema
from tests.conftest import DEMO_NOW, settings_for

SIGNALS = "nba_predictions.daily_prediction_signals"


def test_the_columns_a_query_reads_are_resolved_to_their_tables():
    needed = required_columns([results.SPEC])
    assert needed[("nba_predictions.prediction_accuracy", "confidence_score")] == ("results",)
    assert needed[("nba_predictions.ml_feature_store_v2", "features")] == ("results",)  # read through a CTE
    assert ("nba_predictions.ml_feature_store_v2", "feature_version") not in needed  # not read
    assert not [key for key in needed if key[0] == "fs"]  # aliases are not tables


def test_every_export_type_needs_some_columns_and_every_one_is_defined():
    needed = required_columns(catalog().values())
    assert {name for exports in needed.values() for name in exports} == set(catalog())
    assert compare(needed, {}) and all(problem.found is None for problem in compare(needed, {}))


@pytest.mark.parametrize("found, expected, same", [
    ("NUMERIC(5, 2)", "NUMERIC(5,2)", True), ("NUMERIC", "NUMERIC(4,1)", True), ("INTEGER", "INT64", True),
    ("ARRAY<FLOAT64>", "ARRAY<FLOAT64>", True), ("FLOAT64", "NUMERIC(5,2)", False), ("STRING", "INT64", False),
])
def test_types_are_compared_without_their_parameters(found, expected, same):
    assert (base_type(found) == base_type(expected)) is same


def test_a_view_column_is_checked_for_presence_only():
    view = "nba_predictions.v_dynamic_subset_performance"
    needed = {(view, "wins"): ("subset-picks",), (view, "picks"): ("subset-picks",)}
    problems = compare(needed, {view: {"wins": "NUMERIC"}})  # an engine may type COUNTIF differently in a view
    assert problems == [Problem(view, "picks", "INT64", None, ("subset-picks",))]


@pytest.fixture()
def drifted_app(tmp_path):
    """An empty warehouse whose daily signals table lost skew_category and holds high_edge_picks as text."""
    path = tmp_path / "drifted.duckdb"
    with duckdb.connect(str(path)) as connection:
        create_schema(connection)
        connection.execute(f"ALTER TABLE {SIGNALS} DROP COLUMN skew_category")
        connection.execute(f"ALTER TABLE {SIGNALS} ALTER high_edge_picks TYPE VARCHAR")
    application = open_app(settings_for(tmp_path, path, now=DEMO_NOW))
    yield application
    application.close()


def test_a_run_skips_the_exports_a_drifted_schema_cannot_serve_and_runs_the_rest(drifted_app):
    record = drifted_app.runner.run(RunRequest(("daily-signals", "subset-definitions"),
                                               drifted_app.clock.game_day()))
    skipped = record.exports["daily-signals"]
    assert skipped.status == "skipped"
    assert f"{SIGNALS}.skew_category is missing from the warehouse (needed by daily-signals)" in skipped.error
    assert f"{SIGNALS}.high_edge_picks is STRING in the warehouse, not INT64 (needed by daily-signals)" in skipped.error
    assert record.exports["subset-definitions"].status == "ok"
    assert record.status == "partial" and any(error.startswith("daily-signals: schema preflight") for error in record.errors)
    assert drifted_app.backends.bucket.read("v1/signals/2026-03-04.json") is None


def test_a_preflight_that_cannot_read_the_columns_skips_nothing(drifted_app):
    class NoColumns:
        def __init__(self, inner):
            self.query, self.insert_rows, self.close = inner.query, inner.insert_rows, inner.close

    drifted_app.runner.backends.warehouse = NoColumns(drifted_app.backends.warehouse)
    record = drifted_app.runner.run(RunRequest(("daily-signals", "subset-definitions"), drifted_app.clock.game_day()))
    assert record.exports["daily-signals"].status == "failed"  # its own query meets the missing column
    assert "skew_category" in record.exports["daily-signals"].error
    assert record.exports["subset-definitions"].status == "ok"


def test_the_command_names_each_problem_and_fails(drifted_app, monkeypatch):
    monkeypatch.setenv("PHASE6_WAREHOUSE", drifted_app.settings.warehouse_url)
    result = CliRunner().invoke(cli, ["preflight", "--types", "daily-signals,subset-definitions"])
    assert result.exit_code == 1, result.output
    assert f"{SIGNALS}.skew_category is missing from the warehouse (needed by daily-signals)" in result.output
    assert f"{SIGNALS}.high_edge_picks is STRING in the warehouse, not INT64 (needed by daily-signals)" in result.output
    assert "2 of 19 columns differ; these export types would be skipped: daily-signals" in result.output
    passing = CliRunner().invoke(cli, ["preflight", "--types", "subset-definitions"])
    assert passing.exit_code == 0 and "are there, with their types" in passing.output
