"""performance: windows, breakdown, comparison, model_info and tier_breakdown."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from exporters import performance
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from tests.support import run_and_read

G = date(2026, 3, 4)
AS_OF = G - timedelta(days=1)
CTX = ExportContext(target_date=G, game_day=G, generated_at=datetime(2026, 3, 4, 18, tzinfo=timezone.utc),
                    champion_system_id="catboost_v9")


def daily(system_id, days_ago, **overrides):
    row = dict(
        game_date=AS_OF - timedelta(days=days_ago), system_id=system_id, predictions_count=10, recommendations_count=8,
        correct_count=4, mae=5.0, avg_bias=0.5, over_win_rate=0.5, under_win_rate=0.6, within_3_pct=0.3,
        within_5_pct=0.6, high_confidence_count=4, high_confidence_correct=3,
    )
    row.update(overrides)
    return row


def tier(system_id, name, picks, wins, edge_sum, error_sum):
    return dict(system_id=system_id, tier=name, picks=picks, wins=wins, edge_sum=edge_sum, error_sum=error_sum)


def rows(daily_rows=(), tier_rows=(), info_rows=()):
    return {"daily": list(daily_rows), "tiers": list(tier_rows), "model_info": list(info_rows)}


def test_empty():
    body = performance.shape(CTX, rows())
    assert body == {"as_of_date": "2026-03-03", "generated_at": CTX.generated_at, "systems": [], "comparison": {}}


def test_windows_are_anchored_on_g_minus_one():
    body = performance.shape(CTX, rows([
        daily("catboost_v9", 0, correct_count=8, mae=3.0),
        daily("catboost_v9", 6, correct_count=2, mae=5.0),
        daily("catboost_v9", 7, correct_count=0, mae=10.0, avg_bias=-1.0),  # outside last_7_days
        daily("catboost_v9", 40, correct_count=0, mae=None, avg_bias=None),
    ]))
    windows = body["systems"][0]["windows"]
    assert windows["last_7_days"] == {"predictions": 20, "recommendations": 16, "correct": 10, "win_rate": 0.62,
                                      "mae": 4.0, "bias": 0.5}
    assert windows["last_30_days"]["correct"] == 10 and windows["last_30_days"]["mae"] == 6.0
    assert windows["last_30_days"]["bias"] == 0.0
    assert windows["season"]["predictions"] == 40 and windows["season"]["mae"] == 6.0


def test_window_without_rows_is_all_null_and_pooled_rates():
    system = performance.shape(CTX, rows([daily("ensemble_v1", 20, recommendations_count=0, correct_count=0)]))["systems"][0]
    assert set(system["windows"]["last_7_days"].values()) == {None}
    assert system["windows"]["season"]["win_rate"] is None  # no recommendations: no rate
    assert system["breakdown"] == {"over_win_rate": 0.5, "under_win_rate": 0.6, "within_3_pct": 0.3, "within_5_pct": 0.6,
                                   "high_confidence_win_rate": 0.75}


def test_order_metadata_and_primary():
    body = performance.shape(CTX, rows([daily(system, 1) for system in ("zz_new", "moving_average", "catboost_v9", "ensemble_v1", "aa_new")]))
    assert [entry["system_id"] for entry in body["systems"]] == ["catboost_v9", "ensemble_v1", "moving_average", "aa_new", "zz_new"]
    champion, ensemble, moving, unknown = body["systems"][0], body["systems"][1], body["systems"][2], body["systems"][3]
    assert (champion["display_name"], champion["model_id"], champion["is_primary"]) == ("CatBoost V9", "phoenix", True)
    assert (ensemble["model_id"], ensemble["is_primary"]) == ("echo", False)
    assert moving["display_name"] == "Moving Average" and moving["model_id"] is None
    assert (unknown["display_name"], unknown["description"]) == ("aa_new", "")
    assert list(champion) == ["system_id", "model_id", "display_name", "description", "is_primary", "windows", "breakdown",
                              "model_info", "tier_breakdown"]


def test_comparison_ties_go_to_the_lower_rank_and_bias_keeps_its_sign():
    body = performance.shape(CTX, rows([
        daily("catboost_v9", 1, mae=4.5, avg_bias=0.8, correct_count=4),
        daily("ensemble_v1", 1, mae=4.5, avg_bias=-0.3, correct_count=6),
        daily("xgboost_v1", 1, mae=None, avg_bias=None, correct_count=2),
    ]))
    assert body["comparison"] == {
        "best_mae": {"system_id": "catboost_v9", "value": 4.5},
        "best_win_rate": {"system_id": "ensemble_v1", "value": 0.75},
        "lowest_bias": {"system_id": "ensemble_v1", "value": -0.3},
    }


def test_tier_breakdown_roi_subtracts_losses_on_every_row():
    body = performance.shape(CTX, rows([daily("catboost_v9", 1)], [
        tier("catboost_v9", "high_quality", 10, 7, 62.0, 40.0),
        tier("catboost_v9", "low_quality", 4, 1, 6.0, 22.0),
    ]))
    breakdown = body["systems"][0]["tier_breakdown"]
    assert (breakdown["window"], breakdown["start_date"], breakdown["end_date"]) == ("last_30_days", "2026-02-02", "2026-03-03")
    assert breakdown["high_quality"] == {"label": "High Quality (5+ edge)", "picks": 10, "hit_rate": 70.0, "avg_edge": 6.2,
                                         "mae": 4.0, "roi_pct": 33.6}
    assert breakdown["low_quality"]["roi_pct"] == -52.3  # 100·(0.909·1 − 3)/4
    assert breakdown["medium_quality"] == {"label": "Medium Quality (3-5 edge)", "picks": 0, "hit_rate": None,
                                           "avg_edge": None, "mae": None, "roi_pct": None}
    every = breakdown["all_predictions"]
    assert (every["label"], every["picks"], every["hit_rate"], every["avg_edge"], every["mae"]) == ("All Predictions", 14, 57.1, 4.9, 4.4)
    assert every["roi_pct"] == round(100 * (0.909 * 8 - 6) / 14, 1)
    assert list(breakdown) == ["window", "start_date", "end_date", "high_quality", "medium_quality", "low_quality", "all_predictions"]


def test_model_info_scales_and_nulls():
    info_row = dict(system_id="catboost_v9", model_file_name="catboost_v9_x.cbm", model_version="v9_20260201_011018",
                    model_trained_at=datetime(2026, 2, 1, 1, 10, tzinfo=timezone.utc),
                    model_training_start_date=date(2025, 11, 2), model_training_end_date=date(2026, 1, 31),
                    model_expected_mae=4.8123, model_expected_hit_rate=0.6244)
    empty_row = {key: None for key in info_row} | {"system_id": "ensemble_v1"}
    body = performance.shape(CTX, rows([daily("catboost_v9", 1), daily("ensemble_v1", 1), daily("xgboost_v1", 1)],
                                       info_rows=[info_row, empty_row]))
    info = body["systems"][0]["model_info"]
    assert list(info) == list(performance.MODEL_INFO_KEYS)
    assert info["model_expected_hit_rate"] == 62.4 and info["model_expected_mae"] == 4.81
    assert (info["training_start_date"], info["training_end_date"]) == ("2025-11-02", "2026-01-31")
    assert body["systems"][1]["model_info"] is None and body["systems"][2]["model_info"] is None


def test_spec_document():
    [document] = performance.build(CTX, rows())
    assert (document.path, document.max_age, document.scope) == ("systems/performance.json", 3600, "global")


def test_sql_tiers_and_model_info(tiny_warehouse):
    base = dict(player_lookup="p", game_id="g", system_id="catboost_v9", recommendation="OVER", actual_points=20)
    tiny_warehouse.insert_rows("nba_predictions.prediction_accuracy", [
        dict(base, game_date=AS_OF, predicted_points=26.0, line_value=20.5, prediction_correct=True),   # edge 5.5
        dict(base, game_date=AS_OF, predicted_points=24.0, line_value=20.5, prediction_correct=False),  # edge 3.5
        dict(base, game_date=AS_OF, predicted_points=21.0, line_value=20.0, prediction_correct=None),   # push: out
        dict(base, game_date=AS_OF, predicted_points=22.0, line_value=20.5, prediction_correct=None, recommendation="PASS"),
        dict(base, game_date=AS_OF - timedelta(days=30), predicted_points=30.0, line_value=20.5, prediction_correct=True),
        dict(base, game_date=G, predicted_points=30.0, line_value=20.5, prediction_correct=True),
    ])
    prediction = dict(player_lookup="p", game_id="g", prediction_version=1, predicted_points=20.0, confidence_score=84.0,
                      recommendation="OVER", system_id="catboost_v9")
    tiny_warehouse.insert_rows("nba_predictions.player_prop_predictions", [
        dict(prediction, prediction_id="1", game_date=G, is_active=False, model_version="new-inactive",
             created_at=datetime(2026, 3, 4, 12, tzinfo=timezone.utc)),
        dict(prediction, prediction_id="2", game_date=AS_OF, is_active=True, model_version="active",
             created_at=datetime(2026, 3, 3, 12, tzinfo=timezone.utc)),
        dict(prediction, prediction_id="3", game_date=G - timedelta(days=7), is_active=True, model_version="too-old",
             created_at=datetime(2026, 2, 25, 12, tzinfo=timezone.utc), system_id="ensemble_v1"),
    ])
    runner = QueryRunner(tiny_warehouse)
    tiers = runner.run("performance", performance.TIERS_QUERY, CTX)
    assert sorted((row["tier"], row["picks"], row["wins"]) for row in tiers) == [("high_quality", 1, 1), ("medium_quality", 1, 0)]
    info = runner.run("performance", performance.MODEL_INFO, CTX)
    assert [(row["system_id"], row["model_version"]) for row in info] == [("catboost_v9", "active")]


def test_demo_season_contract(demo_app):
    game_day = demo_app.clock.game_day()
    body = json.loads(run_and_read(demo_app, "performance", game_day, "systems/performance.json"))
    as_of = game_day - timedelta(days=1)
    assert body["as_of_date"] == as_of.isoformat()
    assert body["systems"] and body["systems"][0]["system_id"] == demo_app.settings.champion_system_id
    champion = body["systems"][0]
    assert champion["is_primary"] and champion["model_id"] == "phoenix" and champion["model_info"] is not None
    for entry in body["systems"]:
        assert list(entry["windows"]) == ["last_7_days", "last_30_days", "season"]
        for window in entry["windows"].values():
            assert list(window) == ["predictions", "recommendations", "correct", "win_rate", "mae", "bias"]
            assert window["win_rate"] is None or 0 <= window["win_rate"] <= 1
        assert list(entry["breakdown"]) == ["over_win_rate", "under_win_rate", "within_3_pct", "within_5_pct",
                                            "high_confidence_win_rate"]
        assert entry["model_info"] is None or list(entry["model_info"]) == list(performance.MODEL_INFO_KEYS)
        tiers = entry["tier_breakdown"]
        for name in ("high_quality", "medium_quality", "low_quality", "all_predictions"):
            assert set(tiers[name]) == {"label", "picks", "hit_rate", "avg_edge", "mae", "roi_pct"}
        assert tiers["all_predictions"]["picks"] == sum(tiers[name]["picks"] for name in ("high_quality", "medium_quality", "low_quality"))
    assert set(body["comparison"]) == {"best_mae", "best_win_rate", "lowest_bias"}

    [expected] = demo_app.backends.warehouse.query(
        "SELECT COUNT(*) AS picks, COUNTIF(prediction_correct) AS wins FROM nba_predictions.prediction_accuracy "
        "WHERE game_date > @start AND game_date <= @end AND system_id = @system AND recommendation IN ('OVER', 'UNDER') "
        "AND prediction_correct IS NOT NULL AND line_value IS NOT NULL",
        {"start": as_of - timedelta(days=30), "end": as_of, "system": champion["system_id"]},
    )
    every = champion["tier_breakdown"]["all_predictions"]
    picks, wins = expected["picks"], expected["wins"]
    assert every["picks"] == picks and every["hit_rate"] == round(100 * wins / picks, 1)
    assert every["roi_pct"] == round(100 * (0.909 * wins - (picks - wins)) / picks, 1)
    [season] = demo_app.backends.warehouse.query(
        "SELECT SUM(correct_count) AS correct, SUM(recommendations_count) AS recommendations "
        "FROM nba_predictions.system_daily_performance WHERE game_date BETWEEN @start AND @end AND system_id = @system",
        {"start": date(2025, 10, 1), "end": as_of, "system": champion["system_id"]},
    )
    assert champion["windows"]["season"]["correct"] == season["correct"]
    assert champion["windows"]["season"]["win_rate"] == round(season["correct"] / season["recommendations"], 2)
