"""subset-performance: windows anchored on G ending G − 1, one grouped query, hygiene."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from exporters import subset_performance
from exporters.common import public_model_groups
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from tests.support import forbidden_tokens, run_and_read
from phase6.vocab import SUBSETS

G = date(2026, 3, 4)
CTX = ExportContext(target_date=G, game_day=G, generated_at=datetime(2026, 3, 4, 18, tzinfo=timezone.utc),
                    champion_system_id="catboost_v9")
Q43 = "catboost_v9_q43_train1102_0131"


def definition(subset_id, system_id="catboost_v9"):
    return dict(subset_id=subset_id, subset_name=subset_id, subset_description=None, system_id=system_id, use_ranking=False,
                top_n=None, min_edge=3.0, min_confidence=None, signal_condition="ANY", direction=None,
                pct_over_min=None, pct_over_max=None)


def totals(subset_id, **windows):
    """windows: name → (rows, graded, wins); every other window has no rows."""
    row = {"subset_id": subset_id}
    for name in subset_performance.WINDOW_NAMES:
        view_rows, graded, wins = windows.get(name, (0, 0, 0))
        row.update({f"{name}_rows": view_rows, f"{name}_graded": graded, f"{name}_wins": wins})
    return row


def shape(definitions, total_rows):
    groups, _ = public_model_groups(definitions, CTX.champion_system_id)
    return subset_performance.shape(CTX, groups, total_rows)


def test_window_bounds_end_on_g_minus_one():
    bounds = subset_performance.window_bounds(G)
    assert list(bounds) == ["last_1_day", "last_3_days", "last_7_days", "last_14_days", "last_30_days", "season"]
    assert bounds["last_1_day"] == (date(2026, 3, 3), date(2026, 3, 3))
    assert bounds["last_3_days"] == (date(2026, 3, 1), date(2026, 3, 3))
    assert bounds["last_30_days"] == (date(2026, 2, 2), date(2026, 3, 3))
    assert bounds["season"] == (date(2025, 11, 1), date(2026, 3, 3))
    params = subset_performance.window_params(CTX)
    assert params["window_start"] == date(2025, 11, 1) and params["end_date"] == date(2026, 3, 3)
    early = subset_performance.window_params(ExportContext(date(2025, 11, 10), date(2025, 11, 10), CTX.generated_at, "catboost_v9"))
    assert early["window_start"] == date(2025, 10, 11)  # last_30_days reaches before the season start


def test_stats_hit_rate_and_roi_at_minus_110():
    assert subset_performance.stats(1, 1) == {"hit_rate": 100.0, "roi": 90.9, "picks": 1}
    assert subset_performance.stats(0, 2) == {"hit_rate": 0.0, "roi": -100.0, "picks": 2}
    assert subset_performance.stats(7, 10) == {"hit_rate": 70.0, "roi": round(100 * (0.909 * 7 - 3) / 10, 1), "picks": 10}
    assert subset_performance.stats(0, 0) == {"hit_rate": 0.0, "roi": 0.0, "picks": 0}


def test_empty():
    assert shape([], []) == {"generated_at": CTX.generated_at, "version": 2, "model_groups": []}


def test_model_without_rows_lists_every_window_empty():
    body = shape([definition("all_picks")], [])
    [group] = body["model_groups"]
    assert list(group) == ["model_id", "model_name", "windows"]
    assert (group["model_id"], group["model_name"]) == ("phoenix", "Phoenix")
    assert list(group["windows"]) == list(subset_performance.WINDOW_NAMES)
    assert all(window["groups"] == [] for window in group["windows"].values())
    assert group["windows"]["last_7_days"]["start_date"] == "2026-02-25"
    assert group["windows"]["last_7_days"]["end_date"] == "2026-03-03"


def test_groups_only_with_rows_in_the_window_ordered_by_numeric_id():
    body = shape(
        [definition("all_picks"), definition("top_pick"), definition("ultra_high_edge"), definition("q43_all_picks", Q43),
         definition("mystery")],
        [totals("all_picks", season=(40, 30, 18), last_30_days=(10, 8, 5)),
         totals("top_pick", season=(20, 20, 15), last_1_day=(1, 0, 0), last_30_days=(4, 4, 3)),
         totals("ultra_high_edge"), totals("q43_all_picks", season=(3, 3, 1)), totals("mystery", season=(9, 9, 9))],
    )
    champion, aurora = body["model_groups"]
    assert aurora["model_id"] == "aurora"
    season = champion["windows"]["season"]["groups"]
    assert [group["id"] for group in season] == ["1", "8"]
    assert season[0] == {"id": "1", "name": "Top Pick", "stats": {"hit_rate": 75.0, "roi": 43.2, "picks": 20}}
    assert champion["windows"]["last_1_day"]["groups"] == [{"id": "1", "name": "Top Pick", "stats": {"hit_rate": 0.0, "roi": 0.0, "picks": 0}}]
    assert champion["windows"]["last_7_days"]["groups"] == []
    assert forbidden_tokens(body) == []


def test_sql_sums_each_window_and_excludes_g(tiny_warehouse):
    tiny_warehouse.insert_rows("nba_predictions.dynamic_subset_definitions", [dict(
        subset_id="all_picks", subset_name="All Picks", system_id="catboost_v9", min_edge=3.0, signal_condition="ANY",
        use_ranking=False, is_active=True)])
    prediction = dict(system_id="catboost_v9", prediction_version=1, confidence_score=84.0, recommendation="OVER",
                      is_active=True, created_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    games = [("a", G, 30.0, 20.5, 25), ("b", G - timedelta(days=1), 30.0, 20.5, 25), ("c", G - timedelta(days=1), 30.0, 20.5, 10),
             ("d", G - timedelta(days=5), 30.0, 20.5, 25), ("e", G - timedelta(days=5), 30.0, 20.0, 20)]
    tiny_warehouse.insert_rows("nba_predictions.player_prop_predictions", [
        dict(prediction, prediction_id=lookup, player_lookup=lookup, game_id=f"{day:%Y%m%d}_LAL_BOS", game_date=day,
             predicted_points=predicted, current_points_line=line)
        for lookup, day, predicted, line, _ in games])
    tiny_warehouse.insert_rows("nba_analytics.player_game_summary", [
        dict(player_lookup=lookup, game_id=f"{day:%Y%m%d}_LAL_BOS", game_date=day, team_abbr="BOS", opponent_team_abbr="LAL",
             season_year=2025, points=points, starter_flag=True, win_flag=True, is_active=True)
        for lookup, day, _, _, points in games])
    rows = QueryRunner(tiny_warehouse).run("subset-performance", subset_performance.WINDOW_TOTALS, CTX)
    [row] = rows
    assert (row["last_1_day_rows"], row["last_1_day_graded"], row["last_1_day_wins"]) == (1, 2, 1)
    assert (row["last_7_days_rows"], row["last_7_days_graded"], row["last_7_days_wins"]) == (2, 3, 2)  # e is a push
    assert (row["season_graded"], row["season_wins"]) == (3, 2)


def test_demo_season_contract_and_view_cross_check(demo_app):
    game_day = demo_app.clock.game_day()
    body = json.loads(run_and_read(demo_app, "subset-performance", game_day, "subsets/performance.json"))
    assert body["version"] == 2 and forbidden_tokens(body) == []
    assert [group["model_id"] for group in body["model_groups"]] == ["phoenix", "aurora", "summit"]
    for group in body["model_groups"]:
        assert list(group["windows"]) == list(subset_performance.WINDOW_NAMES)
        for window in group["windows"].values():
            assert window["end_date"] == (game_day - timedelta(days=1)).isoformat()
            ids = [int(entry["id"]) for entry in window["groups"]]
            assert ids == sorted(ids)

    # The view ranks top-n subsets by composite_score alone, so ties at the cut resolve by query plan: read it over the
    # exporter's whole range (season start to G − 1) and sum the last 7 days here.
    daily = demo_app.backends.warehouse.query(
        "SELECT subset_id, game_date, graded_picks, wins FROM nba_predictions.v_dynamic_subset_performance "
        "WHERE game_date >= @start AND game_date <= @end",
        {"start": date(2025, 11, 1), "end": game_day - timedelta(days=1)},
    )
    expected: dict[str, list[int]] = {}
    for row in daily:
        if row["game_date"] >= game_day - timedelta(days=7):
            totals = expected.setdefault(row["subset_id"], [0, 0])
            totals[0] += row["graded_picks"]
            totals[1] += row["wins"]
    published = {entry["id"]: entry["stats"] for group in body["model_groups"] for entry in group["windows"]["last_7_days"]["groups"]}
    assert expected and len(published) == len(expected)
    for subset_id, (graded, wins) in expected.items():
        stats = published[SUBSETS[subset_id].public_id]
        assert stats["picks"] == graded
        if graded:
            assert stats["hit_rate"] == round(100 * wins / graded, 1)
            assert stats["roi"] == round(100 * (0.909 * wins - (graded - wins)) / graded, 1)
