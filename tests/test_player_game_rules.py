"""The per-player game rules on the demo season, for demo players and dates that exhibit each case:

- a DNP is not a game: a player_game_summary row with is_dnp = TRUE, or with 0 points and 0 or null minutes, is left
  out of tonight's last-10 lists and last_5_ppg, tonight-player's recent_form and quick_numbers, and the profile's
  game_log and splits (as it already was of games_played and season_ppg);
- voided prediction rows are left out of the players index, the profile summary and its track record;
- a game's O/U label is its over_under_result everywhere: a push the table records as OVER is an OVER in a streak too.

Expectations are read from the unmodified demo warehouse with plain SQL, independently of the exporters; the DNP
condition is also pinned query by query on hand-made rows.
"""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import fmean

import duckdb
import pytest

from exporters import players, streaks, tonight
from phase6.app import open_app
from phase6.catalog import ExportContext
from phase6.queries import QueryRunner
from phase6.runner import RunRequest
from phase6.storage.local import LocalBucket
from tests.conftest import DEMO_NOW, settings_for

G = date(2026, 3, 4)  # the demo's as-of day
HISTORY_START = date(2021, 10, 1)
FLAGGED_TONIGHT = "jamarrdangelo"  # on G, with a line; his latest game (2026-03-02) is a DNP flagged is_dnp
UNFLAGGED_TONIGHT = "zionbertans"  # on G; his latest game (2026-03-02) is a DNP, unflagged here: is_dnp and minutes NULL
FLAGGED_PROFILE = "dejountedangelo"  # 5 DNPs among his last 50 games and 4 voided champion rows
UNFLAGGED_PROFILE = "andrewalker"  # 5 DNPs, unflagged here: is_dnp FALSE with 0 points and 0 minutes
PUSH_STREAK = ("treyibarra", date(2026, 2, 24))  # OVER on 4 straight games up to G, the third a push recorded as OVER


@pytest.fixture(scope="module")
def published(demo_db, tmp_path_factory):
    """tonight, tonight-players, streaks and players run live for G on a demo copy whose DNP rows of two players are
    not flagged (as production rows may be); returns a reader of the published bodies."""
    directory = tmp_path_factory.mktemp("game-rules")
    warehouse = directory / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    connection = duckdb.connect(str(warehouse))
    connection.execute("""UPDATE nba_analytics.player_game_summary SET is_dnp = NULL, minutes_played = NULL
                          WHERE is_dnp AND player_lookup = ?""", [UNFLAGGED_TONIGHT])
    connection.execute("UPDATE nba_analytics.player_game_summary SET is_dnp = FALSE WHERE is_dnp AND player_lookup = ?",
                       [UNFLAGGED_PROFILE])
    connection.close()
    app = open_app(settings_for(directory, warehouse))
    try:
        record = app.runner.run(RunRequest(("tonight", "tonight-players", "streaks", "players"), G))
    finally:
        app.close()
    assert {name: result.status for name, result in record.exports.items()} == dict.fromkeys(record.exports, "ok")
    bucket = LocalBucket(directory / "bucket")
    return lambda path: json.loads(bucket.read(f"v1/{path}"))


@pytest.fixture(scope="module")
def demo(demo_db):
    """The unmodified demo warehouse, read-only: rows as dicts."""
    connection = duckdb.connect(str(demo_db), read_only=True)

    def query(sql: str, *params):
        result = connection.execute(sql, list(params))
        columns = [column[0] for column in result.description]
        return [dict(zip(columns, row)) for row in result.fetchall()]

    yield query
    connection.close()


def played_games(demo, lookup: str, before: date, limit: int) -> list[dict]:
    """The player's newest games before a date that were not DNPs in the demo (is_dnp is the demo's only DNP marker)."""
    return demo("""SELECT game_date, points, minutes_played::DOUBLE AS minutes, over_under_result
                   FROM nba_analytics.player_game_summary
                   WHERE player_lookup = ? AND game_date < ? AND game_date >= ? AND NOT is_dnp
                   ORDER BY game_date DESC LIMIT ?""", lookup, before, before - timedelta(days=365), limit)


def dnp_dates(demo, lookup: str) -> list[str]:
    return [row["game_date"].isoformat() for row in demo(
        "SELECT game_date FROM nba_analytics.player_game_summary WHERE player_lookup = ? AND is_dnp ORDER BY game_date", lookup)]


def tonight_entry(published, lookup: str) -> dict:
    tonight = published(f"tonight/{G}.json")
    return next(player for game in tonight["games"] for player in game["players"] if player["player_lookup"] == lookup)


# ---- a DNP is not a game


@pytest.mark.slow
@pytest.mark.parametrize("lookup", [FLAGGED_TONIGHT, UNFLAGGED_TONIGHT])
def test_a_dnp_is_left_out_of_tonights_last_10_and_last_5(published, demo, lookup):
    assert dnp_dates(demo, lookup)[-1] == "2026-03-02", "the case: his latest game before G is a DNP"
    played = played_games(demo, lookup, G, 10)
    player = tonight_entry(published, lookup)
    assert player["last_10_points"] == [row["points"] for row in played]
    assert player["last_5_ppg"] == round(fmean(row["points"] for row in played[:5]), 2)
    if player["has_line"]:
        labels = [{"OVER": "O", "UNDER": "U"}.get(row["over_under_result"], "-") for row in played]
        assert player["last_10_results"] == labels


@pytest.mark.slow
@pytest.mark.parametrize("lookup", [FLAGGED_TONIGHT, UNFLAGGED_TONIGHT])
def test_a_dnp_is_left_out_of_tonight_players_recent_form_and_quick_numbers(published, demo, lookup):
    played = played_games(demo, lookup, G, 10)
    body = published(f"tonight/player/{G}/{lookup}.json")
    assert [game["game_date"] for game in body["recent_form"]] == [row["game_date"].isoformat() for row in played]
    assert not set(dnp_dates(demo, lookup)) & {game["game_date"] for game in body["recent_form"]}
    quick = body["quick_numbers"]
    assert quick["last_10_ppg"] == round(fmean(row["points"] for row in played), 2)
    assert quick["last_5_ppg"] == round(fmean(row["points"] for row in played[:5]), 2)
    assert quick["last_5_mpg"] == round(fmean(row["minutes"] for row in played[:5]), 2)


@pytest.mark.slow
@pytest.mark.parametrize("lookup", [FLAGGED_PROFILE, UNFLAGGED_PROFILE])
def test_a_dnp_is_left_out_of_the_profile_game_log_and_splits(published, demo, lookup):
    dnps = dnp_dates(demo, lookup)
    played = demo("""SELECT game_date FROM nba_analytics.player_game_summary
                     WHERE player_lookup = ? AND game_date BETWEEN ? AND ? AND NOT is_dnp ORDER BY game_date DESC""",
                  lookup, HISTORY_START, G)
    body = published(f"players/{lookup}.json")
    logged = [game["game_date"] for game in body["game_log"]]
    assert len(dnps) == 5 and max(dnps) >= logged[-1], "the case: DNPs within the span of the game log"
    assert logged == [row["game_date"].isoformat() for row in played[:50]]
    splits = body["splits"]
    assert sum(entry["games"] for entry in splits["location"].values()) == len(played)
    assert sum(entry["games"] for entry in splits["rest"].values()) == len(played) - 1  # the first game has no rest


# ---- voided rows are not graded predictions


@pytest.mark.slow
def test_voided_rows_are_left_out_of_the_index_summary_and_track_record(published, demo):
    [rows] = demo("""SELECT COUNT(*) AS all_rows, COUNT(*) FILTER (WHERE is_voided) AS voided,
                            COUNT(*) FILTER (WHERE NOT is_voided) AS graded,
                            COUNT(*) FILTER (WHERE NOT is_voided AND recommendation IN ('OVER', 'UNDER')) AS calls,
                            COUNT(*) FILTER (WHERE NOT is_voided AND recommendation = 'OVER') AS over_calls,
                            COUNT(*) FILTER (WHERE NOT is_voided AND prediction_correct) AS correct,
                            COUNT(*) FILTER (WHERE is_voided AND recommendation IN ('OVER', 'UNDER')) AS voided_calls
                     FROM nba_predictions.prediction_accuracy
                     WHERE player_lookup = ? AND system_id = 'catboost_v9' AND game_date BETWEEN ? AND ?""",
                  FLAGGED_PROFILE, HISTORY_START, G)
    assert rows["voided"] == 4 and rows["voided_calls"] > 0, "the case: voided rows, some of them OVER/UNDER calls"
    index = next(player for player in published("players/index.json")["players"] if player["player_lookup"] == FLAGGED_PROFILE)
    assert (index["games_predicted"], index["recommendations"]) == (rows["graded"], rows["calls"])
    profile = published(f"players/{FLAGGED_PROFILE}.json")
    summary, record = profile["summary"], profile["our_track_record"]
    assert (summary["games_predicted"], summary["total_recommendations"], summary["correct"]) == (
        rows["graded"], rows["calls"], rows["correct"])
    assert (record["total_predictions"], record["over_calls"]["total"], record["overall"]["wins"]) == (
        rows["graded"], rows["over_calls"], rows["correct"])
    assert record["over_calls"]["total"] + record["under_calls"]["total"] == rows["calls"]


# ---- one O/U label everywhere


@pytest.mark.slow
def test_a_push_recorded_as_over_continues_an_over_streak(published, demo):
    lookup, push_date = PUSH_STREAK
    [push] = demo("""SELECT points, points_line::DOUBLE AS line, over_under_result FROM nba_analytics.player_game_summary
                     WHERE player_lookup = ? AND game_date = ?""", lookup, push_date)
    assert (push["points"] == push["line"], push["over_under_result"]) == (True, "OVER"), "the case: a push filed as OVER"
    streak = next(entry for entry in published(f"streaks/{G}.json")["streaks"]["over"] if entry["player_lookup"] == lookup)
    assert streak["streak_length"] == 4
    assert push_date.isoformat() in [game["game_date"] for game in streak["games"]]
    profile = published(f"players/{lookup}.json")
    assert [game["over_under"] for game in profile["game_log"][:4]] == ["OVER"] * 4


@pytest.mark.slow
def test_tonight_tonight_player_and_profiles_label_every_game_by_its_over_under_result(published, demo):
    tonight = published(f"tonight/{G}.json")
    checked = 0
    for player in (player for game in tonight["games"] for player in game["players"] if player["has_line"]):
        lookup = player["player_lookup"]
        recorded = {row["game_date"].isoformat(): row["over_under_result"] for row in played_games(demo, lookup, G, 10)}
        form = published(f"tonight/player/{G}/{lookup}.json")["recent_form"]
        assert [game["over_under"] for game in form] == [recorded[game["game_date"]] for game in form]
        labels = [{"OVER": "O", "UNDER": "U"}.get(game["over_under"], "-") for game in form if game["points"] is not None]
        assert player["last_10_results"][:len(labels)] == labels
        checked += 1
    assert checked > 0
    for lookup in (FLAGGED_PROFILE, PUSH_STREAK[0]):
        recorded = {row["game_date"].isoformat(): row["over_under_result"] for row in demo(
            "SELECT game_date, over_under_result FROM nba_analytics.player_game_summary WHERE player_lookup = ?", lookup)}
        log = published(f"players/{lookup}.json")["game_log"]
        assert [game["over_under"] for game in log] == [recorded[game["game_date"]] for game in log]


# ---- the DNP condition, query by query, on hand-made rows


def summary_row(days_ago: int, points, minutes, is_dnp, line=10.5, result="UNDER") -> dict:
    day = G - timedelta(days=days_ago)
    return dict(player_lookup="ann", game_id=f"{day:%Y%m%d}_LAL_BOS", game_date=day, team_abbr="BOS",
                opponent_team_abbr="LAL", season_year=2025, points=points, minutes_played=minutes, is_dnp=is_dnp,
                points_line=line, over_under_result=result, starter_flag=True, win_flag=True, is_active=bool(minutes))


def test_every_player_game_query_leaves_dnps_out(tiny_warehouse):
    """Flagged, or 0 points in 0 or unknown minutes: not a game. 0 points in 12 minutes, or no box score yet: a game.
    Kept in: a DNP filed with a line would have made a 4-game UNDER streak of days 1–4."""
    summary = [
        summary_row(1, 0, 0.0, True),  # flagged DNP
        summary_row(2, 0, 0.0, False),  # unflagged: 0 points, 0 minutes
        summary_row(3, 0, None, None),  # unflagged: 0 points, unknown minutes
        summary_row(4, 0, 12.0, False, line=4.5),  # played, scoreless
        summary_row(5, None, None, None, line=None, result=None),  # no box score yet
    ] + [summary_row(days, 20, 30.0, False, result="OVER") for days in range(6, 10)]
    tiny_warehouse.insert_rows("nba_analytics.player_game_summary", summary)
    tiny_warehouse.insert_rows("nba_analytics.upcoming_player_game_context", [
        dict(player_lookup="ann", game_id="20260304_LAL_BOS", game_date=G, team_abbr="BOS", opponent_team_abbr="LAL")])
    tiny_warehouse.insert_rows("nba_predictions.prediction_accuracy", [
        dict(player_lookup="ann", game_id=row["game_id"], system_id="catboost_v9", game_date=row["game_date"])
        for row in summary])
    ctx = ExportContext(G, G, datetime.fromisoformat(DEMO_NOW), "catboost_v9")
    runner = QueryRunner(tiny_warehouse)

    def days_ago(query) -> list[int]:
        return sorted((G - row["game_date"]).days for row in runner.run("test", query, ctx))

    games = [4, 5, 6, 7, 8, 9]
    for query in (tonight.SEASON_GAMES, tonight.RECENT_GAMES, players.GAME_LOG):
        assert days_ago(query) == games, query.name
    assert days_ago(streaks.RECENT_RESULTS) == [4, 6, 7, 8, 9]  # with points and an O/U result
    locations = [row for row in runner.run("test", players.SPLITS, ctx) if row["split"] == "location"]
    assert sum(row["games"] for row in locations) == len(games)
    body = streaks.shape(ctx, runner.run("test", streaks.RECENT_RESULTS, ctx), [], {})
    assert body["streaks"]["under"] == [] and body["streaks"]["over"] == []
