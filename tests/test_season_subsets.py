"""season-subsets: the season's published picks by public model, graded, with a deterministic record."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from exporters import season_subsets
from exporters.common import public_model_groups
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from tests.support import forbidden_tokens, run_and_read

G = date(2026, 3, 4)
CTX = ExportContext(target_date=G, game_day=G, generated_at=datetime(2026, 3, 4, 18, tzinfo=timezone.utc),
                    champion_system_id="catboost_v9")
Q43 = "catboost_v9_q43_train1102_0131"
PICK_KEYS = ["player", "team", "opponent", "prediction", "line", "direction", "created_at", "actual", "result", "subset"]


def definition(subset_id, system_id="catboost_v9", min_edge=3.0, direction=None, top_n=None):
    return dict(subset_id=subset_id, subset_name=subset_id, subset_description=None, system_id=system_id, use_ranking=top_n is not None,
                top_n=top_n, min_edge=min_edge, min_confidence=None, signal_condition="ANY", direction=direction,
                pct_over_min=None, pct_over_max=None)


CHAMPION_DEFINITIONS = [
    definition("top_pick", min_edge=5.0, direction="OVER", top_n=1), definition("top_5", min_edge=5.0, direction="ANY", top_n=5),
    definition("high_edge_over", min_edge=5.0, direction="OVER"), definition("high_edge_all", min_edge=5.0, direction="ANY"),
    definition("ultra_high_edge", min_edge=7.0, direction="ANY"), definition("all_picks", min_edge=3.0, direction="ANY"),
    definition("q43_under_top3", Q43, 5.0, "UNDER", 3), definition("q43_all_picks", Q43, 3.0, "ANY"),
]


def pick(subset_id, lookup, days_ago=1, rank=1, system_id="catboost_v9", actual=25, line=20.5, direction="OVER", created=True):
    return dict(game_date=G - timedelta(days=days_ago), system_id=system_id, subset_id=subset_id, rank_in_subset=rank,
                player_lookup=lookup, player_name=lookup.title(), team="BOS", opponent="LAL", predicted_points=26.04,
                current_points_line=line, recommendation=direction, actual_points=actual,
                created_at=datetime(2026, 3, 1, 15, tzinfo=timezone.utc) if created else None)


def record_row(subset_id, wins, graded):
    return {"subset_id": subset_id, "season_wins": wins, "season_graded": graded, "month_wins": 1, "month_graded": 2,
            "week_wins": 0, "week_graded": 0}


def shape(definitions, picks=(), signals=(), records=()):
    groups, _ = public_model_groups(definitions, CTX.champion_system_id)
    rows = {"season_picks": list(picks), "season_signals": list(signals), "subset_records": list(records)}
    return season_subsets.shape(CTX, groups, rows)


def test_empty():
    assert shape([]) == {"generated_at": CTX.generated_at, "version": 2, "season": "2025-26", "model_groups": []}


def test_broadest_subset_is_deterministic():
    groups, _ = public_model_groups(CHAMPION_DEFINITIONS + [definition("q45_all_picks", "catboost_v9_q45_train1102_0131")], "catboost_v9")
    assert [season_subsets.broadest_subset(group).info.public_id for group in groups] == ["8", "11", "13"]
    groups, _ = public_model_groups(list(reversed(CHAMPION_DEFINITIONS)), "catboost_v9")
    assert season_subsets.broadest_subset(groups[0]).info.public_id == "8"
    tied, _ = public_model_groups([definition("green_light", min_edge=5.0), definition("high_edge_all", min_edge=5.0)], "catboost_v9")
    assert season_subsets.broadest_subset(tied[0]).info.public_id == "5"


def test_record_of_the_broadest_subset_or_null():
    body = shape(CHAMPION_DEFINITIONS, records=[record_row("all_picks", 30, 50), record_row("top_pick", 9, 10)])
    champion, aurora = body["model_groups"]
    assert champion["record"] == {"season": {"wins": 30, "losses": 20, "pct": 60.0}, "month": {"wins": 1, "losses": 1, "pct": 50.0},
                                  "week": {"wins": 0, "losses": 0, "pct": 0.0}}
    assert aurora["record"] is None and aurora["dates"] == []
    assert list(champion) == ["model_id", "model_name", "model_type", "record", "dates"]
    assert (champion["model_id"], champion["model_type"], aurora["model_type"]) == ("phoenix", "primary", "specialist")


def test_results_hit_miss_push_and_null():
    assert season_subsets.pick_result("OVER", 25, 20.5) == "hit"
    assert season_subsets.pick_result("OVER", 20, 20.5) == "miss"
    assert season_subsets.pick_result("UNDER", 20, 20.5) == "hit"
    assert season_subsets.pick_result("UNDER", 21, 20.5) == "miss"
    assert season_subsets.pick_result("UNDER", 20, 20.0) == "push"
    assert season_subsets.pick_result("OVER", None, 20.5) is None


def test_dates_newest_first_picks_by_numeric_id_then_rank_with_public_subset():
    body = shape(
        CHAMPION_DEFINITIONS,
        picks=[
            pick("all_picks", "amy", days_ago=2, rank=2), pick("all_picks", "bob", days_ago=2, rank=1),
            pick("top_pick", "bob", days_ago=2, rank=1, actual=None, created=False),
            pick("all_picks", "cal", days_ago=1, line=25.0, actual=25, system_id=None),  # legacy row: the named constant
            pick("mystery", "dan", days_ago=1),  # unmapped subset: left out
            pick("q43_all_picks", "eve", days_ago=3, system_id=Q43, direction="UNDER", actual=19),
        ],
        signals=[{"game_date": G - timedelta(days=2), "daily_signal": "RED"}],
    )
    champion, aurora = body["model_groups"]
    assert [entry["date"] for entry in champion["dates"]] == ["2026-03-03", "2026-03-02"]
    newest, older = champion["dates"]
    assert (newest["signal"], older["signal"]) == ("neutral", "challenging")
    assert [(entry["subset"], entry["player"]) for entry in older["picks"]] == [("1", "Bob"), ("8", "Bob"), ("8", "Amy")]
    assert list(older["picks"][1]) == PICK_KEYS
    assert "created_at" not in older["picks"][0] and older["picks"][0]["result"] is None
    assert newest["picks"] == [{"player": "Cal", "team": "BOS", "opponent": "LAL", "prediction": 26.0, "line": 25.0,
                                "direction": "OVER", "created_at": datetime(2026, 3, 1, 15, tzinfo=timezone.utc),
                                "actual": 25, "result": "push", "subset": "8"}]
    assert aurora["dates"][0]["picks"][0]["subset"] == "11" and aurora["dates"][0]["picks"][0]["result"] == "hit"
    assert forbidden_tokens(body) == []


def test_sql_reads_the_latest_version_per_date_before_g(tiny_warehouse):
    day = G - timedelta(days=1)

    def picked(version, lookup, game_date=day):
        return dict(game_date=game_date, subset_id="all_picks", player_lookup=lookup, system_id="catboost_v9", prediction_id=lookup,
                    rank_in_subset=1, version_id=version, computed_at=datetime(2026, 3, 3, tzinfo=timezone.utc),
                    recommendation="OVER", predicted_points=26.0, current_points_line=20.5)

    tiny_warehouse.insert_rows("nba_predictions.current_subset_picks", [
        picked("v_20260303_100000", "old"), picked("v_20260303_120000", "new"), picked("v_20260304_100000", "today", G)])
    tiny_warehouse.insert_rows("nba_analytics.player_game_summary", [dict(
        player_lookup="new", game_id="g", game_date=day, team_abbr="BOS", opponent_team_abbr="LAL", season_year=2025, points=31,
        starter_flag=True, win_flag=True, is_active=True)])
    tiny_warehouse.insert_rows("nba_predictions.player_prop_predictions", [dict(
        prediction_id="new", system_id="catboost_v9", player_lookup="new", game_id="g", game_date=day, prediction_version=1,
        predicted_points=26.0, confidence_score=84.0, recommendation="OVER", is_active=True,
        created_at=datetime(2026, 3, 3, 11, tzinfo=timezone.utc))])
    runner = QueryRunner(tiny_warehouse)
    [row] = runner.run("season-subsets", season_subsets.SEASON_PICKS, CTX)
    assert (row["player_lookup"], row["actual_points"]) == ("new", 31)
    assert row["created_at"] == datetime(2026, 3, 3, 11, tzinfo=timezone.utc)
    assert runner.run("season-subsets", season_subsets.SEASON_SIGNALS, CTX) == []


def test_records_are_anchored_on_g_for_any_target():
    replay = ExportContext(target_date=date(2026, 1, 10), game_day=G, generated_at=CTX.generated_at, champion_system_id="catboost_v9")
    params = season_subsets.RECORDS_AS_OF_G.params(replay)
    assert params["target_date"] == G and params["week_start"] == date(2026, 3, 2) and params["month_start"] == date(2026, 3, 1)


def test_demo_season_contract(demo_app):
    game_day = demo_app.clock.game_day()
    run_and_read(demo_app, "subset-picks", game_day, f"picks/{game_day.isoformat()}.json")  # materialises G's version
    body = json.loads(run_and_read(demo_app, "season-subsets", game_day, "subsets/season.json"))
    assert body["version"] == 2 and body["season"] == "2025-26" and forbidden_tokens(body) == []
    assert body["model_groups"][0]["model_id"] == "phoenix"
    for group in body["model_groups"]:
        dates = [entry["date"] for entry in group["dates"]]
        assert dates == sorted(dates, reverse=True) and all(day < game_day.isoformat() for day in dates)
        for entry in group["dates"]:
            assert entry["signal"] in {"favorable", "neutral", "challenging"}
            for item in entry["picks"]:
                assert set(item) - {"created_at"} == set(PICK_KEYS) - {"created_at"}
                assert item["subset"] in {str(number) for number in range(1, 14)}
                assert item["result"] in {"hit", "miss", "push", None}
                assert item["direction"] in {"OVER", "UNDER"}

    [expected] = demo_app.backends.warehouse.query(
        "SELECT SUM(wins) AS wins, SUM(graded_picks) AS graded FROM nba_predictions.v_dynamic_subset_performance "
        "WHERE subset_id = 'all_picks' AND game_date >= @start AND game_date < @end",
        {"start": date(2025, 11, 1), "end": game_day},
    )
    wins, graded = expected["wins"], expected["graded"]
    assert body["model_groups"][0]["record"]["season"] == {"wins": wins, "losses": graded - wins, "pct": round(100 * wins / graded, 1)}
