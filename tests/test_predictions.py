"""predictions (api.md §3.4) and the shared queries/helpers of exporters/common.py: shapes on hand-made rows,
the shared SQL on a tiny warehouse, and the contract on the demo season."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from exporters import predictions
from exporters.common import (
    ACTIVE_CHAMPION_PREDICTIONS,
    REGISTRY_NAMES,
    TEAM_LOOKUP,
    expected_hit_rate_pct,
    model_attribution,
)
from phase6.app import open_app
from phase6.catalog import ExportContext
from phase6.runner import RunRequest
from phase6.warehouse.duckdb_backend import DuckDBWarehouse
from phase6.warehouse.schema import create_schema
from phase6.storage.local import LocalBucket
from tests.conftest import settings_for

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, tzinfo=timezone.utc)
CTX = ExportContext(G, G, NOW, "catboost_v9")
MA_KEYS = ["model_id", "model_file_name", "model_version", "model_trained_at", "training_start_date", "training_end_date",
           "model_expected_mae", "model_expected_hit_rate", "build_commit_sha", "deployment_revision", "predicted_at",
           "prediction_run_mode"]


def row(lookup: str, game_id: str = "20260304_LAL_BOS", **overrides) -> dict:
    values = dict(prediction_id=f"id-{lookup}", system_id="catboost_v9", player_lookup=lookup, game_id=game_id,
                  game_date=G, predicted_points=18.04, confidence_score=84.0, recommendation="OVER",
                  current_points_line=15.5, line_source="ACTUAL_PROP", pace_adjustment=0.456, similar_games_count=None,
                  model_version="v9_20260201_011018", model_file_name="catboost_v9_33features_20260201_011018.cbm",
                  model_training_start_date=date(2025, 11, 2), model_training_end_date=date(2026, 1, 31),
                  model_expected_mae=4.876, model_expected_hit_rate=62.44,
                  model_trained_at=datetime(2026, 2, 1, 1, 10, 18, tzinfo=timezone.utc), build_commit_sha="abc",
                  deployment_revision="rev-1", prediction_run_mode="SAME_DAY",
                  created_at=datetime(2026, 3, 4, 15, tzinfo=timezone.utc))
    values.update(overrides)
    return values


def side(lookup: str, team: str = "BOS", opponent: str = "LAL", home_game=None) -> dict:
    return dict(player_lookup=lookup, game_id="20260304_LAL_BOS", team_abbr=team, opponent_team_abbr=opponent,
                home_game=home_game)


# ---- model_attribution ----

def test_model_attribution_keys_and_scales():
    attribution = model_attribution(row("a"))
    assert list(attribution) == MA_KEYS
    assert attribution["model_id"] == "phoenix"
    assert attribution["model_expected_hit_rate"] == 62.4 and attribution["model_expected_mae"] == 4.88
    assert attribution["training_start_date"] == "2025-11-02" and attribution["predicted_at"] == row("a")["created_at"]
    assert expected_hit_rate_pct(0.624) == pytest.approx(62.4)
    assert expected_hit_rate_pct(1.0) == 100.0
    assert expected_hit_rate_pct(None) is None


def test_model_attribution_of_an_old_row_is_all_null_but_present():
    old = {"system_id": "moving_average"}
    attribution = model_attribution(old)
    assert list(attribution) == MA_KEYS and all(value is None for value in attribution.values())


# ---- shape ----

def test_empty_day():
    body = predictions.shape(CTX, [], [], [])
    assert body == {"game_date": "2026-03-04", "generated_at": NOW, "total_games": 0, "total_predictions": 0, "games": []}


def test_games_and_predictions_are_ordered_and_counted():
    rows = [row("b"), row("a"), row("c", confidence_score=90.0), row("z", game_id="20260304_MIA_NYK", recommendation="PASS"),
            row("d", recommendation="NO_LINE", current_points_line=None), row("e", recommendation="UNDER")]
    body = predictions.shape(CTX, rows, [], [])
    assert [g["game_id"] for g in body["games"]] == ["20260304_LAL_BOS", "20260304_MIA_NYK"]
    first = body["games"][0]
    assert [p["player_lookup"] for p in first["predictions"]] == ["c", "a", "b", "d", "e"]
    assert first["recommendation_breakdown"] == {"over": 3, "under": 1, "pass": 0}
    assert body["games"][1]["recommendation_breakdown"] == {"over": 0, "under": 0, "pass": 1}
    assert (first["home_team"], first["away_team"]) == ("BOS", "LAL")
    assert body["total_predictions"] == sum(g["prediction_count"] for g in body["games"]) == 6
    assert body["total_games"] == 2


def test_prediction_values_edge_and_nulls():
    body = predictions.shape(CTX, [row("a"), row("d", current_points_line=None, pace_adjustment=None, predicted_points=9.96,
                                                  similar_games_count=12.0)], [], [])
    lined, unlined = body["games"][0]["predictions"]
    assert list(lined) == ["player_lookup", "team", "is_home", "prediction", "context", "model_attribution"]
    assert lined["prediction"] == {"points": 18.04, "confidence": 84.0, "recommendation": "OVER", "line": 15.5, "edge": 2.5}
    assert lined["context"] == {"pace_adjustment": 0.46, "similar_games": None}
    assert unlined["prediction"]["line"] is None and unlined["prediction"]["edge"] is None
    assert unlined["context"] == {"pace_adjustment": None, "similar_games": 12}
    assert (lined["team"], lined["is_home"]) == (None, None)
    negative = predictions.shape(CTX, [row("u", predicted_points=12.0, current_points_line=15.5)], [], [])
    assert negative["games"][0]["predictions"][0]["prediction"]["edge"] == -3.5


def test_team_sources_in_order_and_home_flag():
    grades = [side("a", "XXX", "YYY"), side("b", "LAL", "BOS")]
    teams = [side("a", "BOS", "LAL", home_game=False)]  # context home_game wins over the game id
    body = predictions.shape(CTX, [row("a"), row("b"), row("c")], teams, grades)
    by_player = {p["player_lookup"]: p for p in body["games"][0]["predictions"]}
    assert (by_player["a"]["team"], by_player["a"]["is_home"]) == ("BOS", False)
    assert (by_player["b"]["team"], by_player["b"]["is_home"]) == ("LAL", False)
    assert (by_player["c"]["team"], by_player["c"]["is_home"]) == (None, None)


def test_other_game_id_formats_take_sides_from_the_first_row():
    body = predictions.shape(CTX, [row("a", game_id="0022500441")], [side("a", "MIA", "NYK", home_game=False)], [])
    game = body["games"][0]
    assert (game["home_team"], game["away_team"]) == ("NYK", "MIA")
    assert game["predictions"][0]["is_home"] is False
    unknown = predictions.shape(CTX, [row("a", game_id="0022500441")], [], [])["games"][0]
    assert (unknown["home_team"], unknown["away_team"]) == ("UNK", "UNK")


def test_documents_are_the_dated_file_and_its_pointer():
    documents = predictions.build(CTX, {"champion_predictions": [], "team_lookup": [], "champion_grades": []})
    assert [(d.path, d.scope, d.max_age) for d in documents] == [
        ("predictions/2026-03-04.json", "dated", 300), ("predictions/today.json", "pointer", 300)]
    past = ExportContext(date(2026, 3, 1), G, NOW, "catboost_v9")
    assert predictions.build(past, {"champion_predictions": [], "team_lookup": [], "champion_grades": []})[0].max_age == 3600


# ---- the shared SQL on a tiny warehouse ----

def insert(connection, table: str, rows: list[dict]) -> None:
    for values in rows:
        placeholders = ", ".join("?" for _ in values)
        connection.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders})", list(values.values()))


@pytest.fixture()
def tiny(tmp_path) -> DuckDBWarehouse:
    path = tmp_path / "tiny.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute("SET TimeZone='UTC'")
    create_schema(connection)
    early, late = datetime(2026, 3, 4, 12, tzinfo=timezone.utc), datetime(2026, 3, 4, 16, tzinfo=timezone.utc)
    base = dict(game_date=G, prediction_version=1, is_active=True, confidence_score=84.0, recommendation="OVER",
                predicted_points=20.0, game_id="20260304_LAL_BOS")
    insert(connection, "nba_predictions.player_prop_predictions", [
        {**base, "prediction_id": "a-old", "system_id": "catboost_v9", "player_lookup": "a", "created_at": early},
        {**base, "prediction_id": "a-new", "system_id": "catboost_v9", "player_lookup": "a", "created_at": late},
        {**base, "prediction_id": "a-gone", "system_id": "catboost_v9", "player_lookup": "a", "created_at": late,
         "is_active": False},
        {**base, "prediction_id": "b-tie-1", "system_id": "catboost_v9", "player_lookup": "b", "created_at": late},
        {**base, "prediction_id": "b-tie-2", "system_id": "catboost_v9", "player_lookup": "b", "created_at": late},
        {**base, "prediction_id": "c-other", "system_id": "catboost_v8", "player_lookup": "c", "created_at": late},
        {**base, "prediction_id": "d-yesterday", "system_id": "catboost_v9", "player_lookup": "d", "created_at": late,
         "game_date": date(2026, 3, 3)},
    ])
    context = dict(game_id="20260304_LAL_BOS", game_date=G, team_abbr="BOS", opponent_team_abbr="LAL", home_game=True)
    insert(connection, "nba_analytics.upcoming_player_game_context", [{**context, "player_lookup": "a"}])
    summary = dict(game_id="20260304_LAL_BOS", game_date=G, team_abbr="LAL", opponent_team_abbr="BOS", season_year=2025,
                   starter_flag=True, win_flag=False, is_active=True)
    insert(connection, "nba_analytics.player_game_summary",
           [{**summary, "player_lookup": "a", "team_abbr": "XXX"}, {**summary, "player_lookup": "b"}])
    registry = dict(team_abbr="BOS", season="2025-26", games_played=10)
    insert(connection, "nba_reference.nba_players_registry", [
        {**registry, "player_lookup": "a", "player_name": "A One"},
        {**registry, "player_lookup": "t", "player_name": "Traded Old", "season": "2024-25", "games_played": 70},
        {**registry, "player_lookup": "t", "player_name": "Traded Few", "games_played": 3},
        {**registry, "player_lookup": "t", "player_name": "Traded Many", "games_played": 40, "team_abbr": "MIA"},
    ])
    connection.close()
    warehouse = DuckDBWarehouse(path)
    yield warehouse
    warehouse.close()


def run_query(warehouse, query):
    return warehouse.query(query.sql, query.params(CTX))


def test_active_champion_predictions_keep_the_latest_active_row_per_player_and_game(tiny):
    rows = run_query(tiny, ACTIVE_CHAMPION_PREDICTIONS)
    assert sorted(r["prediction_id"] for r in rows) == ["a-new", "b-tie-2"]
    assert {"model_expected_hit_rate", "model_file_name", "created_at", "similar_games_count"} <= set(rows[0])


def test_team_lookup_prefers_the_context_and_has_one_row_per_player(tiny):
    rows = run_query(tiny, TEAM_LOOKUP)
    assert {r["player_lookup"]: (r["team_abbr"], r["home_game"]) for r in rows} == {"a": ("BOS", True), "b": ("LAL", None)}


def test_registry_names_take_the_latest_season_then_most_games(tiny):
    rows = run_query(tiny, REGISTRY_NAMES)
    assert {r["player_lookup"]: r["player_name"] for r in rows} == {"a": "A One", "t": "Traded Many"}


# ---- contract on the demo season ----

@pytest.fixture(scope="module")
def demo_files(tmp_path_factory, demo_db):
    tmp_path = tmp_path_factory.mktemp("predictions")
    app = open_app(settings_for(tmp_path, Path(demo_db)))
    try:
        game_day = app.clock.game_day()
        record = app.runner.run(RunRequest(("predictions",), game_day))
        past = app.runner.run(RunRequest(("predictions",), date(2026, 2, 20), mode="replay"))
    finally:
        app.close()
    bucket = LocalBucket(tmp_path / "bucket")
    return dict(record=record, past=past, today=bucket.read(f"v1/predictions/{game_day}.json"),
                pointer=bucket.read("v1/predictions/today.json"),
                past_file=json.loads(bucket.read("v1/predictions/2026-02-20.json")))


@pytest.mark.slow
@pytest.mark.parametrize("which", ["today", "past_file"])
def test_demo_predictions_follow_the_contract(demo_files, which):
    body = json.loads(demo_files[which]) if which == "today" else demo_files[which]
    assert list(body) == ["game_date", "generated_at", "total_games", "total_predictions", "games"]
    assert body["total_games"] == len(body["games"]) > 0
    assert body["total_predictions"] == sum(g["prediction_count"] for g in body["games"])
    seen = set()
    for game in body["games"]:
        assert game["prediction_count"] == len(game["predictions"])
        for item in game["predictions"]:
            key = (game["game_id"], item["player_lookup"])
            assert key not in seen
            seen.add(key)
            assert 0 <= item["prediction"]["confidence"] <= 100 and item["prediction"]["confidence"] > 1
            assert list(item["model_attribution"]) == MA_KEYS
            assert item["model_attribution"]["model_id"] == "phoenix"
            assert item["team"] is not None and item["is_home"] is not None
            hit_rate = item["model_attribution"]["model_expected_hit_rate"]
            assert hit_rate is None or 1 < hit_rate <= 100


@pytest.mark.slow
def test_demo_pointer_is_the_dated_twin(demo_files):
    assert demo_files["record"].exports["predictions"].status == "ok"
    assert demo_files["today"] == demo_files["pointer"]
