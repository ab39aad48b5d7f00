"""The contract schemas and checks (phase6/contract.py, schemas/) on hand-made documents written from api.md.

Each endpoint has a small valid document that must pass; each mutation breaks one rule of api.md and must fail,
which proves the schemas and checks can fail.
"""
from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any, Callable

import jsonschema
import pytest

from phase6 import contract

TS = "2026-03-04T18:00:00.123456+00:00"
MA = {
    "model_id": "phoenix", "model_file_name": "catboost_v9_feb_02_retrain.cbm", "model_version": "v9_20260201_011018",
    "model_trained_at": TS, "training_start_date": "2025-11-02", "training_end_date": "2026-01-31",
    "model_expected_mae": 4.12, "model_expected_hit_rate": 61.5, "build_commit_sha": None, "deployment_revision": None,
    "predicted_at": TS, "prediction_run_mode": "OVERNIGHT",
}
S = {"total": 2, "wins": 1, "losses": 1, "pushes": 0, "win_rate": 0.5, "avg_error": 3.25}
R = {"wins": 3, "losses": 1, "pct": 75.0}
D = {
    "model_file_name": "catboost_v9_feb_02_retrain.cbm", "model_version": "v9_20260201_011018", "model_trained_at": TS,
    "training_start_date": "2025-11-02", "training_end_date": "2026-01-31", "model_expected_mae": 4.12,
    "model_expected_hit_rate": 61.5, "build_commit_sha": "abc123", "deployment_revision": None,
}


def results_doc() -> dict[str, Any]:
    row = {
        "player_lookup": "janedoe", "game_id": "20260303_BOS_LAL", "team": "LAL", "opponent": "BOS", "predicted": 22.5,
        "actual": 25, "line": 21.5, "recommendation": "OVER", "result": "WIN", "error": 2.5, "bias": -2.5,
        "confidence": 0.82, "minutes": 33.5, "confidence_tier": "high", "player_tier": "starter", "is_home": True,
        "is_back_to_back": False, "days_rest": 2,
    }
    return {
        "game_date": "2026-03-03", "generated_at": TS,
        "summary": {
            "total_predictions": 1, "recommendations": 1, "correct": 1, "incorrect": 0, "pass_count": 0, "win_rate": 1.0,
            "avg_mae": 2.5, "avg_bias": -2.5, "within_3_points": 1, "within_3_pct": 1.0, "within_5_points": 1, "within_5_pct": 1.0,
        },
        "breakdowns": {
            "by_player_tier": {"elite": S, "starter": S, "role_player": S},
            "by_confidence": {"high": S, "medium": S, "low": S},
            "by_recommendation": {"over": {**S, "total": 1, "wins": 1, "losses": 0, "win_rate": 1.0}, "under": {**S, "total": 0, "wins": 0, "losses": 0, "win_rate": 0.0}},
            "by_context": {"home": S, "away": S, "back_to_back": S, "rested": S},
        },
        "results": [row],
        "highlights": {
            "best_prediction": {"player": "janedoe", "player_full_name": "Jane Doe", "team": "LAL", "predicted": 22.5, "actual": 25, "error": 2.5},
            "worst_prediction": {"player": "janedoe", "player_full_name": "Jane Doe", "team": "LAL", "predicted": 22.5, "actual": 25, "error": 2.5, "minutes": 33.5},
        },
    }


def tier(label: str, picks: int = 4) -> dict[str, Any]:
    return {"label": label, "picks": picks, "hit_rate": 75.0, "avg_edge": 5.5, "mae": 4.1, "roi_pct": 43.2}


def performance_doc() -> dict[str, Any]:
    window = {"predictions": 100, "recommendations": 80, "correct": 44, "win_rate": 0.55, "mae": 4.8, "bias": -0.3}
    return {
        "as_of_date": "2026-03-03", "generated_at": TS,
        "systems": [{
            "system_id": "catboost_v9", "model_id": "phoenix", "display_name": "CatBoost V9",
            "description": "CatBoost gradient boosting with 33 features and real Vegas lines", "is_primary": True,
            "windows": {"last_7_days": window, "last_30_days": window, "season": window},
            "breakdown": {"over_win_rate": 0.56, "under_win_rate": 0.54, "within_3_pct": 0.4, "within_5_pct": 0.6, "high_confidence_win_rate": None},
            "model_info": {key: D[key] for key in list(D)[:7]},
            "tier_breakdown": {
                "window": "last_30_days", "start_date": "2026-02-02", "end_date": "2026-03-03",
                "high_quality": tier("High Quality (5+ edge)"), "medium_quality": tier("Medium Quality (3-5 edge)"),
                "low_quality": tier("Low Quality (<3 edge)"), "all_predictions": tier("All Predictions", picks=12),
            },
        }],
        "comparison": {"best_mae": {"system_id": "catboost_v9", "value": 4.8}, "best_win_rate": {"system_id": "catboost_v9", "value": 0.55},
                       "lowest_bias": {"system_id": "catboost_v9", "value": -0.3}},
    }


def best_bets_doc() -> dict[str, Any]:
    pick = {
        "rank": 1, "tier": "premium", "player_lookup": "janedoe", "player_full_name": "Jane Doe", "game_id": "20260304_BOS_LAL",
        "team": "LAL", "opponent": "BOS", "recommendation": "UNDER", "line": 20.5, "predicted": 14.5, "edge": 6.0, "confidence": 0.84,
        "composite_score": 1.071, "player_historical_accuracy": None, "player_sample_size": None, "fatigue_score": 96.0,
        "fatigue_level": "fresh", "rationale": [
            "Premium pick: edge of 5+ points", "Good confidence (84%)", "Strong edge (6.0 points)",
            "Rotation player (model performs well: 73%+ hit rate)", "Well-rested (fatigue: 96)",
        ], "result": "PENDING",
        "actual": None, "error": None, "model_attribution": MA,
    }
    methodology = "Tiered selection: OVER and UNDER, edge/confidence thresholds, excludes stars and broken 88-90% tier"
    return {
        "game_date": "2026-03-04", "generated_at": TS, "methodology": methodology, "total_picks": 1,
        "tier_summary": {"premium": 1, "strong": 0, "value": 0, "standard": 0}, "picks": [pick],
    }


def predictions_doc() -> dict[str, Any]:
    row = {
        "player_lookup": "janedoe", "team": "LAL", "is_home": True,
        "prediction": {"points": 22.5, "confidence": 87.0, "recommendation": "OVER", "line": 20.5, "edge": 2.0},
        "context": {"pace_adjustment": None, "similar_games": 12}, "model_attribution": MA,
    }
    return {
        "game_date": "2026-03-04", "generated_at": TS, "total_games": 1, "total_predictions": 1,
        "games": [{
            "game_id": "20260304_BOS_LAL", "home_team": "LAL", "away_team": "BOS", "prediction_count": 1,
            "recommendation_breakdown": {"over": 1, "under": 0, "pass": 0}, "predictions": [row],
        }],
    }


def tonight_player(has_line: bool) -> dict[str, Any]:
    player = {
        "player_lookup": "janedoe" if has_line else "johndoe", "name": "Jane Doe", "team": "LAL", "is_home": True, "has_line": has_line,
        "fatigue_level": "normal", "fatigue_score": 80.0, "days_rest": 1, "injury_status": "available", "injury_reason": None,
        "season_ppg": 21.3, "season_mpg": 33.0, "last_5_ppg": 23.25, "games_played": 50, "limited_data": False,
        "last_10_points": [25, 25, 25, 18],
    }
    if has_line:
        player |= {
            "props": [{"stat_type": "points", "line": 20.5, "over_odds": -110, "under_odds": None}],
            "prediction": {"predicted": 22.5, "confidence": 87.0, "recommendation": "OVER"},
            "last_10_results": ["O", "O", "-", "U"], "last_10_record": "2-1",
        }
    return player


def tonight_doc() -> dict[str, Any]:
    return {
        "game_date": "2026-03-04", "generated_at": TS, "total_players": 2, "total_with_lines": 1,
        "games": [{
            "game_id": "20260304_BOS_LAL", "home_team": "LAL", "away_team": "BOS", "game_time": "7:30 PM ET",
            "game_status": "scheduled", "home_score": None, "away_score": None, "player_count": 2,
            "players": [tonight_player(True), tonight_player(False)],
        }],
    }


def tonight_player_doc() -> dict[str, Any]:
    def game(day: str, over_under: str | None) -> dict[str, Any]:
        return {
            "game_date": day, "opponent": "BOS", "home_game": True, "points": 25, "minutes": 33.5, "fg": "9/18", "three": None,
            "ft": "5/6", "over_under": over_under, "line": 20.5, "margin": 4.5,
        }

    return {
        "player_lookup": "janedoe", "player_full_name": "Jane Doe", "game_date": "2026-03-04", "generated_at": TS,
        "games_played": 50, "limited_data": False,
        "game_context": {
            "game_id": "20260304_BOS_LAL", "opponent": "BOS", "home_game": True, "team_abbr": "LAL", "line": 20.5, "days_rest": 1,
            "is_back_to_back": False, "injury_status": "available", "injury_reason": None,
        },
        "quick_numbers": {"season_ppg": 21.3, "season_mpg": 33.0, "games_played": 50, "last_10_ppg": 25.0, "last_10_mpg": 33.5,
                          "last_5_ppg": 25.0, "last_5_mpg": 33.5},
        "fatigue": {"score": 80.0, "level": "normal", "context": '{"games_last_7": 3}', "context_data": {"games_last_7": 3}},
        "current_streak": {"type": "over", "length": 2},
        "tonights_factors": [
            {"factor": "location", "direction": "neutral", "description": "Home", "vs_line_pct": 0.625},
            {"factor": "opponent_defense", "direction": "negative", "description": "Elite defense", "defense_rank": 3,
             "defense_tier": "elite", "ppg_allowed": 105.25},
        ],
        "recent_form": [game("2026-03-02", "OVER"), game("2026-02-28", "OVER"), game("2026-02-26", None)],
        "prediction": {"predicted_points": 22.5, "confidence_score": 87.0, "recommendation": "OVER", "line": 20.5, "edge": 2.0,
                       "pace_adjustment": None, "similar_games": None},
    }


def streaks_doc() -> dict[str, Any]:
    over = {"player_lookup": "janedoe", "player_full_name": "Jane Doe", "team": "LAL", "streak_length": 5, "avg_margin": 3.2,
            "games": [{"game_date": "2026-03-03", "points": 25, "line": 20.5, "opponent": "BOS"}]}
    hits = {"player_lookup": "janedoe", "player_full_name": "Jane Doe", "team": "LAL", "streak_length": 4, "streak_type": "prediction_hits"}
    return {
        "generated_at": TS, "as_of_date": "2026-03-04", "min_streak_length": 4,
        "streaks": {"over": [over], "under": [], "prediction_hits": [hits]},
        "summary": {"total_over_streaks": 1, "total_under_streaks": 0, "total_prediction_streaks": 1, "longest_over": 5,
                    "longest_under": 0, "longest_prediction": 4},
    }


def picks_doc() -> dict[str, Any]:
    pick = {"player": "Jane Doe", "team": "LAL", "opponent": "BOS", "prediction": 26.5, "line": 20.5, "direction": "OVER", "created_at": TS}
    return {
        "date": "2026-03-04", "generated_at": TS, "version": 2,
        "model_groups": [{
            "model_id": "phoenix", "model_name": "Phoenix", "model_type": "primary", "description": "Our primary prediction engine",
            "signal": "favorable",
            "subsets": [
                {"id": "1", "name": "Top Pick", "record": {"season": R, "month": R, "week": R}, "picks": [pick]},
                {"id": "8", "name": "All Picks", "record": None, "picks": []},
            ],
        }],
    }


def signals_doc() -> dict[str, Any]:
    return {"date": "2026-03-04", "generated_at": TS, "model": "phoenix", "signal": "favorable",
            "metrics": {"conditions": "balanced", "picks": 4}}


def subsets_performance_doc() -> dict[str, Any]:
    def window(start: str) -> dict[str, Any]:
        return {"start_date": start, "end_date": "2026-03-03",
                "groups": [{"id": "1", "name": "Top Pick", "stats": {"hit_rate": 100.0, "roi": 90.9, "picks": 1}}]}

    starts = {"last_1_day": "2026-03-03", "last_3_days": "2026-03-01", "last_7_days": "2026-02-25", "last_14_days": "2026-02-18",
              "last_30_days": "2026-02-02", "season": "2025-11-01"}
    return {"generated_at": TS, "version": 2,
            "model_groups": [{"model_id": "phoenix", "model_name": "Phoenix", "windows": {k: window(v) for k, v in starts.items()}}]}


def systems_subsets_doc() -> dict[str, Any]:
    return {"generated_at": TS, "version": 2, "model_groups": [
        {"model_id": "phoenix", "model_name": "Phoenix", "model_type": "primary", "description": "Our primary prediction engine",
         "subsets": [{"id": "1", "name": "Top Pick", "description": "Single best OVER pick of the day"}]},
        {"model_id": "aurora", "model_name": "Aurora", "model_type": "specialist", "description": "Specialist engine with a different approach",
         "subsets": [{"id": "9", "name": "UNDER Top 3", "description": "Top 3 UNDER picks"}]},
    ]}


def subsets_season_doc() -> dict[str, Any]:
    pick = {"player": "Jane Doe", "team": "LAL", "opponent": "BOS", "prediction": 26.5, "line": 20.5, "direction": "OVER",
            "actual": 25, "result": "hit", "subset": "8"}
    return {"generated_at": TS, "version": 2, "season": "2025-26", "model_groups": [
        {"model_id": "phoenix", "model_name": "Phoenix", "model_type": "primary", "record": {"season": R, "month": R, "week": R},
         "dates": [{"date": "2026-03-03", "signal": "neutral", "picks": [pick]}]},
    ]}


def systems_models_doc() -> dict[str, Any]:
    version = {**D, "first_seen": "2026-02-26", "last_seen": "2026-03-04", "predictions": 420}
    return {"generated_at": TS, "as_of_date": "2026-03-04", "window_days": 7, "champion": "phoenix", "models": [
        {"model_id": "phoenix", "system_id": "catboost_v9", "model_name": "Phoenix", "model_type": "primary",
         "description": "Our primary prediction engine", "is_champion": True, "predictions_in_window": 420,
         "last_prediction_date": "2026-03-04", "current": D, "versions": [version]},
    ]}


def players_index_doc() -> dict[str, Any]:
    return {"generated_at": TS, "total_players": 1, "players": [
        {"player_lookup": "janedoe", "player_full_name": "Jane Doe", "team": "LAL", "games_predicted": 40, "recommendations": 30,
         "mae": 4.5, "win_rate": 0.57, "bias": -0.4, "within_5_pct": 0.62},
    ]}


def player_profile_doc() -> dict[str, Any]:
    split = {"avg": 21.5, "games": 10, "vs_line_pct": 0.6}
    calls = {"total": 10, "wins": 6, "losses": 4, "pct": 0.6}
    return {
        "player_lookup": "janedoe", "player_full_name": "Jane Doe", "generated_at": TS, "recent_news": [],
        "summary": {"team": "LAL", "games_predicted": 40, "total_recommendations": 30, "correct": 17, "mae": 4.5, "win_rate": 0.57,
                    "bias": -0.4, "avg_confidence": 0.84, "within_3_pct": 0.4, "within_5_pct": 0.62,
                    "date_range": {"first": "2025-10-22", "last": "2026-03-03"}},
        "interpretation": {"bias": "Well calibrated", "accuracy": "Good", "sample_size": "Large sample"},
        "game_log": [{"game_date": "2026-03-03", "opponent": "BOS", "home_game": True, "team_result": "W", "points": 25, "minutes": 33.5,
                      "fg": "9/18", "three": "2/5", "ft": "5/6", "rebounds": 6, "assists": 4, "steals": 1, "blocks": 0, "turnovers": 2,
                      "line": 20.5, "over_under": "OVER", "margin": 4.5}],
        "splits": {"rest": {"b2b": split, "one_day": split, "two_day": split, "three_plus": split},
                   "location": {"home": split, "away": split},
                   "opponents": [{"team": "BOS", "avg": 23.0, "games": 3, "vs_line_pct": 0.67}]},
        "our_track_record": {"total_predictions": 40, "overall": {"wins": 17, "losses": 13, "pct": 0.57}, "over_calls": calls,
                             "under_calls": calls, "avg_error": 4.5, "bias": -0.4, "within_3_pts": 0.4, "within_5_pts": 0.62},
        "next_game": {"game_date": "2026-03-04", "game_id": "20260304_BOS_LAL", "opponent": "BOS", "home_game": True, "has_prediction": True},
    }


def live_row(status: str, **values: Any) -> dict[str, Any]:
    row = {
        "player_lookup": "janedoe", "player_name": "Jane Doe", "team": "LAL", "home_team": "LAL", "away_team": "BOS",
        "game_status": "final", "period": 4, "time_remaining": None, "predicted": 22.5, "line": 20.5, "recommendation": "OVER",
        "confidence": 87.125, "has_line": True, "line_source": "ODDS_API", "actual": 25, "minutes": "33:30", "error": -2.5,
        "margin_vs_line": 4.5, "status": status,
    }
    return row | values


def live_grading_doc() -> dict[str, Any]:
    pending = live_row("pending", player_lookup="johndoe", game_status="scheduled", period=None, actual=None, minutes=None,
                       error=None, margin_vs_line=None, confidence=80.0)
    return {
        "updated_at": TS, "game_date": "2026-03-04",
        "summary": {"total_predictions": 2, "graded": 1, "pending": 1, "correct": 1, "incorrect": 0, "trending_correct": 0,
                    "trending_incorrect": 0, "win_rate": 1.0, "avg_error": 2.5, "games_in_progress": 0, "games_final": 1},
        "predictions": [live_row("correct"), pending],
    }


def status_doc() -> dict[str, Any]:
    paths = {
        "results": ("results/latest.json", 108000), "performance": ("systems/performance.json", 108000),
        "best-bets": ("best-bets/latest.json", 93600), "predictions": ("predictions/today.json", 93600),
        "tonight": ("tonight/all-players.json", 43200), "tonight-players": ("tonight/player/janedoe.json", 43200),
        "streaks": ("streaks/today.json", 93600), "subset-picks": ("picks/2026-03-04.json", 93600),
        "daily-signals": ("signals/2026-03-04.json", 93600), "subset-performance": ("subsets/performance.json", 93600),
        "subset-definitions": ("systems/subsets.json", 172800), "season-subsets": ("subsets/season.json", 93600),
        "model-registry": ("systems/models.json", 172800), "players": ("players/index.json", 691200),
        "live-grading": ("live-grading/latest.json", 93600),
    }
    written = "2026-03-04T17:59:00.000000+00:00"
    service = {"status": "healthy", "message": "ok", "last_update": written, "age_minutes": 1.0, "is_stale": False}
    return {
        "updated_at": TS, "generated_at": TS, "game_day": "2026-03-04", "publisher_build": None, "overall_status": "healthy",
        "services": {"tonight_data": service, "grading": service, "predictions": service, "live_data": service},
        "known_issues": [], "maintenance_windows": [],
        "run": {"run_id": "abc", "correlation_id": "abc", "mode": "live", "target_date": "2026-03-04", "status": "success",
                "started_at": TS, "finished_at": TS, "exports": {"results": "ok", "players": "skipped"}},
        "endpoints": [
            {"export_type": export_type, "path": path, "last_written_at": written, "age_seconds": 60, "sla_seconds": sla, "status": "ok"}
            for export_type, (path, sla) in paths.items()
        ],
    }


VALID: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "results": ("results/2026-03-03.json", results_doc),
    "systems-performance": ("systems/performance.json", performance_doc),
    "best-bets": ("best-bets/2026-03-04.json", best_bets_doc),
    "predictions": ("predictions/2026-03-04.json", predictions_doc),
    "tonight": ("tonight/2026-03-04.json", tonight_doc),
    "tonight-player": ("tonight/player/2026-03-04/janedoe.json", tonight_player_doc),
    "streaks": ("streaks/2026-03-04.json", streaks_doc),
    "picks": ("picks/2026-03-04.json", picks_doc),
    "signals": ("signals/2026-03-04.json", signals_doc),
    "subsets-performance": ("subsets/performance.json", subsets_performance_doc),
    "systems-subsets": ("systems/subsets.json", systems_subsets_doc),
    "subsets-season": ("subsets/season.json", subsets_season_doc),
    "systems-models": ("systems/models.json", systems_models_doc),
    "players-index": ("players/index.json", players_index_doc),
    "player-profile": ("players/janedoe.json", player_profile_doc),
    "live-grading": ("live-grading/2026-03-04.json", live_grading_doc),
    "status": ("status.json", status_doc),
}


# ------------------------------------------------------------------------------------------- the schemas themselves


def test_every_schema_is_a_valid_draft_2020_12_schema():
    files = contract.schema_files()
    assert {path.stem for path in files} == set(contract.SCHEMA_NAMES) | {"defs"}
    for path in files:
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_endpoint_has_a_hand_made_valid_document():
    assert set(VALID) == set(contract.SCHEMA_NAMES)


@pytest.mark.parametrize("name", sorted(VALID))
def test_hand_made_valid_document_passes(name):
    path, build = VALID[name]
    assert contract.schema_name(path) == name
    assert contract.validate_document(path, build()) == []
    assert contract.hygiene_violations(path, build()) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("results/2026-03-03.json", "results"), ("results/latest.json", "results"),
        ("tonight/player/2026-03-04/xyz.json", "tonight-player"), ("tonight/player/xyz.json", "tonight-player"),
        ("tonight/all-players.json", "tonight"), ("tonight/2026-03-04.json", "tonight"),
        ("players/index.json", "players-index"), ("players/janedoe.json", "player-profile"),
        ("predictions/today.json", "predictions"), ("streaks/today.json", "streaks"), ("status.json", "status"),
        ("live-grading/latest.json", "live-grading"), ("systems/models.json", "systems-models"),
        ("trends/whatever.json", None), ("live/latest.json", None), ("players/jane/season/2026.json", None),
    ],
)
def test_paths_map_to_schemas(path, expected):
    assert contract.schema_name(path) == expected


# ------------------------------------------------------------------------------------------- invalid documents fail


def mutate(name: str, change: Callable[[dict[str, Any]], None]) -> tuple[str, dict[str, Any]]:
    path, build = VALID[name]
    body = copy.deepcopy(build())
    change(body)
    return path, body


def set_in(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        node = body
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def delete(*keys: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        node = body
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


INVALID = [
    # wrong confidence scale (§1.6)
    ("results", set_in("results", 0, "confidence", value=82.0), "0–1 confidence on the 0–100 scale"),
    ("best-bets", set_in("picks", 0, "confidence", value=84.0), "0–1 confidence on the 0–100 scale"),
    ("predictions", set_in("games", 0, "predictions", 0, "prediction", "confidence", value=187.0), "confidence above 100"),
    ("predictions", set_in("games", 0, "predictions", 0, "prediction", "confidence", value=0.87), "0–100 confidence on the 0–1 scale"),
    ("live-grading", lambda body: [row.update(confidence=0.871) for row in body["predictions"]], "0–100 confidence on the 0–1 scale"),
    ("tonight-player", set_in("prediction", "confidence_score", value=0.87), "0–100 confidence on the 0–1 scale"),
    ("picks", set_in("model_groups", 0, "subsets", 0, "record", "season", "pct", value=0.75), "R pct on the 0–1 scale"),
    ("subsets-performance", set_in("model_groups", 0, "windows", "season", "groups", 0, "stats", "hit_rate", value=100.5), "hit rate above 100"),
    ("systems-models", set_in("models", 0, "current", "model_expected_hit_rate", value=161.5), "hit rate above 100"),
    # missing required keys
    ("results", delete("summary", "avg_bias"), "missing summary key"),
    ("systems-performance", delete("systems", 0, "tier_breakdown"), "missing tier_breakdown"),
    ("best-bets", delete("picks", 0, "model_attribution", "prediction_run_mode"), "MA missing a key"),
    ("tonight-player", delete("fatigue", "context_data"), "missing fatigue key"),
    ("streaks", delete("summary", "longest_under"), "missing summary key"),
    ("signals", delete("metrics", "picks"), "missing metrics key"),
    ("player-profile", delete("next_game"), "missing next_game"),
    ("status", delete("run", "correlation_id"), "missing run key"),
    ("live-grading", delete("summary", "games_final"), "missing summary key"),
    # null lists
    ("predictions", set_in("games", value=None), "null games list"),
    ("tonight", set_in("games", 0, "players", 0, "last_10_points", value=None), "null last_10_points"),
    ("best-bets", set_in("picks", 0, "rationale", value=None), "null rationale"),
    ("subsets-season", set_in("model_groups", 0, "dates", value=None), "null dates"),
    ("systems-subsets", set_in("model_groups", 0, "subsets", value=None), "null subsets"),
    # closed key set of pick objects
    ("picks", set_in("model_groups", 0, "subsets", 0, "picks", 0, "rank", value=1), "extra key in a picks/ pick"),
    ("subsets-season", set_in("model_groups", 0, "dates", 0, "picks", 0, "edge", value=6.0), "extra key in a season pick"),
    ("picks", set_in("model_groups", 0, "subsets", 0, "picks", 0, "created_at", value=None), "optional created_at written as null"),
    # timestamps and dates (§1.3)
    ("results", set_in("generated_at", value="2026-03-04T18:00:00.123456Z"), "timestamp with Z"),
    ("predictions", set_in("generated_at", value="2026-03-04T18:00:00+00:00"), "timestamp without microseconds"),
    ("best-bets", set_in("picks", 0, "model_attribution", "predicted_at", value="2026-03-04 18:00:00"), "naive timestamp"),
    ("streaks", set_in("as_of_date", value="2026-3-4"), "bad date"),
    ("status", set_in("endpoints", 0, "last_written_at", value="2026-03-04T17:59:00"), "naive last_written_at"),
    # numbers (§1.4)
    ("results", set_in("summary", "correct", value=1.0), "count written as a float"),
    ("results", set_in("summary", "avg_mae", value=3), "float written as an integer literal"),
    ("predictions", set_in("games", 0, "predictions", 0, "prediction", "points", value=22.555), "float with 3 decimals in a float2"),
    ("picks", set_in("model_groups", 0, "subsets", 0, "picks", 0, "line", value=20.25), "float with 2 decimals in a float1"),
    # closed enumerations
    ("results", set_in("results", 0, "result", value="VOID"), "unknown result"),
    ("tonight", set_in("games", 0, "game_status", value="postponed"), "unknown game_status"),
    ("picks", set_in("model_groups", 0, "signal", value="GREEN"), "raw signal"),
    ("picks", set_in("model_groups", 0, "model_id", value="catboost_v9"), "raw system id as model_id"),
    ("signals", set_in("metrics", "conditions", value="BALANCED"), "raw skew"),
    ("status", set_in("run", "exports", "results", value="error"), "unknown export status"),
    # optional keys (§1.5)
    ("tonight", delete("games", 0, "players", 0, "props"), "has_line player without props"),
    ("tonight", set_in("games", 0, "players", 1, "last_10_record", value=None), "no-line player with last_10_record"),
    ("signals", set_in("note", value="No data available for this date"), "note on a day with a row"),
    ("live-grading", delete("predictions", 1, "margin_vs_line"), "pending row without margin_vs_line: null"),
    # key order (§1.2)
    ("signals", set_in("metrics", value={"picks": 4, "conditions": "balanced"}), "metrics keys out of shape order"),
    ("predictions", lambda body: body.update(generated_at=body.pop("generated_at")), "generated_at moved to the end"),
    # game_time (§1.3)
    ("tonight", set_in("games", 0, "game_time", value=" 7:30 PM ET"), "leading space in game_time"),
    ("tonight", set_in("games", 0, "game_time", value="07:30 PM ET"), "leading zero in game_time"),
    # fixed values
    ("best-bets", set_in("tier_summary", "standard", value=1), "standard tier not 0"),
    ("player-profile", set_in("recent_news", value=[{"title": "x"}]), "recent_news not empty"),
    ("systems-subsets", set_in("model_groups", 0, "subsets", 0, "description", value="Curated selection"), "legacy description"),
    ("status", set_in("endpoints", 0, "sla_seconds", value=3600), "wrong SLA"),
    ("status", lambda body: body["endpoints"].pop(), "14 endpoints"),
    ("status", lambda body: body["endpoints"].reverse(), "endpoints out of order"),
    # a DNP is not a game; a game's label is its over_under_result (§1.8)
    ("player-profile", lambda body: body["game_log"][0].update(points=0, minutes=0.0, margin=-20.5), "a DNP in the game log"),
    ("tonight-player", lambda body: body["recent_form"][2].update(points=0, minutes=None, margin=-20.5), "a DNP in recent_form"),
    ("player-profile", set_in("game_log", 0, "over_under", value="PUSH"), "a label that is not an over_under_result"),
]


@pytest.mark.parametrize(("name", "change", "reason"), INVALID, ids=[f"{n}-{r}" for n, _, r in INVALID])
def test_schema_rejects(name, change, reason):
    path, body = mutate(name, change)
    assert contract.validate_document(path, body), reason


# ------------------------------------------------------------------------------------------- checklist invariants

INVARIANT_BREAKS = [
    ("best-bets", set_in("total_picks", value=2), "total_picks != len(picks)"),
    ("best-bets", set_in("picks", 0, "rank", value=2), "rank not 1..n"),
    ("best-bets", set_in("picks", 0, "actual", value=18), "PENDING with an actual"),
    ("best-bets", set_in("picks", 0, "tier", value="value"), "tier not matching edge"),
    ("best-bets", set_in("tier_summary", "premium", value=0), "tier_summary not matching picks"),
    ("best-bets", set_in("picks", 0, "composite_score", value=0.5), "composite not following the formula"),
    ("best-bets", lambda body: body["picks"][0]["rationale"].pop(2), "rationale missing the edge line"),
    ("best-bets", lambda body: body["picks"][0]["rationale"].reverse(), "rationale out of order"),
    ("best-bets", set_in("picks", 0, "confidence", value=0.89), "confidence in the excluded 88-90% band"),
    ("systems-performance", set_in("comparison", "best_mae", "value", value=4.1), "comparison not the season minimum"),
    ("systems-performance", set_in("systems", 0, "display_name", value="CatBoost V8"), "stale display label"),
    ("systems-performance", set_in("systems", 0, "tier_breakdown", "start_date", value="2026-02-03"), "tier window length"),
    ("predictions", set_in("games", 0, "predictions", 0, "is_home", value=False), "is_home against the home team"),
    ("tonight", set_in("games", 0, "players", 0, "team", value="NYK"), "player outside both sides of the game"),
    ("tonight-player", set_in("game_context", "opponent", value="NYK"), "opponent not the other side"),
    ("streaks", set_in("streaks", "over", 0, "games", 0, "points", value=18), "OVER streak game under the line"),
    ("results", set_in("results", 0, "confidence_tier", value="low"), "confidence tier against confidence"),
    ("picks", set_in("model_groups", 0, "subsets", 0, "picks", 0, "direction", value="UNDER"), "UNDER above the line"),
    ("predictions", set_in("total_predictions", value=3), "total_predictions != Σ prediction_count"),
    ("predictions", lambda body: body["games"][0]["predictions"].append(copy.deepcopy(body["games"][0]["predictions"][0])),
     "two rows for one (game_id, player_lookup)"),
    ("predictions", set_in("games", 0, "predictions", 0, "prediction", "edge", value=-2.0), "edge sign"),
    ("tonight", set_in("games", 0, "players", 0, "last_10_results", value=["O"]), "last-10 lists of different lengths"),
    ("tonight", set_in("games", 0, "players", 0, "last_10_record", value="2-0"), "record not counting results"),
    ("tonight", set_in("total_with_lines", value=2), "total_with_lines"),
    ("tonight", set_in("games", 0, "game_id", value="20260304_LAL_BOS"), "game id not AWAY_HOME"),
    ("tonight-player", set_in("current_streak", "length", value=3), "streak not walked from recent_form"),
    ("tonight-player", set_in("recent_form", 0, "margin", value=4.0), "margin truncated"),
    ("tonight-player", set_in("tonights_factors", 1, "defense_tier", value="weak"), "defense tier vs rank"),
    ("tonight-player", set_in("limited_data", value=True), "limited_data with 50 games"),
    ("streaks", set_in("summary", "longest_over", value=6), "longest not matching"),
    ("streaks", lambda body: body["streaks"]["over"].append(copy.deepcopy(body["streaks"]["over"][0])), "duplicate player"),
    ("results", set_in("summary", "correct", value=0), "summary not counting results"),
    ("results", set_in("results", 0, "result", value="PASS"), "PASS on an OVER call"),
    ("live-grading", set_in("predictions", 0, "margin_vs_line", value=2.0), "margin_vs_line != actual − line"),
    ("live-grading", set_in("predictions", 0, "status", value="incorrect"), "OVER 25 vs 20.5 graded incorrect"),
    ("live-grading", set_in("summary", "pending", value=0), "pending != total − graded"),
    ("live-grading", lambda body: body["predictions"].reverse(), "status order"),
    ("live-grading", lambda body: body["predictions"][0].update(recommendation="PASS", status="graded"),
     "margin_vs_line present without a call"),
    ("subsets-season", set_in("model_groups", 0, "dates", 0, "picks", 0, "result", value="miss"), "result against actual/line"),
    ("subsets-performance", set_in("model_groups", 0, "windows", "season", "groups", 0, "stats", "roi", value=50.0), "roi vs hit rate"),
    ("subsets-performance", set_in("model_groups", 0, "windows", "last_7_days", "start_date", value="2026-02-24"), "window length"),
    ("picks", set_in("model_groups", 0, "subsets", 0, "record", "week", "pct", value=50.0), "record pct"),
    ("picks", lambda body: body["model_groups"][0]["subsets"].reverse(), "subsets not by numeric id"),
    ("systems-subsets", lambda body: body["model_groups"].reverse(), "champion not first"),
    ("systems-models", set_in("models", 0, "predictions_in_window", value=5), "Σ versions != predictions_in_window"),
    ("players-index", set_in("total_players", value=2), "total_players"),
    ("player-profile", delete("interpretation", "bias"), "interpretation.bias missing with a bias"),
    ("status", set_in("overall_status", value="degraded"), "overall status not derived"),
    ("status", set_in("endpoints", 3, "status", value="stale"), "stale endpoint within SLA"),
    ("status", set_in("updated_at", value="2026-03-04T18:00:01.000000+00:00"), "updated_at != generated_at"),
    ("status", set_in("services", "grading", "status", value="degraded"), "grading not following results"),
    ("status", set_in("services", "live_data", "status", value="unhealthy"), "live_data unhealthy with live-grading fresh"),
    ("status", set_in("services", "live_data", "last_update", value=None), "live_data not live-grading's write time"),
    ("status", set_in("services", "tonight_data", "age_minutes", value=2.0), "tonight_data age not tonight's"),
    ("tonight", set_in("games", 0, "players", 0, "last_5_ppg", value=24.2), "last_5_ppg not over the last-10 games"),
    ("tonight-player", set_in("quick_numbers", "last_5_ppg", value=22.0), "last_5_ppg not over recent_form"),
    ("tonight-player", set_in("quick_numbers", "last_10_mpg", value=32.0), "last_10_mpg not over recent_form"),
]


@pytest.mark.parametrize(("name", "change", "reason"), INVARIANT_BREAKS, ids=[f"{n}-{r}" for n, _, r in INVARIANT_BREAKS])
def test_checklist_invariants_reject(name, change, reason):
    path, body = mutate(name, change)
    assert contract.validate_document(path, body), reason


def test_a_scoreless_game_in_minutes_is_a_game():
    path, body = mutate("player-profile", lambda body: body["game_log"][0].update(points=0, minutes=12.0, margin=-20.5,
                                                                                   over_under="UNDER"))
    assert contract.validate_document(path, body) == []
    path, body = mutate("player-profile", lambda body: body["game_log"][0].update(points=0, minutes=None, margin=-20.5))
    assert contract.validate_document(path, body) == [
        "players/janedoe.json [player-profile] /game_log/0: " + repr(body["game_log"][0])
        + ": A DNP is not a game: no listed game has 0 points in 0 or unknown minutes."]


def test_a_date_like_string_must_be_a_date_or_a_timestamp_anywhere():
    body = predictions_doc()
    body["games"][0]["predictions"][0]["model_attribution"]["model_version"] = "2026-03-04T10:00:00Z"
    assert contract.value_format_violations(body) == [
        "/games/0/predictions/0/model_attribution/model_version: '2026-03-04T10:00:00Z' is neither a date nor a §1.3 timestamp"
    ]


# ------------------------------------------------------------------------------------------- raw bytes, twins, cache


def test_raw_bytes_rules():
    good = json.dumps({"name": "Nikola Jokić", "value": 1.5}, indent=2, ensure_ascii=False).encode() + b"\n"
    assert contract.raw_violations(good) == []
    assert contract.raw_violations(b'{\n  "value": NaN\n}') != []
    assert contract.raw_violations(b'{\n  "value": -Infinity\n}') != []
    assert contract.raw_violations(json.dumps({"name": "Jokić"}, indent=2).encode()) != []  # ensure_ascii escapes
    assert contract.raw_violations(json.dumps({"a": 1, "b": 2}, indent=4).encode()) != []
    assert contract.raw_violations(b"\xff\xfe") != []


def test_a_string_saying_nan_is_not_a_nan_token():
    assert contract.raw_violations(b'{\n  "player": "NaN Infinity"\n}') == []


@pytest.mark.parametrize(
    ("path", "body", "twin"),
    [
        ("results/latest.json", {"game_date": "2026-03-03"}, "results/2026-03-03.json"),
        ("predictions/today.json", {"game_date": "2026-03-04"}, "predictions/2026-03-04.json"),
        ("tonight/all-players.json", {"game_date": "2026-03-04"}, "tonight/2026-03-04.json"),
        ("tonight/player/janedoe.json", {"game_date": "2026-03-04"}, "tonight/player/2026-03-04/janedoe.json"),
        ("streaks/today.json", {"as_of_date": "2026-03-04"}, "streaks/2026-03-04.json"),
        ("live-grading/latest.json", {"game_date": "2026-03-04"}, "live-grading/2026-03-04.json"),
        ("best-bets/latest.json", {"game_date": "2026-03-04"}, "best-bets/2026-03-04.json"),
        ("results/2026-03-03.json", {"game_date": "2026-03-03"}, None),
        ("systems/models.json", {}, None),
    ],
)
def test_dated_twins(path, body, twin):
    assert contract.dated_twin(path, body) == twin


G = date(2026, 3, 4)


@pytest.mark.parametrize(
    ("path", "body", "max_age"),
    [
        ("results/2026-03-03.json", {}, 86400), ("results/2026-03-04.json", {}, 300), ("results/latest.json", {}, 300),
        ("best-bets/2026-03-03.json", {"picks": [{"result": "WIN"}]}, 86400),
        ("best-bets/2026-03-03.json", {"picks": [{"result": "PENDING"}]}, 300),
        ("best-bets/2026-03-05.json", {"picks": []}, 300),
        ("predictions/2026-03-01.json", {}, 3600), ("predictions/2026-03-04.json", {}, 300), ("predictions/today.json", {}, 300),
        ("tonight/2026-03-01.json", {}, 86400), ("tonight/all-players.json", {}, 300),
        ("tonight/player/2026-03-01/janedoe.json", {}, 86400), ("tonight/player/janedoe.json", {}, 300),
        ("streaks/2026-03-01.json", {}, 86400), ("streaks/2026-03-04.json", {}, 3600), ("streaks/today.json", {}, 3600),
        ("picks/2026-01-01.json", {}, 300), ("signals/2026-01-01.json", {}, 300), ("subsets/performance.json", {}, 3600),
        ("systems/subsets.json", {}, 86400), ("subsets/season.json", {}, 3600), ("systems/models.json", {}, 86400),
        ("systems/performance.json", {}, 3600), ("players/index.json", {}, 3600), ("players/janedoe.json", {}, 3600),
        ("live-grading/2026-03-01.json", {}, 30), ("live-grading/latest.json", {}, 30), ("status.json", {}, 60),
    ],
)
def test_expected_cache_control(path, body, max_age):
    assert contract.expected_cache_control(path, body, G) == f"public, max-age={max_age}"


# ------------------------------------------------------------------------------------------- hygiene (§1.7)


def test_hygiene_ignores_files_outside_its_scope():
    assert contract.hygiene_violations("best-bets/2026-03-04.json", {"composite_score": 1.0, "note": "catboost_v9"}) == []


@pytest.mark.parametrize("token", contract.FORBIDDEN_TOKENS)
def test_hygiene_rejects_a_forbidden_token_in_a_key(token):
    body = signals_doc()
    body["metrics"][f"x_{token}"] = 1
    assert contract.hygiene_violations("signals/2026-03-04.json", body)


@pytest.mark.parametrize("token", contract.FORBIDDEN_TOKENS)
def test_hygiene_rejects_a_forbidden_token_in_a_value(token):
    body = systems_subsets_doc()
    body["model_groups"][0]["subsets"][0]["description"] = f"Picks by {token}"
    assert contract.hygiene_violations("systems/subsets.json", body)


def test_hygiene_allows_tokens_in_the_player_name_and_is_case_sensitive():
    body = picks_doc()
    body["model_groups"][0]["subsets"][0]["picks"][0]["player"] = "Fred Edge-RED"
    body["model_groups"][0]["subsets"][0]["name"] = "Top Pick"
    body["model_groups"][0]["description"] = "High Edge OVER, Red team"
    assert contract.hygiene_violations("picks/2026-03-04.json", body) == []


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("picks/2026-03-04.json", set_in("model_groups", 0, "model_id", value="unknown")),
        ("picks/2026-03-04.json", set_in("model_groups", 0, "subsets", 0, "id", value="top_pick")),
        ("picks/2026-03-04.json", set_in("model_groups", 0, "model_name", value="Other")),
        ("subsets/performance.json", set_in("model_groups", 0, "model_id", value="ensemble_v1")),
        ("signals/2026-03-04.json", set_in("model", value="catboost_v9")),
        ("subsets/season.json", set_in("model_groups", 0, "dates", 0, "picks", 0, "subset", value="unknown")),
        ("subsets/season.json", set_in("model_groups", 0, "dates", 0, "picks", 0, "team", value="q43_all_picks")),
    ],
)
def test_hygiene_rejects_unknown_codenames_and_raw_ids(path, change):
    name = contract.schema_name(path)
    _, body = mutate(name, change)
    assert contract.hygiene_violations(path, body)


def test_importing_the_contract_does_not_need_jsonschema():
    import subprocess
    import sys

    code = "import sys; sys.modules['jsonschema'] = None; sys.modules['referencing'] = None; import phase6.contract"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------------- one run's catalogue


def dumped(body: dict[str, Any]) -> bytes:
    return json.dumps(body, indent=2, ensure_ascii=False).encode()


def test_scope_rules_of_a_run():
    predictions = predictions_doc()
    empty_results = {**results_doc(), "results": []}
    assert contract.scope_violations({"predictions/2026-03-04.json": predictions, "predictions/today.json": predictions},
                                     "live", G, G) == []
    assert contract.scope_violations({"predictions/today.json": predictions}, "replay", G, G)
    assert contract.scope_violations({"systems/models.json": systems_models_doc()}, "replay", G, G)
    assert contract.scope_violations({"best-bets/latest.json": best_bets_doc()}, "live", date(2026, 3, 3), G)
    assert contract.scope_violations({"results/latest.json": results_doc()}, "live", date(2026, 3, 3), G) == []
    assert contract.scope_violations({"results/latest.json": empty_results}, "live", G, G)
    assert contract.scope_violations({"predictions/2026-03-05.json": predictions}, "live", G, G)
    assert contract.scope_violations({"trends/whatever.json": {}}, "live", G, G)


def test_pointers_must_be_byte_identical_to_their_twins():
    body = dumped(predictions_doc())
    assert contract.catalogue_violations({"predictions/2026-03-04.json": body, "predictions/today.json": body}) == []
    assert contract.catalogue_violations({"predictions/2026-03-04.json": body, "predictions/today.json": body + b" "})
    assert contract.catalogue_violations({"predictions/today.json": body})


def test_best_bets_must_be_rows_of_predictions():
    predictions, best_bets = predictions_doc(), best_bets_doc()
    best_bets["picks"][0] |= {"player_lookup": "janedoe", "game_id": "20260304_BOS_LAL", "predicted": 22.5, "line": 20.5}
    raw = {"predictions/2026-03-04.json": dumped(predictions), "best-bets/2026-03-04.json": dumped(best_bets)}
    assert contract.catalogue_violations(raw) == []
    best_bets["picks"][0]["model_attribution"] = {**MA, "model_version": "v9_other"}
    assert contract.catalogue_violations({**raw, "best-bets/2026-03-04.json": dumped(best_bets)})


def test_tonight_and_player_files_must_cover_the_same_players():
    tonight, detail = tonight_doc(), tonight_player_doc()
    tonight["games"][0]["players"] = [tonight["games"][0]["players"][0]]
    tonight |= {"total_players": 1}
    detail["game_context"]["line"] = 20.5
    raw = {"tonight/2026-03-04.json": dumped(tonight), "tonight/player/2026-03-04/janedoe.json": dumped(detail)}
    assert contract.catalogue_violations(raw) == []
    assert contract.catalogue_violations({**raw, "tonight/player/2026-03-04/johndoe.json": dumped(detail)})
    detail["games_played"] = 12
    assert contract.catalogue_violations({**raw, "tonight/player/2026-03-04/janedoe.json": dumped(detail)})


def test_tonight_and_player_files_must_show_the_same_recent_games_and_labels():
    tonight, detail = tonight_doc(), tonight_player_doc()
    tonight["games"][0]["players"] = [tonight["games"][0]["players"][0]]
    tonight |= {"total_players": 1}
    raw = {"tonight/2026-03-04.json": dumped(tonight), "tonight/player/2026-03-04/janedoe.json": dumped(detail)}
    assert contract.catalogue_violations(raw) == []
    detail["recent_form"][1]["over_under"] = "UNDER"  # one file labelling a game differently
    [problem] = contract.catalogue_violations({**raw, "tonight/player/2026-03-04/janedoe.json": dumped(detail)})
    assert "O/U labels" in problem
    tonight["games"][0]["players"][0]["last_10_points"] = [0, 25, 25, 25]  # a DNP counted in one list only
    [problem] = contract.catalogue_violations({**raw, "tonight/2026-03-04.json": dumped(tonight)})
    assert "recent games with points" in problem


def test_streaks_must_follow_the_labels_of_the_profiles():
    def logged(day: str, over_under: str, points: int = 25) -> dict[str, Any]:
        return {**player_profile_doc()["game_log"][0], "game_date": day, "over_under": over_under, "points": points}

    profile, streaks = player_profile_doc(), streaks_doc()
    profile["game_log"] = [logged(day, "OVER") for day in ("2026-03-03", "2026-03-01", "2026-02-27", "2026-02-25", "2026-02-23")]
    profile["game_log"][2] |= {"points": 20, "line": 20.0, "margin": 0.0}  # a push, which the table records as OVER
    profile["game_log"].append(logged("2026-02-21", "UNDER", points=12))

    def catalogue(streaks: dict[str, Any]) -> dict[str, bytes]:
        return {"players/janedoe.json": dumped(profile), "streaks/today.json": dumped(streaks),
                "streaks/2026-03-04.json": dumped(streaks)}

    raw = catalogue(streaks)
    assert contract.catalogue_violations(raw) == []
    streaks["streaks"]["over"][0]["streak_length"] = 2  # a streak that stopped at the push
    assert contract.catalogue_violations(catalogue(streaks))
    streaks = streaks_doc()
    streaks["streaks"]["over"] = []
    assert contract.catalogue_violations(catalogue(streaks))  # a 5-game run left out
    profile["game_log"][1]["over_under"] = "UNDER"
    assert contract.catalogue_violations({**raw, "players/janedoe.json": dumped(profile)})  # listed, but a 1-game run


def test_profiles_must_match_the_index():
    index, profile = players_index_doc(), player_profile_doc()
    raw = {"players/index.json": dumped(index), "players/janedoe.json": dumped(profile)}
    assert contract.catalogue_violations(raw) == []
    assert contract.catalogue_violations({"players/index.json": raw["players/index.json"]})
    assert contract.catalogue_violations(raw, min_games=41)


def test_status_must_describe_the_bucket():
    status = status_doc()
    assert contract.catalogue_violations({"status.json": dumped(status)})  # every probe says written, none exists
    status["endpoints"] = [{**e, "last_written_at": None, "age_seconds": None, "status": "stale"} for e in status["endpoints"]]
    assert contract.catalogue_violations({"status.json": dumped(status)}) == []


def test_global_files_are_anchored_on_g():
    assert contract.as_of_violations({"systems/performance.json": performance_doc()}, G) == []
    assert contract.as_of_violations({"systems/performance.json": performance_doc()}, date(2026, 3, 5))
    assert contract.as_of_violations({"subsets/performance.json": subsets_performance_doc()}, G) == []
    assert contract.as_of_violations({"subsets/season.json": subsets_season_doc()}, G) == []
    assert contract.as_of_violations({"subsets/season.json": subsets_season_doc()}, date(2026, 3, 3))
    assert contract.as_of_violations({"systems/models.json": systems_models_doc()}, date(2026, 3, 5))


def test_tonight_and_live_grading_must_show_the_published_predictions():
    predictions, tonight, live = predictions_doc(), tonight_doc(), live_grading_doc()
    tonight["games"][0]["players"][0]["prediction"] |= {"predicted": 22.5, "confidence": 87.0}
    live["predictions"] = [live["predictions"][0]]
    raw = {"predictions/2026-03-04.json": dumped(predictions), "tonight/2026-03-04.json": dumped(tonight),
           "live-grading/2026-03-04.json": dumped(live)}
    assert contract.catalogue_violations(raw) == []
    tonight["games"][0]["players"][0]["prediction"]["confidence"] = 80.0
    live["predictions"][0]["player_lookup"] = "someoneelse"
    changed = {**raw, "tonight/2026-03-04.json": dumped(tonight), "live-grading/2026-03-04.json": dumped(live)}
    assert len(contract.catalogue_violations(changed)) == 2


def test_records_of_g_agree_between_picks_season_and_performance():
    picks, season, performance = picks_doc(), subsets_season_doc(), subsets_performance_doc()
    record = {"season": {"wins": 1, "losses": 0, "pct": 100.0}, "month": R, "week": R}
    picks["model_groups"][0]["subsets"][0]["record"] = record
    picks["model_groups"][0]["subsets"][1]["record"] = season["model_groups"][0]["record"]
    season_groups = performance["model_groups"][0]["windows"]["season"]["groups"]
    season_groups.append({"id": "8", "name": "All Picks", "stats": {"hit_rate": 75.0, "roi": 43.2, "picks": 4}})
    bodies = {"picks/2026-03-04.json": picks, "subsets/season.json": season, "subsets/performance.json": performance}
    assert contract.as_of_violations(bodies, G) == []
    picks["model_groups"][0]["subsets"][1]["record"] = None
    assert contract.as_of_violations(bodies, G)


def test_order_checks_leave_ties_of_rounded_sort_keys_open():
    first, second = {"c": 0.857, "p": "b"}, {"c": 0.857, "p": "a"}
    key = lambda pick: (-pick["c"], pick["p"])  # noqa: E731
    assert contract._sorted_by([first, second], key, rounded=(0,))
    assert not contract._sorted_by([first, second], key)
    assert not contract._sorted_by([{"c": 0.5, "p": "a"}, first], key, rounded=(0,))
