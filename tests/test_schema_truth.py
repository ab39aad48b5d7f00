"""The project's production table definitions (phase6/warehouse/schema.py) say what production's DDL says: the
embedded schema, the demo season and every column list the project sends follow them."""
from __future__ import annotations

from datetime import date

from exporters import catalog
from phase6.backfill import chunk_slices, dated_export_types, days_between
from phase6.warehouse.schema import TABLES
from tests.conftest import open_small


def test_prediction_accuracy_has_no_data_quality_tier_and_a_two_decimal_quality_score():
    """Production never added `data_quality_tier`; `feature_quality_score` is NUMERIC(5,2) there."""
    accuracy = {column.name: column.bq_type for column in TABLES["nba_predictions.prediction_accuracy"].columns}
    assert "data_quality_tier" not in accuracy
    assert accuracy["feature_quality_score"] == "NUMERIC(5,2)"


def test_no_range_read_selects_a_column_production_does_not_have(small_demos, tmp_path):
    application = open_small(small_demos[5], tmp_path)
    days = days_between(date(2026, 1, 10), date(2026, 1, 12))
    slices = chunk_slices(application.runner, dated_export_types(catalog()), days)
    application.close()
    statements = [table_slice.select_sql() for table_slice in slices]
    assert any("nba_predictions.prediction_accuracy" in statement for statement in statements)
    assert not [statement for statement in statements if "data_quality_tier" in statement]


def test_the_demo_season_has_the_production_columns_and_grades_quality_to_two_decimals(small_demos):
    import duckdb

    with duckdb.connect(str(small_demos[5]), read_only=True) as connection:
        columns = dict(connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'nba_predictions' AND table_name = 'prediction_accuracy'").fetchall())
        scores = connection.execute(
            "SELECT COUNT(*) FROM nba_predictions.prediction_accuracy WHERE feature_quality_score IS NOT NULL"
        ).fetchone()[0]
    assert "data_quality_tier" not in columns
    assert columns["feature_quality_score"] == "DECIMAL(5,2)"
    assert scores > 0
