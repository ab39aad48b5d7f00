"""tonight → tonight/{date}.json and the fixed tonight/all-players.json (api.md §3.5): every player in the day's
context, placed in his game, with season numbers, the last 10 games, injury status, fatigue, and the champion's line.

The day's player queries (DAY_PLAYERS, SEASON_GAMES, RECENT_GAMES, SCHEDULE) are shared with tonight-players and
live-grading: reuse these objects so the per-run cache serves them once.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from statistics import fmean
from typing import Any, Iterable, Mapping

from exporters.common import (
    ACTIVE_CHAMPION_PREDICTIONS,
    REGISTRY_NAMES,
    date_params,
    over_under_label,
    played,
    player_names,
)
from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Query, Rows, dated_and_pointer
from phase6.formats import game_time_et, integer, number, r2
from phase6.seasons import stats_season_start
from phase6.vocab import fatigue_level

LONG_MAX_AGE = 86400
SHORT_MAX_AGE = 300
INJURY_LOOKBACK_DAYS = 7
RECENT_LOOKBACK_DAYS = 365
LAST_GAMES = 10
LIMITED_DATA_GAMES = 10
MAX_VALID_ODDS = 10000
GAME_STATUS = {1: "scheduled", 2: "in_progress", 3: "final"}

SCHEDULE = Query(
    "schedule",
    """
SELECT game_id AS schedule_game_id, game_date, game_date_est, game_status, home_team_tricode, away_team_tricode,
       home_team_score, away_team_score
FROM nba_raw.nbac_schedule
WHERE game_date = @target_date
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_id ORDER BY game_status DESC, data_source) = 1
""",
    date_params,
)
"""One row per schedule game of the date (duplicate data_source rows folded, the most advanced status kept)."""


def day_params(ctx: ExportContext) -> dict[str, Any]:
    return {"target_date": ctx.target_date, "injury_from": ctx.target_date - timedelta(days=INJURY_LOOKBACK_DAYS)}


DAY_PLAYERS = Query(
    "day_players",
    """
WITH latest_injury AS (
  SELECT player_lookup, injury_status, reason
  FROM nba_raw.nbac_injury_report
  WHERE report_date BETWEEN @injury_from AND @target_date AND game_date = @target_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY report_date DESC, report_hour DESC, game_id) = 1
),
fatigue AS (
  SELECT player_lookup, game_id, fatigue_score, fatigue_context_json
  FROM nba_precompute.player_composite_factors
  WHERE game_date = @target_date
)
SELECT c.player_lookup, c.game_id, c.team_abbr, c.opponent_team_abbr, c.home_game, c.days_rest, c.back_to_back,
       f.fatigue_score, f.fatigue_context_json, i.injury_status, i.reason AS injury_reason
FROM nba_analytics.upcoming_player_game_context AS c
LEFT JOIN fatigue AS f ON f.player_lookup = c.player_lookup AND f.game_id = c.game_id
LEFT JOIN latest_injury AS i ON i.player_lookup = c.player_lookup
WHERE c.game_date = @target_date
""",
    day_params,
)
"""One row per context row of the date, with its composite fatigue and the latest injury report row for that
game date (null when the player is not on a report for it)."""


def season_params(ctx: ExportContext) -> dict[str, Any]:
    return {"target_date": ctx.target_date, "season_start": stats_season_start(ctx.target_date)}


SEASON_GAMES = Query(
    "season_games",
    f"""
SELECT g.player_lookup, g.game_id, g.game_date, g.team_abbr, g.opponent_team_abbr, g.points, g.minutes_played,
       g.points_line, g.over_under_result
FROM nba_analytics.player_game_summary AS g
WHERE g.game_date >= @season_start AND g.game_date < @target_date
  AND {played("g")}
  AND g.player_lookup IN (
    SELECT c.player_lookup FROM nba_analytics.upcoming_player_game_context AS c WHERE c.game_date = @target_date)
""",
    season_params,
)
"""Every stats-season game played (DNP rows left out) before the date of every player in the date's context."""


def recent_params(ctx: ExportContext) -> dict[str, Any]:
    return {"target_date": ctx.target_date, "recent_from": ctx.target_date - timedelta(days=RECENT_LOOKBACK_DAYS)}


RECENT_GAMES = Query(
    "recent_games",
    f"""
SELECT player_lookup, game_id, game_date, team_abbr, opponent_team_abbr, points, minutes_played,
       fg_makes, fg_attempts, three_pt_makes, three_pt_attempts, ft_makes, ft_attempts, points_line, over_under_result
FROM (
  SELECT g.player_lookup, g.game_id, g.game_date, g.team_abbr, g.opponent_team_abbr, g.points, g.minutes_played,
         g.fg_makes, g.fg_attempts, g.three_pt_makes, g.three_pt_attempts, g.ft_makes, g.ft_attempts,
         g.points_line, g.over_under_result,
         ROW_NUMBER() OVER (PARTITION BY g.player_lookup ORDER BY g.game_date DESC, g.game_id DESC) AS recent_rank,
         ROW_NUMBER() OVER (PARTITION BY g.player_lookup, g.points IS NULL
                            ORDER BY g.game_date DESC, g.game_id DESC) AS scored_rank
  FROM nba_analytics.player_game_summary AS g
  WHERE g.game_date >= @recent_from AND g.game_date < @target_date
    AND {played("g")}
    AND g.player_lookup IN (
      SELECT c.player_lookup FROM nba_analytics.upcoming_player_game_context AS c WHERE c.game_date = @target_date)
)
WHERE recent_rank <= {LAST_GAMES} OR (points IS NOT NULL AND scored_rank <= {LAST_GAMES})
""",
    recent_params,
)
"""For every player in the date's context: his last 10 games (DNPs left out) before the date, and his last 10 games
with points."""

ODDS = Query(
    "odds",
    """
SELECT player_lookup, ROUND(points_line, 1) AS points_line, LOWER(bet_side) AS bet_side,
       MAX(odds_american) AS odds_american
FROM nba_raw.bettingpros_player_points_props
WHERE game_date = @target_date AND market_type = 'points' AND is_best_line = TRUE
GROUP BY player_lookup, ROUND(points_line, 1), LOWER(bet_side)
""",
    date_params,
)
"""The best price per (player, line, side) on the date."""


# ---- shared helpers (tonight-players and live-grading use them too)

def average(values: Iterable[Any]) -> float | None:
    known = [value for value in (number(item) for item in values) if value is not None]
    return fmean(known) if known else None


def group_by_player(rows: Rows) -> dict[str, Rows]:
    grouped: dict[str, Rows] = defaultdict(list)
    for row in rows:
        grouped[row["player_lookup"]].append(row)
    return dict(grouped)


def newest_first(rows: Rows) -> Rows:
    return sorted(rows, key=lambda row: (row["game_date"], row["game_id"]), reverse=True)


def platform_game_id(schedule_row: Mapping[str, Any]) -> str:
    game_date: date = schedule_row["game_date"]
    return f"{game_date:%Y%m%d}_{schedule_row['away_team_tricode']}_{schedule_row['home_team_tricode']}"


def public_game_status(code: Any) -> str:
    return GAME_STATUS.get(integer(code), "scheduled")


def injury_status(day_player: Mapping[str, Any]) -> str:
    """The lowercased status of the latest report row for the game date, or "available" without one."""
    return (day_player.get("injury_status") or "available").lower()


def season_stats(season_games: Rows) -> dict[str, Any]:
    games = len(season_games)
    return {
        "ppg": average(row["points"] for row in season_games),
        "mpg": average(row["minutes_played"] for row in season_games),
        "games_played": games,
        "limited_data": games < LIMITED_DATA_GAMES,
    }


def line_of(prediction: Mapping[str, Any] | None) -> float | None:
    return None if prediction is None else number(prediction.get("current_points_line"))


def prediction_key(rows: Rows) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["player_lookup"], row["game_id"]): row for row in rows}


# ---- shape

def valid_odds(odds: Any) -> int | None:
    value = integer(odds)
    return value if value is not None and abs(value) <= MAX_VALID_ODDS else None


def props(line: float, odds_rows: Rows) -> list[dict[str, Any]]:
    """The one points prop: the prediction's line, with the best over/under price at that line."""
    at_line = {
        row["bet_side"]: row["odds_american"] for row in odds_rows if number(row["points_line"]) == round(line, 1)
    }
    return [{
        "stat_type": "points",
        "line": r2(line),
        "over_odds": valid_odds(at_line.get("over")),
        "under_odds": valid_odds(at_line.get("under")),
    }]


def last_10_results(scored_games: Rows) -> list[str]:
    return [{"OVER": "O", "UNDER": "U"}.get(over_under_label(row), "-") for row in scored_games]


def last_10_record(results: list[str]) -> str | None:
    overs, unders = results.count("O"), results.count("U")
    return f"{overs}-{unders}" if overs + unders else None


def shape_player(
    day_player: Mapping[str, Any],
    name: str | None,
    prediction: Mapping[str, Any] | None,
    season_games: Rows,
    recent_games: Rows,
    odds_rows: Rows,
) -> dict[str, Any]:
    """One players[] entry. recent_games are newest first."""
    scored = [row for row in recent_games if row["points"] is not None][:LAST_GAMES]
    stats = season_stats(season_games)
    line = line_of(prediction)
    fatigue_score = number(day_player.get("fatigue_score"))
    player: dict[str, Any] = {
        "player_lookup": day_player["player_lookup"],
        "name": name or day_player["player_lookup"],
        "team": day_player["team_abbr"],
        "is_home": day_player.get("home_game"),
        "has_line": line is not None,
        "fatigue_level": fatigue_level(fatigue_score),
        "fatigue_score": r2(fatigue_score),
        "days_rest": integer(day_player.get("days_rest")),
        "injury_status": injury_status(day_player),
        "injury_reason": day_player.get("injury_reason"),
        "season_ppg": r2(stats["ppg"]),
        "season_mpg": r2(stats["mpg"]),
        "last_5_ppg": r2(average(row["points"] for row in scored[:5])),
        "games_played": stats["games_played"],
        "limited_data": stats["limited_data"],
        "last_10_points": [integer(row["points"]) for row in scored],
    }
    if line is not None:
        results = last_10_results(scored)
        player["props"] = props(line, odds_rows)
        player["prediction"] = {
            "predicted": r2(prediction["predicted_points"]),
            "confidence": r2(prediction["confidence_score"]),
            "recommendation": prediction["recommendation"],
        }
        player["last_10_results"] = results
        player["last_10_record"] = last_10_record(results)
    return player


def player_order(player: Mapping[str, Any]) -> tuple:
    """has_line first, "out" last, then confidence desc, season_ppg desc (null as 0), player_lookup."""
    confidence = player.get("prediction", {}).get("confidence") or 0.0
    return (
        not player["has_line"],
        player["injury_status"] == "out",
        -confidence,
        -(player["season_ppg"] or 0.0),
        player["player_lookup"],
    )


def shape_game(schedule_row: Mapping[str, Any], players: list[dict[str, Any]]) -> dict[str, Any]:
    status = public_game_status(schedule_row["game_status"])
    final = status == "final"
    ordered = sorted(players, key=player_order)
    return {
        "game_id": platform_game_id(schedule_row),
        "home_team": schedule_row["home_team_tricode"],
        "away_team": schedule_row["away_team_tricode"],
        "game_time": game_time_et(schedule_row["game_date_est"]),
        "game_status": status,
        "home_score": integer(schedule_row["home_team_score"]) if final else None,
        "away_score": integer(schedule_row["away_team_score"]) if final else None,
        "player_count": len(ordered),
        "players": ordered,
    }


def game_order(schedule_row: Mapping[str, Any]) -> tuple:
    tip_off = schedule_row["game_date_est"]
    return (tip_off is None, tip_off.timestamp() if tip_off else 0.0, platform_game_id(schedule_row))


def shape_tonight(ctx: ExportContext, rows: Mapping[str, Rows]) -> dict[str, Any]:
    names = player_names(rows[REGISTRY_NAMES.name])
    predictions = prediction_key(rows[ACTIVE_CHAMPION_PREDICTIONS.name])
    season = group_by_player(rows[SEASON_GAMES.name])
    recent = group_by_player(rows[RECENT_GAMES.name])
    odds = group_by_player(rows[ODDS.name])
    players_by_game: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for day_player in rows[DAY_PLAYERS.name]:
        lookup = day_player["player_lookup"]
        players_by_game[day_player["game_id"]].append(shape_player(
            day_player,
            names.get(lookup),
            predictions.get((lookup, day_player["game_id"])),
            season.get(lookup, []),
            newest_first(recent.get(lookup, [])),
            odds.get(lookup, []),
        ))
    schedule = sorted(rows[SCHEDULE.name], key=game_order)
    games = [shape_game(game, players_by_game.get(platform_game_id(game), [])) for game in schedule]
    placed = [player for game in games for player in game["players"]]
    return {
        "game_date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "total_players": len(placed),
        "total_with_lines": sum(1 for player in placed if player["has_line"]),
        "games": games,
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    return dated_and_pointer(
        ctx,
        shape_tonight(ctx, rows),
        f"tonight/{ctx.target_date.isoformat()}.json",
        "tonight/all-players.json",
        long_age=LONG_MAX_AGE,
        short_age=SHORT_MAX_AGE,
        pointer_age=SHORT_MAX_AGE,
    )


SPEC = ExportSpec(
    name="tonight",
    cost="fast",
    priority=22,
    queries=(SCHEDULE, DAY_PLAYERS, ACTIVE_CHAMPION_PREDICTIONS, REGISTRY_NAMES, SEASON_GAMES, RECENT_GAMES, ODDS),
    build=build,
    paths=("tonight/{date}.json", "tonight/all-players.json"),
    guard=ContentGuard(lambda body: body.get("total_players") or 0),
    description="Every player of the day's games with season numbers, last 10 games, injuries, fatigue and lines.",
)
