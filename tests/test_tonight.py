"""tonight: shape functions on hand-made rows, the day queries on a tiny DuckDB, and the contract on the demo."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from exporters import tonight
from exporters.common import ACTIVE_CHAMPION_PREDICTIONS, REGISTRY_NAMES
from phase6.catalog import ExportContext
from phase6.runner import RunRequest
from tests.support import contract_problems, published
from phase6.warehouse.duckdb_backend import to_duckdb
from phase6.warehouse.schema import create_schema

G = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
CTX = ExportContext(G, G, NOW, "catboost_v9")
GAME_ID = "20260304_LAL_BOS"


def schedule_row(away="LAL", home="BOS", status=1, tip=datetime(2026, 3, 5, 0, 30, tzinfo=timezone.utc), scores=(None, None)):
    return {"schedule_game_id": "0022500900", "game_date": G, "game_date_est": tip, "game_status": status,
            "home_team_tricode": home, "away_team_tricode": away,
            "home_team_score": scores[0], "away_team_score": scores[1]}


def day_player(lookup, game_id=GAME_ID, team="BOS", **overrides):
    row = {"player_lookup": lookup, "game_id": game_id, "team_abbr": team, "opponent_team_abbr": "LAL",
           "home_game": True, "days_rest": 2, "back_to_back": False, "fatigue_score": 90,
           "fatigue_context_json": None, "injury_status": None, "injury_reason": None}
    row.update(overrides)
    return row


def prediction(lookup, line=20.5, confidence=87.0, predicted=24.0, recommendation="OVER", game_id=GAME_ID):
    return {"player_lookup": lookup, "game_id": game_id, "predicted_points": predicted, "confidence_score": confidence,
            "recommendation": recommendation, "current_points_line": line}


def game(lookup, days_ago, points, result=None, line=None, minutes=30.0):
    day = G - timedelta(days=days_ago)
    return {"player_lookup": lookup, "game_id": f"{day:%Y%m%d}_LAL_BOS", "game_date": day, "team_abbr": "BOS",
            "opponent_team_abbr": "LAL", "points": points, "minutes_played": minutes, "points_line": line,
            "over_under_result": result, "fg_makes": 5, "fg_attempts": 10, "three_pt_makes": 0,
            "three_pt_attempts": 0, "ft_makes": 2, "ft_attempts": 2}


def rows(schedule=(), players=(), predictions=(), names=(), season=(), recent=(), odds=()):
    return {
        tonight.SCHEDULE.name: list(schedule),
        tonight.DAY_PLAYERS.name: list(players),
        ACTIVE_CHAMPION_PREDICTIONS.name: list(predictions),
        REGISTRY_NAMES.name: list(names),
        tonight.SEASON_GAMES.name: list(season),
        tonight.RECENT_GAMES.name: list(recent),
        tonight.ODDS.name: list(odds),
    }


# ---- shape


def test_empty_day():
    body = tonight.shape_tonight(CTX, rows())
    assert body == {"game_date": "2026-03-04", "generated_at": NOW, "total_players": 0, "total_with_lines": 0, "games": []}


def test_games_without_context_rows_have_no_players():
    body = tonight.shape_tonight(CTX, rows(schedule=[schedule_row(), schedule_row("NYK", "MIA")]))
    assert [game["player_count"] for game in body["games"]] == [0, 0]
    assert [game["players"] for game in body["games"]] == [[], []]
    assert body["total_players"] == 0


def test_game_fields_status_scores_and_order():
    early = schedule_row("NYK", "MIA", status=3, tip=datetime(2026, 3, 4, 23, 0, tzinfo=timezone.utc), scores=(101, 99))
    late = schedule_row(status=2, scores=(50, 48))
    odd = schedule_row("DEN", "UTA", status=7, tip=None)
    games = tonight.shape_tonight(CTX, rows(schedule=[odd, late, early]))["games"]
    assert [g["game_id"] for g in games] == ["20260304_NYK_MIA", GAME_ID, "20260304_DEN_UTA"]
    assert [g["game_status"] for g in games] == ["final", "in_progress", "scheduled"]
    assert (games[0]["home_score"], games[0]["away_score"]) == (101, 99)
    assert (games[1]["home_score"], games[1]["away_score"]) == (None, None)
    assert games[0]["game_time"] == "6:00 PM ET"
    assert games[2]["game_time"] is None


def test_player_with_nulls_and_no_line_has_no_optional_keys():
    player = tonight.shape_player(
        day_player("nobody", home_game=None, days_rest=None, fatigue_score=None), None, None, [], [], [])
    assert player == {
        "player_lookup": "nobody", "name": "nobody", "team": "BOS", "is_home": None, "has_line": False,
        "fatigue_level": "normal", "fatigue_score": None, "days_rest": None, "injury_status": "available",
        "injury_reason": None, "season_ppg": None, "season_mpg": None, "last_5_ppg": None, "games_played": 0,
        "limited_data": True, "last_10_points": [],
    }


def test_injury_status_is_lowercased_report_or_available():
    assert tonight.injury_status({"injury_status": "OUT"}) == "out"
    assert tonight.injury_status({"injury_status": None}) == "available"


def test_line_gives_the_four_optional_keys_and_aligned_last_10():
    recent = tonight.newest_first([
        game("ann", 1, 30, "OVER", 25.5), game("ann", 3, None, "OVER", 25.5), game("ann", 5, 20, "UNDER", 25.5),
        game("ann", 7, 22, None, None),
    ] + [game("ann", 9 + 2 * i, 10 + i, "UNDER", 25.5) for i in range(10)])
    player = tonight.shape_player(day_player("ann"), "Ann", prediction("ann"), recent, recent, [])
    assert list(player)[-4:] == ["props", "prediction", "last_10_results", "last_10_record"]
    assert player["last_10_points"] == [30, 20, 22, 10, 11, 12, 13, 14, 15, 16]
    assert player["last_10_results"] == ["O", "U", "-", "U", "U", "U", "U", "U", "U", "U"]
    assert player["last_10_record"] == "1-8"
    assert player["last_5_ppg"] == pytest.approx((30 + 20 + 22 + 10 + 11) / 5)
    assert player["prediction"] == {"predicted": 24.0, "confidence": 87.0, "recommendation": "OVER"}


def test_last_10_record_is_null_without_over_under_results():
    assert tonight.last_10_record(["-", "-"]) is None
    assert tonight.last_10_record([]) is None


def test_props_take_the_odds_at_the_line_and_null_bogus_odds():
    odds = [
        {"player_lookup": "ann", "points_line": 20.5, "bet_side": "over", "odds_american": 199900},
        {"player_lookup": "ann", "points_line": 20.5, "bet_side": "under", "odds_american": -115},
        {"player_lookup": "ann", "points_line": 21.5, "bet_side": "over", "odds_american": -105},
    ]
    assert tonight.props(20.5, odds) == [{"stat_type": "points", "line": 20.5, "over_odds": None, "under_odds": -115}]
    assert tonight.props(21.5, odds)[0]["over_odds"] == -105
    assert tonight.valid_odds(-10000) == -10000
    assert tonight.valid_odds(-10001) is None


def test_season_stats_and_limited_data():
    season = [game("ann", day, 20 + day) for day in range(1, 11)]
    stats = tonight.season_stats(season)
    assert stats["games_played"] == 10 and stats["limited_data"] is False
    assert stats["ppg"] == pytest.approx(25.5)
    assert tonight.season_stats(season[:9])["limited_data"] is True


def test_player_order_within_a_game():
    players = [
        day_player("out1", injury_status="out"), day_player("low"), day_player("high"), day_player("noline"),
        day_player("tie_b"), day_player("tie_a"), day_player("nullppg"),
    ]
    predictions = [prediction("out1", confidence=95), prediction("low", confidence=80), prediction("high", confidence=90),
                   prediction("tie_a", confidence=85), prediction("tie_b", confidence=85),
                   prediction("nullppg", confidence=85)]
    season = [game("tie_a", 1, 10), game("tie_b", 1, 10), game("noline", 1, 40)]
    body = tonight.shape_tonight(CTX, rows([schedule_row()], players, predictions, season=season))
    order = [player["player_lookup"] for player in body["games"][0]["players"]]
    assert order == ["high", "tie_a", "tie_b", "nullppg", "low", "out1", "noline"]
    assert body["total_players"] == 7 and body["total_with_lines"] == 6


def test_players_are_placed_in_their_game_with_registry_names():
    body = tonight.shape_tonight(CTX, rows(
        [schedule_row(), schedule_row("NYK", "MIA")],
        [day_player("ann"), day_player("bob", game_id="20260304_NYK_MIA", team="MIA")],
        names=[{"player_lookup": "ann", "player_name": "Ann Núñez"}],
    ))
    by_game = {g["game_id"]: [(p["player_lookup"], p["name"]) for p in g["players"]] for g in body["games"]}
    assert by_game == {GAME_ID: [("ann", "Ann Núñez")], "20260304_NYK_MIA": [("bob", "bob")]}


def test_build_writes_the_dated_file_and_the_fixed_twin():
    documents = tonight.build(CTX, rows())
    assert [(d.path, d.scope, d.max_age) for d in documents] == [
        ("tonight/2026-03-04.json", "dated", 300), ("tonight/all-players.json", "pointer", 300)]
    assert documents[0].body is documents[1].body
    past = tonight.build(ExportContext(G - timedelta(days=1), G, NOW, "catboost_v9"), rows())
    assert past[0].max_age == 86400


# ---- the day queries on a tiny warehouse


@pytest.fixture()
def tiny():
    connection = duckdb.connect()
    connection.execute("SET TimeZone='UTC'")
    create_schema(connection)
    yield connection
    connection.close()


def run(connection, query, ctx=CTX):
    statement = to_duckdb(query.sql)
    params = {name: value for name, value in query.params(ctx).items() if f"${name}" in statement}
    result = connection.execute(statement, params)
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def test_injury_status_comes_only_from_reports_for_the_game_date(tiny):
    tiny.execute("""INSERT INTO nba_analytics.upcoming_player_game_context
        (player_lookup, game_id, game_date, team_abbr, opponent_team_abbr) VALUES
        ('stale', $g, $d, 'BOS', 'LAL'), ('late', $g, $d, 'BOS', 'LAL')""", {"g": GAME_ID, "d": G})
    earlier = G - timedelta(days=2)
    tiny.execute("""INSERT INTO nba_raw.nbac_injury_report
        (report_date, report_hour, game_date, game_id, team, player_lookup, injury_status, reason) VALUES
        ($e, 19, $e, 'x', 'BOS', 'stale', 'out', 'Knee'),
        ($d, 1, $d, $g, 'BOS', 'late', 'questionable', 'Ankle'),
        ($d, 13, $d, $g, 'BOS', 'late', 'doubtful', 'Ankle')""", {"e": earlier, "d": G, "g": GAME_ID})
    found = {row["player_lookup"]: row for row in run(tiny, tonight.DAY_PLAYERS)}
    assert tonight.injury_status(found["stale"]) == "available"
    assert (found["late"]["injury_status"], found["late"]["injury_reason"]) == ("doubtful", "Ankle")


def test_recent_games_keep_the_last_10_and_the_last_10_with_points(tiny):
    tiny.execute("""INSERT INTO nba_analytics.upcoming_player_game_context
        (player_lookup, game_id, game_date, team_abbr, opponent_team_abbr) VALUES ('ann', $g, $d, 'BOS', 'LAL')""",
                 {"g": GAME_ID, "d": G})
    for days_ago in range(1, 16):
        day = G - timedelta(days=days_ago)
        tiny.execute("""INSERT INTO nba_analytics.player_game_summary
            (player_lookup, game_id, game_date, team_abbr, opponent_team_abbr, season_year, points, starter_flag,
             win_flag, is_active) VALUES ('ann', $id, $day, 'BOS', 'LAL', 2025, $points, TRUE, TRUE, TRUE)""",
                     {"id": f"{day:%Y%m%d}_LAL_BOS", "day": day, "points": None if days_ago <= 3 else days_ago})
    recent = tonight.newest_first(run(tiny, tonight.RECENT_GAMES))
    assert len(recent) == 13  # the 10 newest (3 without points) and 3 older games that complete the 10 with points
    scored = [row["points"] for row in recent if row["points"] is not None][:10]
    assert scored == list(range(4, 14))


def test_schedule_folds_duplicate_sources(tiny):
    tiny.execute("""INSERT INTO nba_raw.nbac_schedule
        (game_id, game_date, game_status, home_team_tricode, away_team_tricode, season_year, season_nba_format,
         data_source) VALUES ('0022500900', $d, 1, 'BOS', 'LAL', 2025, '2025-26', 'api_stats'),
                             ('0022500900', $d, 2, 'BOS', 'LAL', 2025, '2025-26', 'cdn_static')""", {"d": G})
    games = run(tiny, tonight.SCHEDULE)
    assert [(tonight.platform_game_id(game), game["game_status"]) for game in games] == [(GAME_ID, 2)]


# ---- contract on the demo season


@pytest.mark.slow
def test_contract_on_the_demo_season(demo_app):
    game_day = demo_app.clock.game_day()
    record = demo_app.runner.run(RunRequest(("tonight",), game_day))
    assert record.exports["tonight"].status == "ok", record.exports["tonight"].error
    assert record.exports["tonight"].queries == len(tonight.SPEC.queries)
    assert contract_problems(demo_app, "tonight/") == []
    body = published(demo_app, "tonight/all-players.json")
    warehouse = demo_app.backends.warehouse
    context_players = warehouse.query(
        "SELECT COUNT(*) AS n FROM nba_analytics.upcoming_player_game_context WHERE game_date = @d", {"d": game_day})
    assert body["total_players"] == context_players[0]["n"] > 0
    latest_reports = warehouse.query("""
        SELECT player_lookup, injury_status FROM nba_raw.nbac_injury_report
        WHERE report_date BETWEEN @from AND @d AND game_date = @d
        QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY report_date DESC, report_hour DESC) = 1""",
                                     {"from": game_day - timedelta(days=7), "d": game_day})
    reported = {row["player_lookup"]: row["injury_status"] for row in latest_reports}
    for game_body in body["games"]:
        players = game_body["players"]
        assert [tonight.player_order(player) for player in players] == sorted(map(tonight.player_order, players))
        for player in players:
            assert ("props" in player) is ("prediction" in player) is ("last_10_results" in player) is (
                "last_10_record" in player) is player["has_line"]
            assert player["injury_status"] == reported.get(player["player_lookup"], "available")
            if player["has_line"]:
                assert len(player["last_10_results"]) == len(player["last_10_points"])
                for odds in (player["props"][0]["over_odds"], player["props"][0]["under_odds"]):
                    assert odds is None or abs(odds) <= 10000
    assert body["total_with_lines"] > 0
