"""live-grading: grading and shape on hand-made rows, the box-score query, and the contract on the demo."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from exporters import live_grading as lg
from exporters import tonight
from exporters.common import REGISTRY_NAMES
from phase6.catalog import ExportContext
from phase6.runner import RunRequest
from tests.support import contract_problems, published
from phase6.warehouse.duckdb_backend import to_duckdb
from phase6.warehouse.schema import create_schema

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
CTX = ExportContext(G, G, NOW, "catboost_v9")
GAME_ID = "20260304_LAL_BOS"


def prediction(lookup="ann", recommendation="OVER", line=20.5, predicted=24.0, confidence=87.0, game_id=GAME_ID):
    return {"player_lookup": lookup, "game_id": game_id, "predicted_points": predicted, "current_points_line": line,
            "recommendation": recommendation, "confidence_score": confidence, "line_source": "ACTUAL_PROP"}


def schedule(status=2, away="LAL", home="BOS"):
    return {"schedule_game_id": "0022500900", "game_date": G, "game_date_est": None, "game_status": status,
            "home_team_tricode": home, "away_team_tricode": away, "home_team_score": None, "away_team_score": None}


def box(lookup="ann", points=22, status="3rd Qtr", period=3, minutes="24:10", minutes_played=None):
    return {"player_lookup": lookup, "game_id": GAME_ID, "team_abbr": "BOS", "home_team_abbr": "BOS",
            "away_team_abbr": "LAL", "game_status": status, "period": period, "minutes": minutes,
            "minutes_played": minutes_played, "points": points}


@pytest.mark.parametrize("recommendation, actual, state, expected", [
    ("OVER", 21, "final", "correct"), ("OVER", 20, "final", "incorrect"),
    ("UNDER", 20, "final", "correct"), ("UNDER", 21, "final", "incorrect"),
    ("OVER", 21, "in_progress", "trending_correct"), ("OVER", 15.5, "in_progress", "in_progress"),
    ("OVER", 15, "in_progress", "trending_incorrect"), ("OVER", 20, "in_progress", "in_progress"),
    ("UNDER", 20, "in_progress", "trending_correct"), ("UNDER", 25.5, "in_progress", "in_progress"),
    ("UNDER", 26, "in_progress", "trending_incorrect"),
])
def test_grade_final_and_trending_thresholds(recommendation, actual, state, expected):
    assert lg.grade(recommendation, 20.5, actual, state) == expected


def test_pending_without_live_data_keeps_margin_as_null():
    row = lg.shape_row(prediction(), "Ann", schedule(status=1), box())
    assert row["status"] == "pending"
    assert {key: row[key] for key in ("actual", "minutes", "error", "margin_vs_line")} == dict.fromkeys(
        ("actual", "minutes", "error", "margin_vs_line"))
    assert lg.shape_row(prediction(), "Ann", schedule(status=2), None)["status"] == "pending"


def test_in_progress_row_fields_and_key_order():
    row = lg.shape_row(prediction(predicted=24.04), None, schedule(status=2), box(points=22))
    assert list(row) == ["player_lookup", "player_name", "team", "home_team", "away_team", "game_status", "period",
                         "time_remaining", "predicted", "line", "recommendation", "confidence", "has_line",
                         "line_source", "actual", "minutes", "error", "margin_vs_line", "status"]
    assert row["player_name"] == "ann" and row["team"] == "BOS" and row["period"] == 3
    assert (row["actual"], row["minutes"], row["error"], row["margin_vs_line"], row["status"]) == (
        22, "24:10", 2.0, 1.5, "trending_correct")


def test_margin_vs_line_absent_without_a_call_or_a_line():
    passed = lg.shape_row(prediction(recommendation="PASS"), None, schedule(status=3), box(status="Final"))
    assert "margin_vs_line" not in passed and passed["status"] == "graded"
    no_line = lg.shape_row(prediction(line=None, recommendation="NO_LINE"), None, schedule(status=2), box())
    assert "margin_vs_line" not in no_line and no_line["status"] == "in_progress" and no_line["has_line"] is False


def test_error_is_not_null_when_predicted_is_zero():
    row = lg.shape_row(prediction(predicted=0.0), None, schedule(status=3), box(points=4, status="Final"))
    assert row["error"] == -4.0


def test_game_state_from_the_box_score_when_the_schedule_has_no_match():
    assert lg.shape_row(prediction(), None, None, box(status="Final", period=4))["game_status"] == "final"
    assert lg.shape_row(prediction(), None, None, box(status="Halftime", period=2))["game_status"] == "in_progress"
    scheduled = lg.shape_row(prediction(), None, None, box(status="7:30 pm ET", period=0))
    assert (scheduled["game_status"], scheduled["status"]) == ("scheduled", "pending")
    assert lg.shape_row(prediction(), None, None, None)["home_team"] is None


def test_summary_fallback_minutes():
    assert lg.minutes_text({"minutes": None, "minutes_played": 31.5}) == "31:30"
    assert lg.minutes_text({"minutes": "12:05", "minutes_played": None}) == "12:05"
    assert lg.minutes_text({"minutes": None, "minutes_played": None}) is None


def all_rows(predictions=(), games=(), boxes=()):
    return {lg.LIVE_PREDICTIONS.name: list(predictions), REGISTRY_NAMES.name: [], tonight.SCHEDULE.name: list(games),
            lg.BOX_SCORES.name: list(boxes)}


def test_empty_day():
    body = lg.shape_live_grading(CTX, all_rows(games=[schedule(status=1)]))
    assert body == {"updated_at": NOW, "game_date": "2026-03-04", "summary": {
        "total_predictions": 0, "graded": 0, "pending": 0, "correct": 0, "incorrect": 0, "trending_correct": 0,
        "trending_incorrect": 0, "win_rate": None, "avg_error": None, "games_in_progress": 0, "games_final": 0},
        "predictions": []}


def test_summary_counts_and_order():
    final_game = schedule(status=3, away="NYK", home="MIA")
    predictions = [
        prediction("a", confidence=80), prediction("b", confidence=90), prediction("c", "UNDER", confidence=85),
        prediction("d", game_id="20260304_NYK_MIA"), prediction("e", "UNDER", game_id="20260304_NYK_MIA"),
        prediction("f", confidence=99),
    ]
    boxes = [box("a", 25), box("b", 21), box("c", 30), box("d", 10, "Final", 4), box("e", 10, "Final", 4)]
    body = lg.shape_live_grading(CTX, all_rows(predictions, [schedule(status=2), final_game, schedule(1, "DEN", "UTA")], boxes))
    assert [(row["player_lookup"], row["status"]) for row in body["predictions"]] == [
        ("e", "correct"), ("d", "incorrect"), ("b", "trending_correct"), ("a", "trending_correct"),
        ("c", "trending_incorrect"), ("f", "pending")]
    summary = body["summary"]
    assert (summary["total_predictions"], summary["graded"], summary["pending"]) == (6, 5, 1)
    assert (summary["correct"], summary["incorrect"], summary["trending_correct"], summary["trending_incorrect"]) == (1, 1, 2, 1)
    assert summary["win_rate"] == 0.5
    assert summary["avg_error"] == pytest.approx(round((1 + 3 + 6 + 14 + 14) / 5, 1))
    assert (summary["games_in_progress"], summary["games_final"]) == (1, 1)


def test_build_writes_dated_and_latest_with_max_age_30():
    documents = lg.build(ExportContext(G - timedelta(days=3), G, NOW, "catboost_v9"), all_rows())
    assert [(d.path, d.scope, d.max_age) for d in documents] == [
        ("live-grading/2026-03-01.json", "dated", 30), ("live-grading/latest.json", "pointer", 30)]
    assert "generated_at" not in documents[0].body


def test_box_scores_prefer_the_latest_box_row_then_the_summary():
    connection = duckdb.connect()
    connection.execute("SET TimeZone='UTC'")
    create_schema(connection)
    early, late = datetime(2026, 3, 5, 1, tzinfo=timezone.utc), datetime(2026, 3, 5, 2, tzinfo=timezone.utc)
    connection.execute("""INSERT INTO nba_raw.bdl_player_boxscores
        (game_id, game_date, season_year, game_status, period, home_team_abbr, away_team_abbr, team_abbr,
         player_lookup, player_full_name, minutes, points, processed_at) VALUES
        ($g, $d, 2025, '2nd Qtr', 2, 'BOS', 'LAL', 'BOS', 'ann', 'Ann', '10:00', 8, $early),
        ($g, $d, 2025, '3rd Qtr', 3, 'BOS', 'LAL', 'BOS', 'ann', 'Ann', '20:00', 15, $late)""",
                       {"g": GAME_ID, "d": G, "early": early, "late": late})
    connection.execute("""INSERT INTO nba_analytics.player_game_summary
        (player_lookup, game_id, game_date, team_abbr, opponent_team_abbr, season_year, points, minutes_played,
         starter_flag, win_flag, is_active) VALUES
        ('ann', $g, $d, 'BOS', 'LAL', 2025, 30, 35.0, TRUE, TRUE, TRUE),
        ('bob', $g, $d, 'LAL', 'BOS', 2025, 12, 31.5, TRUE, FALSE, TRUE)""", {"g": GAME_ID, "d": G})
    statement = to_duckdb(lg.BOX_SCORES.sql)
    result = connection.execute(statement, {"target_date": G})
    columns = [column[0] for column in result.description]
    found = {row[0]: dict(zip(columns, row)) for row in result.fetchall()}
    connection.close()
    assert (found["ann"]["points"], found["ann"]["minutes"], found["ann"]["period"]) == (15, "20:00", 3)
    assert (found["bob"]["points"], lg.minutes_text(found["bob"]), lg.box_score_state(found["bob"])) == (12, "31:30", "final")


# ---- contract on the demo season


@pytest.mark.slow
def test_contract_on_the_demo_season(demo_app):
    game_day = demo_app.clock.game_day()
    for target in (game_day, game_day - timedelta(days=1)):
        record = demo_app.runner.run(RunRequest(("live-grading",), target))
        assert record.exports["live-grading"].status == "ok", record.exports["live-grading"].error
        assert record.exports["live-grading"].queries == len(lg.SPEC.queries)
    assert contract_problems(demo_app, "live-grading/") == []
    today = published(demo_app, "live-grading/latest.json")
    assert today["game_date"] == game_day.isoformat() and today["summary"]["total_predictions"] > 0
    assert {row["status"] for row in today["predictions"]} == {"pending"}  # 13:00 ET: no box scores yet
    yesterday = published(demo_app, f"live-grading/{(game_day - timedelta(days=1)).isoformat()}.json")
    rows = yesterday["predictions"]
    assert {row["status"] for row in rows} <= {"correct", "incorrect", "graded", "pending"}
    assert yesterday["summary"]["correct"] + yesterday["summary"]["incorrect"] > 0
    for row in rows:
        called = row["recommendation"] in ("OVER", "UNDER") and row["line"] is not None
        assert ("margin_vs_line" in row) is (called or row["status"] == "pending")
