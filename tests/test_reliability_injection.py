"""Injection and paths: every value reaches SQL as a query parameter, and a hostile name from the warehouse never
becomes an object path.

The SQL check records every statement the warehouse actually receives during full runs for two different days
and champions, and fails on any literal that could be an interpolated value. Literals legitimate by rule:
small numeric constants (|n| <= 100: ranks, thresholds, limits, 20.0) and vocabulary words (identifier-like, no
dashes or spaces: 'OVER', 'b2b', '_'), provided no bound parameter has that value. Run values that would pass the
word rule (a model id) are caught by the second run: with another champion and date, the SQL text must not change.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from exporters import EXPORT_MODULES
from phase6.app import open_app
from phase6.runner import SAFE_PATH, RunRequest
from phase6.warehouse import ArrayParam
from tests.conftest import settings_for

VOCABULARY_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,23}")
HOSTILE_LOOKUPS = ("../../x", "a/b", "x" * 10_240, "..", "lebron%2fjames", "ÿ")
PLAYER_TABLES = ("nba_analytics.player_game_summary", "nba_analytics.upcoming_player_game_context",
                 "nba_precompute.player_composite_factors", "nba_predictions.ml_feature_store_v2",
                 "nba_predictions.player_prop_predictions", "nba_predictions.prediction_accuracy",
                 "nba_raw.bdl_player_boxscores", "nba_raw.bettingpros_player_points_props",
                 "nba_raw.nbac_injury_report", "nba_reference.nba_players_registry")


class RecordingWarehouse:
    """The real warehouse, recording every statement with its bound parameters."""

    def __init__(self, inner):
        self.inner = inner
        self.statements: list[tuple[str, dict]] = []

    def query(self, sql, params=None, *, label=""):
        self.statements.append((sql, dict(params or {})))
        return self.inner.query(sql, params, label=label)

    def insert_rows(self, table, rows):
        self.inner.insert_rows(table, rows)

    def close(self):
        self.inner.close()


def parameter_values(params: dict) -> set[str]:
    values = set()
    for value in params.values():
        for item in value.values if isinstance(value, ArrayParam) else [value]:
            values.add(item.isoformat() if isinstance(item, date) else str(item))
    return values


def suspicious_literals(sql: str, params: dict) -> list[str]:
    bound = parameter_values(params)
    found = []
    for literal in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Literal):
        text = literal.this
        if literal.is_string:
            legitimate = VOCABULARY_WORD.fullmatch(text) is not None
        else:
            legitimate = abs(float(text)) <= 100
        if not legitimate or text in bound:
            found.append(text)
    return found


@pytest.fixture()
def recording_app(warehouse_copy, tmp_path):
    app = open_app(settings_for(tmp_path, warehouse_copy))
    app.backends.warehouse = RecordingWarehouse(app.backends.warehouse)
    yield app
    app.close()


def test_every_statement_sent_to_the_warehouse_binds_its_values_as_parameters(recording_app):
    runner = recording_app.runner
    runner.run(RunRequest(tuple(EXPORT_MODULES), date(2026, 3, 4)))
    first = {sql for sql, _ in recording_app.backends.warehouse.statements}
    runner.settings = replace(runner.settings, champion_system_id="ensemble_v1")
    runner.run(RunRequest(tuple(EXPORT_MODULES), date(2026, 2, 20), mode="replay", min_games=9))
    statements = recording_app.backends.warehouse.statements

    assert len(first) >= 30
    assert {sql for sql, _ in statements} <= first | {"SELECT 1 AS ok"}  # the SQL text never depends on the run
    problems = {sql[:80]: found for sql, params in statements if (found := suspicious_literals(sql, params))}
    assert problems == {}
    assert any(params.get("champion_system_id") == "ensemble_v1" for _, params in statements)


def test_the_literal_rule_catches_an_interpolated_value():
    assert suspicious_literals("SELECT * FROM t WHERE game_date = '2026-03-04'", {}) == ["2026-03-04"]
    assert suspicious_literals("SELECT * FROM t WHERE system_id = 'catboost_v9'", {"id": "catboost_v9"}) == ["catboost_v9"]
    assert suspicious_literals("SELECT * FROM t WHERE games >= 5", {"min_games": 5}) == ["5"]
    assert suspicious_literals("SELECT * FROM t WHERE player_lookup = 'ann'", {"lookup": "ann"}) == ["ann"]
    assert suspicious_literals("SELECT * FROM t WHERE n >= 2026", {}) == ["2026"]
    assert suspicious_literals("SELECT IF(x >= 5, 'OVER', 'UNDER') FROM t LIMIT 1", {"day": date(2026, 3, 4)}) == []


def plant_hostile_players(app, template: str) -> None:
    """Copies of one real player's rows in every table, under hostile player_lookups."""
    for table in PLAYER_TABLES:
        for lookup in HOSTILE_LOOKUPS:
            app.backends.warehouse.query(
                f"INSERT INTO {table} SELECT * REPLACE (@lookup AS player_lookup) FROM {table} WHERE player_lookup = @template",
                {"lookup": lookup, "template": template},
            )


def test_hostile_player_lookups_are_skipped_reported_and_never_written(demo_app, tmp_path):
    [template] = [row["player_lookup"] for row in demo_app.backends.warehouse.query(
        "SELECT player_lookup FROM nba_predictions.player_prop_predictions WHERE game_date = @day "
        "ORDER BY player_lookup LIMIT 1", {"day": date(2026, 3, 4)})]
    plant_hostile_players(demo_app, template)

    record = demo_app.runner.run(RunRequest(tuple(EXPORT_MODULES), date(2026, 3, 4)))

    written = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    assert not [name for name in written if "xxxxxxxx" in name or "/x.json" in name or "%2f" in name]
    assert (tmp_path / "bucket/v1/players" / f"{template}.json").exists()
    for name in ("players", "tonight-players"):
        result = record.exports[name]
        assert result.status == "ok", result.error
        left_out = [warning for warning in result.warnings if warning.startswith("left out player_lookup ")]
        assert len(left_out) == len(HOSTILE_LOOKUPS), result.warnings
        assert all(len(warning) <= 300 for warning in result.warnings), [w[:400] for w in result.warnings if len(w) > 300]


@pytest.mark.parametrize("path", ["../x.json", "a/../../x.json", "/etc/passwd.json", "players/A.json", "players/a b.json",
                                  "players/a%2fb.json", "players/ÿ.json", "players/" + "x" * 300 + ".json",
                                  "players/x.json\n", "players//x.json", "players/x.txt", ".meta/x.json"])
def test_unsafe_object_paths_are_refused(path):
    assert SAFE_PATH.match(path) is None
