"""players: index, profile shapes and the fan-out on hand-made rows, and the contract on the demo."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from exporters import players
from exporters.common import REGISTRY_NAMES
from phase6.catalog import ExportContext
from phase6.runner import RunRequest
from tests.support import contract_problems, published

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
CTX = ExportContext(G, G, NOW, "catboost_v9")


def accuracy(lookup="ann", dates=10, predicted=10, recommendations=8, correct=5, incorrect=3, bias=0.4, **overrides):
    row = {"player_lookup": lookup, "team": "BOS", "graded_dates": dates, "games_predicted": predicted,
           "recommendations": recommendations, "correct": correct, "incorrect": incorrect, "mae": 4.567,
           "bias": bias, "avg_confidence": 0.8712, "within_3_pct": 0.4, "within_5_pct": 0.6666,
           "first_date": date(2025, 11, 2), "last_date": date(2026, 3, 3), "over_calls": 5, "over_wins": 4,
           "over_losses": 1, "under_calls": 3, "under_wins": 1, "under_losses": 2}
    row.update(overrides)
    return row


def log_game(days_ago, game_id=None, team="BOS", points=20, line=19.5, result="OVER", win=True):
    day = G - timedelta(days=days_ago)
    return {"player_lookup": "ann", "game_id": game_id or f"{day:%Y%m%d}_LAL_BOS", "game_date": day,
            "team_abbr": team, "opponent_team_abbr": "LAL", "win_flag": win, "points": points,
            "minutes_played": 31.25, "fg_makes": 8, "fg_attempts": 17, "three_pt_makes": 2, "three_pt_attempts": 0,
            "ft_makes": 2, "ft_attempts": 2, "offensive_rebounds": 1, "defensive_rebounds": None, "assists": 4,
            "steals": 1, "blocks": 0, "turnovers": 2, "points_line": line, "over_under_result": result}


def split(kind, key, avg=20.0, games=3, overs=1, lined=2):
    return {"player_lookup": "ann", "split": kind, "split_key": key, "avg_points": avg, "games": games,
            "overs": overs, "lined": lined}


# ---- index


def test_index_eligibility_order_and_rates():
    rows = [accuracy("bob", predicted=12), accuracy("ann", predicted=12), accuracy("cy", predicted=30),
            accuracy("few", dates=2, predicted=40), accuracy("none", recommendations=0, correct=0)]
    body = players.shape_index(CTX, rows, {"ann": "Ann Núñez"})
    assert [entry["player_lookup"] for entry in body["players"]] == ["cy", "ann", "bob", "none"]
    assert body["total_players"] == 4 and body["generated_at"] == NOW
    ann = body["players"][1]
    assert ann == {"player_lookup": "ann", "player_full_name": "Ann Núñez", "team": "BOS", "games_predicted": 12,
                   "recommendations": 8, "mae": 4.57, "win_rate": 0.62, "bias": 0.4, "within_5_pct": 0.67}
    assert body["players"][3]["win_rate"] is None


def test_index_build_is_global():
    documents = players.build(CTX, {players.PLAYER_ACCURACY.name: [], REGISTRY_NAMES.name: []})
    assert [(d.path, d.scope, d.max_age) for d in documents] == [("players/index.json", "global", 3600)]
    assert documents[0].body["players"] == []


# ---- interpretation


@pytest.mark.parametrize("bias, word", [
    (3.5, "significantly overestimate"), (1.5, "slightly overestimate"), (0.5, "well calibrated"),
    (-1.5, "slightly underestimate"), (-3.5, "significantly underestimate"),
])
def test_bias_thresholds(bias, word):
    assert word in players.bias_text(bias)


def test_interpretation_optional_keys():
    full = players.interpretation(players.summary(accuracy()))
    assert list(full) == ["bias", "accuracy", "sample_size"]
    few_calls = players.interpretation(players.summary(accuracy(recommendations=4, correct=2, bias=None)))
    assert list(few_calls) == ["sample_size"]
    assert players.interpretation(None) == {"error": "No prediction data found for this player"}


@pytest.mark.parametrize("win_rate, word", [(0.9, "Excellent"), (0.7, "Strong"), (0.55, "Good"), (0.5, "Mixed")])
def test_accuracy_thresholds(win_rate, word):
    assert players.accuracy_text(win_rate).startswith(word)


@pytest.mark.parametrize("games, word", [(4, "Very limited"), (14, "Limited"), (15, "Solid")])
def test_sample_size_thresholds(games, word):
    assert players.sample_size_text(games).startswith(word)


# ---- game log, splits, track record


def test_game_log_entry_and_malformed_game_id():
    entry = players.game_log_entry(log_game(1))
    assert entry == {"game_date": "2026-03-03", "opponent": "LAL", "home_game": True, "team_result": "W",
                     "points": 20, "minutes": 31.25, "fg": "8/17", "three": None, "ft": "2/2", "rebounds": 1,
                     "assists": 4, "steals": 1, "blocks": 0, "turnovers": 2, "line": 19.5, "over_under": "OVER",
                     "margin": 0.5}
    malformed = players.game_log_entry(log_game(2, game_id="0022500900", win=False, line=None, result=None))
    assert (malformed["home_game"], malformed["team_result"], malformed["margin"]) == (False, "L", None)


def test_splits_fill_missing_buckets_and_order_opponents():
    rows = [split("rest", "b2b", games=4), split("location", "home", avg=22.333, overs=2, lined=3),
            split("opponent", "LAL", avg=18.0, games=3), split("opponent", "NYK", avg=25.0, games=3),
            split("opponent", "MIA", avg=30.0, games=5), split("opponent", "DEN", games=1)]
    result = players.splits(rows)
    assert result["rest"]["b2b"] == {"avg": 20.0, "games": 4, "vs_line_pct": 0.5}
    assert result["rest"]["three_plus"] == {"avg": None, "games": 0, "vs_line_pct": None}
    assert result["location"]["home"] == {"avg": 22.33, "games": 3, "vs_line_pct": 0.67}
    assert [entry["team"] for entry in result["opponents"]] == ["MIA", "NYK", "LAL"]
    assert list(result["opponents"][0]) == ["team", "avg", "games", "vs_line_pct"]
    assert players.splits([]) == {}


def test_track_record():
    record = players.track_record(accuracy())
    assert record == {"total_predictions": 10, "overall": {"wins": 5, "losses": 3, "pct": 0.62},
                      "over_calls": {"total": 5, "wins": 4, "losses": 1, "pct": 0.8},
                      "under_calls": {"total": 3, "wins": 1, "losses": 2, "pct": 0.33},
                      "avg_error": 4.57, "bias": 0.4, "within_3_pts": 0.4, "within_5_pts": 0.67}
    assert players.record(0, 0) == {"wins": 0, "losses": 0, "pct": None}


def test_empty_detail():
    body = players.shape_detail(CTX, players.PlayerHistory("ann", None, None, [], [], None))
    assert body == {"player_lookup": "ann", "player_full_name": "ann", "generated_at": NOW, "recent_news": [],
                    "summary": None, "interpretation": {"error": "No prediction data found for this player"},
                    "game_log": [], "splits": {}, "our_track_record": {}, "next_game": None}


# ---- fan-out


def profile_rows(accuracy_rows, games=(), next_games=()):
    return {players.PLAYER_ACCURACY.name: accuracy_rows, REGISTRY_NAMES.name: [], players.GAME_LOG.name: list(games),
            players.SPLITS.name: [], players.NEXT_GAMES.name: list(next_games)}


def test_entities_are_index_players_with_min_games():
    rows = profile_rows([accuracy("ann", predicted=5), accuracy("bob", predicted=4), accuracy("cy", dates=2)])
    assert players.entities(CTX, players.index_profiles(CTX, rows)) == ["ann"]
    relaxed = ExportContext(G, G, NOW, "catboost_v9", min_games=3)
    assert players.entities(relaxed, players.index_profiles(relaxed, rows)) == ["ann", "bob"]


def test_detail_document_game_log_newest_first_and_next_game():
    games = [log_game(days) for days in range(1, 60)]
    next_row = {"player_lookup": "ann", "game_date": G, "game_id": "20260304_LAL_BOS", "opponent_team_abbr": "LAL",
                "home_game": True, "has_prediction": True}
    documents = players.build_entity(CTX, players.index_profiles(CTX, profile_rows([accuracy()], games[::-1], [next_row])), "ann")
    assert [(d.path, d.scope, d.max_age, d.entity) for d in documents] == [("players/ann.json", "global", 3600, "ann")]
    body = documents[0].body
    assert len(body["game_log"]) == 50 and body["game_log"][0]["game_date"] == "2026-03-03"
    assert body["next_game"] == {"game_date": "2026-03-04", "game_id": "20260304_LAL_BOS", "opponent": "LAL",
                                 "home_game": True, "has_prediction": True}
    assert body["splits"] == {}


# ---- contract on the demo season


@pytest.mark.slow
def test_contract_on_the_demo_season(demo_app):
    game_day = demo_app.clock.game_day()
    bucket, prefix = demo_app.backends.bucket, demo_app.settings.object_prefix
    replay = demo_app.runner.run(RunRequest(("players",), game_day, mode="replay"))
    assert replay.exports["players"].status == "ok" and bucket.list(prefix + "players/") == []  # global files: live runs only
    record = demo_app.runner.run(RunRequest(("players",), game_day))
    result = record.exports["players"]
    assert result.status == "ok", result.error
    assert result.queries == len(players.SPEC.queries)
    assert contract_problems(demo_app, "players/") == []
    index = published(demo_app, "players/index.json")
    graded = demo_app.backends.warehouse.query("""
        SELECT player_lookup, COUNT(*) AS n FROM nba_predictions.prediction_accuracy
        WHERE game_date BETWEEN @start AND @d AND system_id = @champion AND NOT COALESCE(is_voided, FALSE)
        GROUP BY player_lookup HAVING COUNT(DISTINCT game_date) >= 3""",
        {"start": date(2021, 10, 1), "d": game_day, "champion": demo_app.settings.champion_system_id})
    assert index["total_players"] == len(index["players"]) == len(graded) > 0
    detailed = {row["player_lookup"] for row in graded if row["n"] >= 5}
    profiles = {info.name[len(prefix) + len("players/"):-len(".json")] for info in bucket.list(f"{prefix}players/")}
    assert profiles - {"index"} == detailed
    some = published(demo_app, f"players/{sorted(detailed)[0]}.json")
    assert some["recent_news"] == [] and some["summary"] is not None and len(some["game_log"]) <= 50
    assert all(isinstance(game["home_game"], bool) for game in some["game_log"])
