"""results: shape functions on hand-made rows, the SQL on a tiny warehouse, contract on the demo."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone


from exporters import results
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from tests.support import run_and_read

DAY = date(2026, 3, 3)
CTX = ExportContext(
    target_date=DAY, game_day=date(2026, 3, 4), generated_at=datetime(2026, 3, 4, 18, tzinfo=timezone.utc),
    champion_system_id="catboost_v9",
)


SUMMARY_KEYS = ["total_predictions", "recommendations", "correct", "incorrect", "pass_count", "win_rate", "avg_mae", "avg_bias",
                "within_3_points", "within_3_pct", "within_5_points", "within_5_pct"]
ROW_KEYS = ["player_lookup", "game_id", "team", "opponent", "predicted", "actual", "line", "recommendation", "result", "error",
            "bias", "confidence", "minutes", "confidence_tier", "player_tier", "is_home", "is_back_to_back", "days_rest"]


def graded(lookup="aaron", game_id="20260303_LAL_BOS", **overrides):
    row = dict(
        player_lookup=lookup, game_id=game_id, team_abbr="BOS", opponent_team_abbr="LAL", predicted_points=20.0,
        actual_points=18, line_value=17.5, recommendation="OVER", prediction_correct=True, absolute_error=2.0,
        signed_error=2.0, confidence_score=0.84, minutes_played=33.0, within_3_points=True, within_5_points=True,
        has_features=True, is_home=True, days_rest=2, season_ppg=18.0, back_to_back_flag=0.0,
    )
    row.update(overrides)
    return row


def test_empty_day_is_the_zeroed_skeleton():
    body = results.shape(CTX, [], {})
    assert list(body) == ["game_date", "generated_at", "summary", "breakdowns", "results", "highlights"]
    assert body["results"] == [] and body["highlights"] == {}
    assert list(body["summary"]) == SUMMARY_KEYS and all(value == 0 for value in body["summary"].values())
    assert isinstance(body["summary"]["win_rate"], float)
    for group, buckets in results.BREAKDOWN_BUCKETS.items():
        assert list(body["breakdowns"][group]) == list(buckets)
        for stats in body["breakdowns"][group].values():
            assert stats == {"total": 0, "wins": 0, "losses": 0, "pushes": 0, "win_rate": 0.0, "avg_error": 0.0}


def test_result_words_pass_versus_push():
    assert results.result_word("OVER", True) == "WIN"
    assert results.result_word("UNDER", False) == "LOSS"
    assert results.result_word("UNDER", None) == "PUSH"
    assert results.result_word("PASS", None) == "PASS"
    assert results.result_word("HOLD", None) == "PASS"
    assert results.result_word("NO_LINE", None) == "PASS"


def test_pushes_and_passes_stay_out_of_win_rate():
    rows = [
        graded("a", prediction_correct=True),
        graded("b", prediction_correct=False),
        graded("c", prediction_correct=None),  # push or void
        graded("d", recommendation="PASS", prediction_correct=None),
    ]
    body = results.shape(CTX, rows, {})
    summary = body["summary"]
    assert (summary["total_predictions"], summary["recommendations"]) == (4, 3)
    assert (summary["correct"], summary["incorrect"], summary["pass_count"]) == (1, 1, 1)
    assert summary["win_rate"] == 0.5
    assert [row["result"] for row in body["results"]] == ["WIN", "LOSS", "PUSH", "PASS"]
    over = body["breakdowns"]["by_recommendation"]["over"]
    assert (over["total"], over["wins"], over["losses"], over["pushes"], over["win_rate"]) == (3, 1, 1, 1, 0.5)


def test_summary_rates_are_three_decimals_and_means_skip_nulls():
    rows = [
        graded("a", within_3_points=True, absolute_error=1.0, signed_error=-1.0),
        graded("b", within_3_points=False, within_5_points=False, absolute_error=None, signed_error=None,
               prediction_correct=None),
        graded("c", within_3_points=False, absolute_error=4.0, signed_error=4.0, prediction_correct=False),
    ]
    summary = results.shape(CTX, rows, {})["summary"]
    assert summary["within_3_points"] == 1 and summary["within_3_pct"] == 0.333
    assert summary["within_5_points"] == 2 and summary["within_5_pct"] == 0.667
    assert summary["avg_mae"] == 2.5 and summary["avg_bias"] == 1.5
    assert summary["win_rate"] == 0.5


def test_tiers_and_context():
    assert [results.confidence_tier(value) for value in (0.70, 0.69, 0.55, 0.549, None)] == [
        "high", "medium", "medium", "low", "low"]
    assert [results.player_tier(value) for value in (25.0, 24.9, 15.0, 14.9, None)] == [
        "elite", "starter", "starter", "role_player", "role_player"]
    missing = graded(has_features=False, is_home=None, days_rest=None, season_ppg=None, back_to_back_flag=None)
    row = results.result_row(missing)
    assert row["is_home"] is True  # game_id ends with _BOS, the player's team
    assert row["days_rest"] == 1 and row["is_back_to_back"] is False and row["player_tier"] == "role_player"
    away = results.result_row(graded(has_features=False, team_abbr="LAL"))
    assert away["is_home"] is False
    null_home = results.result_row(graded(is_home=None))
    assert null_home["is_home"] is False
    b2b = results.result_row(graded(back_to_back_flag=1.0, days_rest=1, is_home=False))
    assert b2b["is_back_to_back"] is True
    body = results.shape(CTX, [graded(back_to_back_flag=1.0, days_rest=1, is_home=False)], {})
    context = body["breakdowns"]["by_context"]
    assert (context["away"]["total"], context["back_to_back"]["total"], context["rested"]["total"], context["home"]["total"]) == (1, 1, 0, 0)


def test_row_fields_and_scales():
    row = results.result_row(graded(confidence_score=0.8412, predicted_points=21.04, minutes_played=None, actual_points=None))
    assert list(row) == ROW_KEYS
    assert row["confidence"] == 0.84 and row["predicted"] == 21.04 and row["minutes"] is None and row["actual"] is None
    assert row["confidence_tier"] == "high"


def test_highlights_ties_go_to_player_lookup_and_names_fall_back():
    rows = [
        graded("zed", absolute_error=1.0), graded("amy", absolute_error=1.0),
        graded("max", absolute_error=9.0, minutes_played=12.5), graded("bob", absolute_error=9.0, minutes_played=30.0),
        graded("nul", absolute_error=None),
    ]
    highlights = results.shape(CTX, rows, {"amy": "Amy Ö"})["highlights"]
    assert highlights["best_prediction"] == {
        "player": "amy", "player_full_name": "Amy Ö", "team": "BOS", "predicted": 20.0, "actual": 18, "error": 1.0}
    worst = highlights["worst_prediction"]
    assert (worst["player"], worst["player_full_name"], worst["minutes"]) == ("bob", "bob", 30.0)
    assert list(worst) == ["player", "player_full_name", "team", "predicted", "actual", "error", "minutes"]


def test_pointer_guard():
    new = {"game_date": "2026-03-03", "results": [{}]}
    assert results.pointer_may_move(None, new)
    assert results.pointer_may_move({"game_date": "2026-03-02"}, new)
    assert results.pointer_may_move({"game_date": "2026-03-03"}, new)
    assert not results.pointer_may_move({"game_date": "2026-03-04"}, new)
    assert not results.pointer_may_move(None, {"game_date": "2026-03-03", "results": []})


def test_spec_pointer_offsets_and_cache():
    assert results.SPEC.pointer_offsets == (-1, 0)
    documents = results.build(CTX, {"graded": [graded()], "registry_names": []})
    assert [(doc.path, doc.max_age, doc.scope) for doc in documents] == [
        ("results/2026-03-03.json", 86400, "dated"), ("results/latest.json", 300, "pointer")]
    assert documents[0].body is documents[1].body


def test_sql_joins_features_and_filters_champion_and_date(tiny_warehouse):
    accuracy = dict(system_id="catboost_v9", game_date=DAY, team_abbr="BOS", opponent_team_abbr="LAL", predicted_points=20.0,
                    recommendation="OVER", line_value=17.5, actual_points=22, absolute_error=2.0, signed_error=-2.0,
                    prediction_correct=True, confidence_score=0.84, within_3_points=True, within_5_points=True)
    tiny_warehouse.insert_rows("nba_predictions.prediction_accuracy", [
        dict(accuracy, player_lookup="bob", game_id="20260303_LAL_BOS"),
        dict(accuracy, player_lookup="amy", game_id="20260303_LAL_BOS"),
        dict(accuracy, player_lookup="amy", game_id="20260303_LAL_BOS", system_id="catboost_v8"),
        dict(accuracy, player_lookup="amy", game_id="20260302_LAL_BOS", game_date=date(2026, 3, 2)),
    ])
    features = [0.0] * 37
    features[2], features[16] = 26.0, 1.0
    tiny_warehouse.insert_rows("nba_predictions.ml_feature_store_v2", [dict(
        player_lookup="amy", game_id="20260303_LAL_BOS", game_date=DAY, features=features, feature_count=37,
        feature_version="v2_37features", is_home=False, days_rest=1, data_source="phase4")])
    rows = QueryRunner(tiny_warehouse).run("results", results.GRADED, CTX)
    assert [row["player_lookup"] for row in rows] == ["amy", "bob"]
    amy, bob = (results.result_row(row) for row in rows)
    assert (amy["player_tier"], amy["is_back_to_back"], amy["is_home"], amy["days_rest"]) == ("elite", True, False, 1)
    assert (bob["player_tier"], bob["is_back_to_back"], bob["is_home"], bob["days_rest"]) == ("role_player", False, True, 1)


def test_demo_season_contract_and_cross_check(demo_app):
    target = demo_app.clock.game_day() - timedelta(days=1)
    dated = run_and_read(demo_app, "results", target, f"results/{target.isoformat()}.json")
    assert dated == demo_app.backends.bucket.read(demo_app.settings.object_prefix + "results/latest.json")
    metadata = demo_app.backends.bucket.metadata
    prefix = demo_app.settings.object_prefix
    assert metadata(f"{prefix}results/{target.isoformat()}.json")["cache_control"] == "public, max-age=86400"
    assert metadata(f"{prefix}results/latest.json")["cache_control"] == "public, max-age=300"
    body = json.loads(dated)
    assert body["game_date"] == target.isoformat() and body["results"]
    assert list(body["summary"]) == SUMMARY_KEYS
    for group in body["breakdowns"].values():
        assert all(list(stats) == ["total", "wins", "losses", "pushes", "win_rate", "avg_error"] for stats in group.values())
    assert all(list(row) == ROW_KEYS for row in body["results"])
    for row in body["results"]:
        assert row["result"] in {"WIN", "LOSS", "PUSH", "PASS"}
        assert row["confidence_tier"] in {"high", "medium", "low"}
        assert row["player_tier"] in {"elite", "starter", "role_player"}
        assert 0 <= row["confidence"] <= 1
    keys = [(row["game_id"], row["player_lookup"]) for row in body["results"]]
    assert keys == sorted(keys)
    if body["highlights"]:
        assert set(body["highlights"]) == {"best_prediction", "worst_prediction"}

    [expected] = demo_app.backends.warehouse.query(
        "SELECT COUNTIF(prediction_correct) AS wins, COUNTIF(prediction_correct = FALSE) AS losses, COUNT(*) AS total "
        "FROM nba_predictions.prediction_accuracy WHERE game_date = @day AND system_id = @system",
        {"day": target, "system": demo_app.settings.champion_system_id},
    )
    summary = body["summary"]
    assert (summary["correct"], summary["incorrect"], summary["total_predictions"]) == (
        expected["wins"], expected["losses"], expected["total"])
    assert summary["win_rate"] == round(expected["wins"] / (expected["wins"] + expected["losses"]), 3)


def test_demo_pointer_never_moves_to_an_empty_or_older_day(demo_app):
    game_day = demo_app.clock.game_day()
    before = run_and_read(demo_app, "results", game_day - timedelta(days=1), "results/latest.json")
    assert before is not None
    assert run_and_read(demo_app, "results", game_day, f"results/{game_day.isoformat()}.json") is not None  # not graded yet
    assert demo_app.backends.bucket.read(demo_app.settings.object_prefix + "results/latest.json") == before
    run_and_read(demo_app, "results", game_day - timedelta(days=2), f"results/{(game_day - timedelta(days=2)).isoformat()}.json")
    assert demo_app.backends.bucket.read(demo_app.settings.object_prefix + "results/latest.json") == before
