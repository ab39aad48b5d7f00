"""tonight-players: shape functions on hand-made rows, the fan-out, and the contract on the demo."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from exporters import tonight, tonight_players as tp
from exporters.common import ACTIVE_CHAMPION_PREDICTIONS, REGISTRY_NAMES
from phase6.catalog import ExportContext
from phase6.runner import RunRequest
from tests.support import contract_problems, published

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
CTX = ExportContext(G, G, NOW, "catboost_v9")
GAME_ID = "20260304_LAL_BOS"


def day_player(lookup="ann", **overrides):
    row = {"player_lookup": lookup, "game_id": GAME_ID, "team_abbr": "BOS", "opponent_team_abbr": "LAL",
           "home_game": True, "days_rest": 2, "back_to_back": False, "fatigue_score": 90,
           "fatigue_context_json": None, "injury_status": None, "injury_reason": None}
    row.update(overrides)
    return row


def game(days_ago, points=20, result=None, line=None, opponent="LAL", home=True, minutes=30.0, lookup="ann"):
    day = G - timedelta(days=days_ago)
    game_id = f"{day:%Y%m%d}_{opponent}_BOS" if home else f"{day:%Y%m%d}_BOS_{opponent}"
    return {"player_lookup": lookup, "game_id": game_id, "game_date": day, "team_abbr": "BOS",
            "opponent_team_abbr": opponent, "points": points, "minutes_played": minutes, "points_line": line,
            "over_under_result": result, "fg_makes": 7, "fg_attempts": 15, "three_pt_makes": 0,
            "three_pt_attempts": 0, "ft_makes": 3, "ft_attempts": 4}


def form(*results):
    return [{"over_under": result} for result in results]


# ---- current_streak


@pytest.mark.parametrize("results, expected", [
    ((), {"type": None, "length": 0}),
    ((None, None), {"type": None, "length": 0}),
    (("OVER", "OVER", "UNDER", "OVER"), {"type": "over", "length": 2}),
    ((None, "UNDER", "UNDER", "UNDER"), {"type": "under", "length": 3}),
    (("UNDER", None, "UNDER"), {"type": "under", "length": 1}),
    ((None, "OVER", "UNDER"), {"type": "over", "length": 1}),
])
def test_current_streak_walk(results, expected):
    assert tp.current_streak(form(*results)) == expected


# ---- recent form


def test_recent_form_entry_margin_is_one_decimal_not_truncated():
    entry = tp.recent_form_entry(game(1, points=20, result="UNDER", line=20.5))
    assert entry["margin"] == -0.5
    assert entry == {"game_date": "2026-03-03", "opponent": "LAL", "home_game": True, "points": 20, "minutes": 30.0,
                     "fg": "7/15", "three": None, "ft": "3/4", "over_under": "UNDER", "line": 20.5, "margin": -0.5}


def test_recent_form_entry_nulls():
    entry = tp.recent_form_entry(game(1, points=None, line=None, minutes=None, home=False))
    assert (entry["points"], entry["minutes"], entry["margin"], entry["line"], entry["home_game"]) == (
        None, None, None, None, False)


@pytest.mark.parametrize("game_id, team, expected", [
    ("20260304_LAL_BOS", "BOS", True), ("20260304_LAL_BOS", "LAL", False), ("0022500900", "BOS", None), (None, "BOS", None),
])
def test_home_from_game_id(game_id, team, expected):
    assert tp.home_from_game_id(game_id, team) is expected


# ---- factors


def test_no_factor_without_data():
    assert tp.tonights_factors(day_player(fatigue_score=80), [], None) == []


def test_factors_conditions_and_order():
    season = (
        [game(d, points=10, result="UNDER", line=15.5) for d in (2, 3)]  # b2b pair: day 2 follows day 3
        + [game(d, points=30, result="OVER", line=15.5) for d in (10, 14, 20)]
        + [game(6, points=20, opponent="NYK", home=False)]
    )
    player = day_player(back_to_back=True, days_rest=3, fatigue_score=97)
    defense = {"team_abbr": "LAL", "opponent_points_per_game": 108.04, "defense_rank": 4}
    factors = tp.tonights_factors(player, season, defense)
    assert [f["factor"] for f in factors] == [
        "back_to_back", "location", "vs_opponent", "well_rested", "fresh", "opponent_defense"]
    back_to_back, location, versus, rested, fresh, opponent = factors
    assert back_to_back["impact"] == pytest.approx(10 - (10 + 30 * 3 + 20) / 5)
    assert back_to_back["direction"] == "negative" and back_to_back["vs_line_pct"] == 0.0
    assert location["direction"] == "neutral" and location["vs_line_pct"] == 0.6
    assert versus["vs_line_pct"] == 0.6
    assert rested["direction"] == "positive" and rested["vs_line_pct"] == 0.667
    assert fresh == {"factor": "fresh", "direction": "positive", "description": fresh["description"]}
    assert opponent["defense_rank"] == 4 and opponent["defense_tier"] == "elite" and opponent["ppg_allowed"] == 108.04
    assert opponent["direction"] == "negative"
    assert list(back_to_back)[:3] == ["factor", "direction", "description"]


def test_location_needs_three_games_on_tonights_side_and_fatigue_tired():
    season = [game(d, home=True) for d in (2, 5)] + [game(d, home=False) for d in (8, 11, 14)]
    factors = tp.tonights_factors(day_player(fatigue_score=60, opponent_team_abbr="MIA"), season, None)
    assert [f["factor"] for f in factors] == ["fatigue"]
    away = tp.tonights_factors(day_player(home_game=False, fatigue_score=80, opponent_team_abbr="MIA"), season, None)
    assert [f["factor"] for f in away] == ["location"]


def test_back_to_back_direction_positive_when_scoring_more():
    season = [game(1, points=30), game(2, points=30), game(9, points=10)]
    factor = tp.tonights_factors(day_player(back_to_back=True, opponent_team_abbr="MIA"), season, None)[0]
    assert (factor["factor"], factor["direction"], factor["impact"]) == ("back_to_back", "positive", 10.0)


def test_back_to_back_impact_rounding_to_zero_is_positive_zero():
    season = [game(1, points=20), game(2, points=20), game(9, points=20), game(12, points=20.1)]
    factor = tp.tonights_factors(day_player(back_to_back=True, opponent_team_abbr="MIA"), season, None)[0]
    assert (factor["direction"], str(factor["impact"])) == ("positive", "0.0")


@pytest.mark.parametrize("rank, tier, direction", [
    (1, "elite", "negative"), (5, "elite", "negative"), (6, "good", "negative"), (10, "good", "negative"),
    (11, "average", "neutral"), (20, "average", "neutral"), (21, "weak", "positive"),
])
def test_defense_tiers(rank, tier, direction):
    factor = tp.tonights_factors(day_player(fatigue_score=80, opponent_team_abbr="MIA"), [],
                                 {"team_abbr": "MIA", "opponent_points_per_game": 111.0, "defense_rank": rank})[0]
    assert (factor["defense_tier"], factor["direction"]) == (tier, direction)


# ---- whole file


def test_fatigue_keeps_the_json_string_and_parses_it():
    text = json.dumps({"days_rest": 1, "final_score": 70})
    assert tp.fatigue(day_player(fatigue_score=70, fatigue_context_json=text)) == {
        "score": 70.0, "level": "tired", "context": text, "context_data": {"days_rest": 1, "final_score": 70}}
    assert tp.fatigue(day_player(fatigue_score=None, fatigue_context_json="{bad"))["context_data"] is None
    assert tp.fatigue(None) == {"score": None, "level": "normal", "context": None, "context_data": None}


def test_empty_form_without_a_context_row():
    body = tp.shape_player_file(CTX, tp.PlayerDay("ann", None, None, None, [], []), {})
    assert body == {
        "player_lookup": "ann", "player_full_name": "ann", "game_date": "2026-03-04", "generated_at": NOW,
        "games_played": 0, "limited_data": True, "game_context": None, "quick_numbers": {},
        "fatigue": {"score": None, "level": "normal", "context": None, "context_data": None},
        "current_streak": {"type": None, "length": 0}, "tonights_factors": [], "recent_form": [], "prediction": None,
    }


def test_full_file_with_prediction_and_injury():
    recent = tonight.newest_first([game(d, points=20 + d, result="OVER", line=18.5) for d in range(1, 13)])
    prediction = {"player_lookup": "ann", "game_id": GAME_ID, "predicted_points": 24.37, "confidence_score": 87.0,
                  "recommendation": "OVER", "current_points_line": 21.5, "line_margin": 2.87,
                  "pace_adjustment": None, "similar_games_count": None}
    player = tp.PlayerDay("ann", "Ann", day_player(injury_status="Questionable", injury_reason="Knee"), prediction,
                          recent[:4], recent)
    body = tp.shape_player_file(CTX, player, {})
    assert body["game_context"] == {"game_id": GAME_ID, "opponent": "LAL", "home_game": True, "team_abbr": "BOS",
                                    "line": 21.5, "days_rest": 2, "is_back_to_back": False,
                                    "injury_status": "questionable", "injury_reason": "Knee"}
    assert body["prediction"] == {"predicted_points": 24.37, "confidence_score": 87.0, "recommendation": "OVER",
                                  "line": 21.5, "edge": 2.87, "pace_adjustment": None, "similar_games": None}
    assert (body["games_played"], body["limited_data"]) == (4, True)
    assert body["quick_numbers"] == {"season_ppg": 22.5, "season_mpg": 30.0, "games_played": 4, "last_10_ppg": 25.5,
                                     "last_10_mpg": 30.0, "last_5_ppg": 23.0, "last_5_mpg": 30.0}
    assert [entry["game_date"] for entry in body["recent_form"]] == [
        (G - timedelta(days=d)).isoformat() for d in range(1, 11)]
    assert body["current_streak"] == {"type": "over", "length": 10}
    assert body["game_context"]["injury_status"] == "questionable"


def test_context_without_games_has_zero_games_and_nulls():
    body = tp.shape_player_file(CTX, tp.PlayerDay("ann", None, day_player(), None, [], []), {})
    assert body["quick_numbers"]["games_played"] == 0 and body["quick_numbers"]["season_ppg"] is None
    assert body["game_context"]["injury_status"] == "available"
    assert body["prediction"] is None and body["game_context"]["line"] is None


# ---- fan-out


def day_rows(players):
    return {
        tonight.DAY_PLAYERS.name: [day_player(lookup) for lookup in players],
        REGISTRY_NAMES.name: [], ACTIVE_CHAMPION_PREDICTIONS.name: [],
        tonight.SEASON_GAMES.name: [game(1, lookup=lookup) for lookup in players],
        tonight.RECENT_GAMES.name: [game(1, lookup=lookup) for lookup in players],
        tp.TEAM_DEFENSE.name: [],
    }


def test_entities_are_the_distinct_context_players():
    rows = day_rows(["bob", "ann", "bob"])
    assert tp.entities(CTX, tp.index_day(CTX, rows)) == ["ann", "bob"]


def test_build_entity_writes_dated_and_fixed_twins():
    rows = day_rows(["ann"])
    documents = tp.build_entity(CTX, tp.index_day(CTX, rows), "ann")
    assert [(d.path, d.scope, d.max_age, d.entity) for d in documents] == [
        ("tonight/player/2026-03-04/ann.json", "dated", 300, "ann"), ("tonight/player/ann.json", "pointer", 300, "ann")]
    assert documents[0].body is documents[1].body


# ---- contract on the demo season


@pytest.mark.slow
def test_contract_on_the_demo_season(demo_app):
    game_day = demo_app.clock.game_day()
    warehouse, bucket, prefix = demo_app.backends.warehouse, demo_app.backends.bucket, demo_app.settings.object_prefix
    issued, players = [], []
    for target in (game_day, game_day - timedelta(days=1)):
        record = demo_app.runner.run(RunRequest(("tonight-players",), target))
        result = record.exports["tonight-players"]
        assert result.status == "ok", result.error
        issued.append(result.queries)
        distinct = warehouse.query("""SELECT COUNT(DISTINCT player_lookup) AS n
            FROM nba_analytics.upcoming_player_game_context WHERE game_date = @d""", {"d": target})[0]["n"]
        files = bucket.list(f"{prefix}tonight/player/{target.isoformat()}/")
        assert len(files) == distinct > 0
        players.append(distinct)
    assert players[0] != players[1], "pick two dates with different player counts"
    assert issued == [len(tp.SPEC.queries)] * 2  # a fixed number of queries, whatever the number of players
    fixed = [info for info in bucket.list(f"{prefix}tonight/player/") if info.name.count("/") == 3]
    assert len(fixed) == players[0]  # fixed files only for G's players
    assert contract_problems(demo_app, "tonight/player/") == []
    bodies = [published(demo_app, info.name[len(prefix):]) for info in fixed]
    assert {body["game_date"] for body in bodies} == {game_day.isoformat()}
    assert all(body["game_context"]["injury_status"] for body in bodies)
    assert any(body["prediction"] is not None for body in bodies)
    assert any(body["tonights_factors"] for body in bodies)
    for body in bodies:
        assert len(body["recent_form"]) <= 10
        assert [entry["game_date"] for entry in body["recent_form"]] == sorted(
            (entry["game_date"] for entry in body["recent_form"]), reverse=True)
        assert (body["prediction"] is None) or body["prediction"]["line"] == body["game_context"]["line"]
