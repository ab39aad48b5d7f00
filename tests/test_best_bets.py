"""best-bets (api.md §3.3): candidates, tiers, grading and rationale on hand-made rows; the contract on the demo season."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from exporters import best_bets
from phase6.app import open_app
from phase6.catalog import Document, ExportContext, Notice
from phase6.runner import RunRequest
from phase6.storage.local import LocalBucket
from tests.conftest import settings_for

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, tzinfo=timezone.utc)
CTX = ExportContext(G, G, NOW, "catboost_v9")
PICK_KEYS = ["rank", "tier", "player_lookup", "player_full_name", "game_id", "team", "opponent", "recommendation", "line",
             "predicted", "edge", "confidence", "composite_score", "player_historical_accuracy", "player_sample_size",
             "fatigue_score", "fatigue_level", "rationale", "result", "actual", "error", "model_attribution"]
GAME = "20260304_LAL_BOS"


def prediction(lookup: str, predicted: float = 20.0, line: float | None = 15.5, confidence: float = 84.0, **overrides) -> dict:
    row = dict(prediction_id=f"id-{lookup}", system_id="catboost_v9", player_lookup=lookup, game_id=GAME,
               predicted_points=predicted, confidence_score=confidence,
               recommendation="OVER" if line is None or predicted >= line else "UNDER",
               current_points_line=line, line_source="ACTUAL_PROP", created_at=NOW)
    row.update(overrides)
    return row


def team(lookup: str) -> dict:
    return dict(player_lookup=lookup, game_id=GAME, team_abbr="BOS", opponent_team_abbr="LAL", home_game=True)


def select(rows, teams=None, grades=(), history=(), fatigue=(), names=None):
    teams = [team(r["player_lookup"]) for r in rows] if teams is None else teams
    return best_bets.select_picks(rows, teams, list(grades), list(history), list(fatigue), names or {})


def test_candidate_rules():
    rows = [
        prediction("ok"),
        prediction("pass", recommendation="PASS"),
        prediction("noline", line=None, recommendation="NO_LINE"),
        prediction("placeholder", line=20.0, predicted=26.0),
        prediction("estimated", line_source="ESTIMATED_AVG"),
        prediction("star", predicted=25.0, line=20.5),
        prediction("broken88", confidence=88.0),
        prediction("broken89", confidence=89.99),
        prediction("edge90", confidence=90.0),
        prediction("odds", line_source="ODDS_API", predicted=12.0),
    ]
    picks, dropped = select(rows)
    assert sorted(p["player_lookup"] for p in picks) == ["edge90", "odds", "ok"] and dropped == []


def test_tiers_caps_order_and_ranks():
    rows = ([prediction(f"p{i:02d}", predicted=22.0, confidence=80 + i % 5) for i in range(8)]  # edge 6.5
            + [prediction(f"s{i:02d}", predicted=19.5) for i in range(12)]  # edge 4.0
            + [prediction(f"v{i:02d}", predicted=16.5) for i in range(12)])  # edge 1.0
    picks, _ = select(rows)
    assert [p["tier"] for p in picks] == ["premium"] * 5 + ["strong"] * 10 + ["value"] * 10
    assert [p["rank"] for p in picks] == list(range(1, 26))
    premium = picks[:5]
    assert [p["composite_score"] for p in premium] == sorted((p["composite_score"] for p in premium), reverse=True)
    assert [p["player_lookup"] for p in picks[5:8]] == ["s00", "s01", "s02"]  # ties: player_lookup
    body = best_bets.shape(CTX, picks)
    assert body["total_picks"] == len(body["picks"]) == 25
    assert body["tier_summary"] == {"premium": 5, "strong": 10, "value": 10, "standard": 0}


def test_pick_values_composite_and_history():
    history = [dict(player_lookup="a", sample_size=10, correct=8), dict(player_lookup="b", sample_size=4, correct=4)]
    rows = [prediction("a", predicted=10.0, line=15.5, confidence=92.0), prediction("b", predicted=17.5, confidence=79.0),
            prediction("c", predicted=18.5)]
    picks, _ = select(rows, history=history, fatigue=[dict(player_lookup="a", fatigue_score=96)],
                      names={"a": "Álvaro A"})
    a, b, c = (next(p for p in picks if p["player_lookup"] == x) for x in "abc")
    assert list(a) == PICK_KEYS
    assert (a["tier"], a["recommendation"], a["edge"], a["confidence"], a["line"], a["predicted"]) == (
        "premium", "UNDER", 5.5, 0.92, 15.5, 10.0)
    assert a["composite_score"] == round(0.92 * 1.5 * 0.8, 3)
    assert (a["player_historical_accuracy"], a["player_sample_size"], a["player_full_name"]) == (0.8, 10, "Álvaro A")
    assert (a["fatigue_score"], a["fatigue_level"]) == (96.0, "fresh")
    assert b["composite_score"] == round(0.79 * 1.2 * 0.85, 3)  # sample < 5: the default 0.85
    assert (b["player_historical_accuracy"], b["player_sample_size"]) == (1.0, 4)
    assert (c["player_historical_accuracy"], c["player_sample_size"], c["fatigue_score"], c["fatigue_level"]) == (
        None, None, None, None)
    assert c["player_full_name"] == "c" and c["model_attribution"]["model_id"] == "phoenix"


def test_tier_boundaries_are_exact_despite_binary_floats():
    picks, _ = select([prediction("five", predicted=20.4, line=15.4), prediction("three", predicted=12.5, line=15.5)])
    assert {p["player_lookup"]: (p["tier"], p["edge"]) for p in picks} == {"five": ("premium", 5.0),
                                                                           "three": ("strong", 3.0)}


def test_rationale_lines():
    assert best_bets.rationale("Premium pick: edge of 5+ points", 0.92, 5.5, 10.0, 0.8, 10, 96) == [
        "Premium pick: edge of 5+ points", "High confidence (92%)", "Strong edge (5.5 points)",
        "Bench player (model excels here: 89% hit rate)", "Strong track record (80% accuracy, 10 games)",
        "Well-rested (fatigue: 96)"]
    assert best_bets.rationale("Strong pick: edge of 3-5 points", 0.84, 4.2, 16.0, 0.72, 5, 70) == [
        "Strong pick: edge of 3-5 points", "Good confidence (84%)", "Solid edge (4.2 points)",
        "Rotation player (model performs well: 73%+ hit rate)", "Good track record (72% accuracy, 5 games)",
        "Elevated fatigue (fatigue: 70)"]
    assert best_bets.rationale("Value pick: edge under 3 points", 0.79, 1.0, 22.0, 0.9, 4, None) == [
        "Value pick: edge under 3 points", "Meets selection criteria"]


def test_grading_pending_win_loss_push():
    rows = [prediction("pending"), prediction("win"), prediction("loss"), prediction("push"), prediction("otherline")]
    grade = lambda lookup, correct, line=15.5: dict(player_lookup=lookup, game_id=GAME, line_value=line, actual_points=19,
                                                     absolute_error=1.04, prediction_correct=correct,
                                                     team_abbr="BOS", opponent_team_abbr="LAL")
    grades = [grade("win", True), grade("loss", False), grade("push", None), grade("otherline", True, 16.5)]
    picks, _ = select(rows, grades=grades)
    outcome = {p["player_lookup"]: (p["result"], p["actual"], p["error"]) for p in picks}
    assert outcome == {"pending": ("PENDING", None, None), "win": ("WIN", 19, 1.04), "loss": ("LOSS", 19, 1.04),
                       "push": ("PUSH", 19, 1.04), "otherline": ("PENDING", None, None)}


def test_team_falls_back_to_the_graded_row_and_unknown_teams_are_dropped():
    rows = [prediction("graded"), prediction("unknown")]
    grades = [dict(player_lookup="graded", game_id=GAME, line_value=15.5, actual_points=30, absolute_error=10.0,
                   prediction_correct=True, team_abbr="LAL", opponent_team_abbr="BOS")]
    picks, dropped = select(rows, teams=[], grades=grades)
    assert [(p["player_lookup"], p["team"], p["opponent"]) for p in picks] == [("graded", "LAL", "BOS")]
    assert dropped == ["unknown"]


def test_a_dropped_candidate_is_reported_as_a_notice():
    rows = {name: [] for name in ("champion_grades", "under_history", "fatigue", "registry_names")}
    rows |= {"champion_predictions": [prediction("known"), prediction("unknown")], "team_lookup": [team("known")]}
    items = best_bets.build(CTX, rows)
    assert [item.message for item in items if isinstance(item, Notice)] == ["dropped candidates with no known team: unknown"]
    [dated] = [item for item in items if isinstance(item, Document) and item.scope == "dated"]
    assert [pick["player_lookup"] for pick in dated.body["picks"]] == ["known"]


def test_empty_day_and_cache_rules():
    rows = {name: [] for name in ("champion_predictions", "team_lookup", "champion_grades", "under_history", "fatigue",
                                  "registry_names")}
    documents = best_bets.build(CTX, rows)
    body = documents[0].body
    assert body["total_picks"] == 0 and body["picks"] == [] and body["methodology"] == best_bets.METHODOLOGY
    assert body["tier_summary"] == {"premium": 0, "strong": 0, "value": 0, "standard": 0}
    assert [(d.path, d.scope, d.max_age) for d in documents] == [
        ("best-bets/2026-03-04.json", "dated", 300), ("best-bets/latest.json", "pointer", 300)]
    past = ExportContext(G - timedelta(days=1), G, NOW, "catboost_v9")
    assert best_bets.build(past, rows)[0].max_age == 86400
    pending = {**rows, "champion_predictions": [prediction("a")], "team_lookup": [team("a")]}
    assert best_bets.build(past, pending)[0].max_age == 300


# ---- contract on the demo season ----

@pytest.fixture(scope="module")
def demo_bodies(tmp_path_factory, demo_db):
    tmp_path = tmp_path_factory.mktemp("best_bets")
    app = open_app(settings_for(tmp_path, Path(demo_db)))
    try:
        game_day = app.clock.game_day()
        yesterday = game_day - timedelta(days=1)
        records = [app.runner.run(RunRequest(("best-bets",), day)) for day in (game_day, yesterday)]
    finally:
        app.close()
    bucket = LocalBucket(tmp_path / "bucket")
    return dict(records=records, today=json.loads(bucket.read(f"v1/best-bets/{game_day}.json")),
                yesterday=json.loads(bucket.read(f"v1/best-bets/{yesterday}.json")),
                pointer=bucket.read("v1/best-bets/latest.json"), today_bytes=bucket.read(f"v1/best-bets/{game_day}.json"))


@pytest.mark.slow
@pytest.mark.parametrize("which", ["today", "yesterday"])
def test_demo_best_bets_follow_the_contract(demo_bodies, which):
    assert all(record.exports["best-bets"].status == "ok" for record in demo_bodies["records"])
    body = demo_bodies[which]
    assert list(body) == ["game_date", "generated_at", "methodology", "total_picks", "tier_summary", "picks"]
    picks = body["picks"]
    assert 0 < body["total_picks"] == len(picks) <= 25
    assert [p["rank"] for p in picks] == list(range(1, len(picks) + 1))
    tiers = [p["tier"] for p in picks]
    assert tiers == sorted(tiers, key=["premium", "strong", "value"].index)
    assert tiers.count("premium") <= 5 and tiers.count("strong") <= 10 and tiers.count("value") <= 10
    assert body["tier_summary"] == {"premium": tiers.count("premium"), "strong": tiers.count("strong"),
                                    "value": tiers.count("value"), "standard": 0}
    for pick in picks:
        assert list(pick) == PICK_KEYS
        assert pick["recommendation"] in ("OVER", "UNDER") and pick["result"] in ("WIN", "LOSS", "PUSH", "PENDING")
        assert 0 < pick["confidence"] <= 1 and not 0.88 <= pick["confidence"] < 0.90
        assert pick["edge"] >= 0 and pick["predicted"] < 25 and pick["team"] and pick["opponent"]
        assert (pick["result"] == "PENDING") == (pick["actual"] is None)
        assert pick["fatigue_level"] in ("fresh", "normal", "tired", None)
        assert pick["rationale"] and pick["model_attribution"]["model_id"] == "phoenix"
    if which == "today":
        assert all(p["result"] == "PENDING" for p in picks)
    else:
        assert any(p["result"] != "PENDING" for p in picks)


@pytest.mark.slow
def test_demo_pointer_is_todays_file(demo_bodies):
    assert demo_bodies["pointer"] == demo_bodies["today_bytes"]
