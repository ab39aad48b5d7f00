"""players → players/index.json and players/{lookup}.json: the champion's track record per player,
with his game log, splits and next game. Global files relative to G, written by live runs only.

Fan-out with a fixed set of queries: everything is read for all players at once and grouped once per run.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from exporters.common import REGISTRY_NAMES, over_under_label, played, player_names
from exporters.tonight import group_by_player, newest_first
from exporters.tonight_players import home_from_game_id, margin, scoring_line
from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Probe, Published, Query, Rows
from phase6.config import season_window_start
from phase6.formats import integer, iso_date, r2

INDEX = Published("players/index.json", "players-index", max_age=3600)
PROFILE = Published("players/{lookup}.json", "player-profile", max_age=3600)
INDEX_MIN_DATES = 3
GAME_LOG_GAMES = 50
OPPONENT_MIN_GAMES = 2
NEXT_GAME_LOOKAHEAD_DAYS = 30
REST_KEYS = ("b2b", "one_day", "two_day", "three_plus")
LOCATION_KEYS = ("home", "away")
NO_DATA_ERROR = "No prediction data found for this player"


def history_params(ctx: ExportContext) -> dict[str, Any]:
    """Graded rows and splits cover the configured season window (since 2021-22 by default) up to G."""
    return {
        "history_start": season_window_start(),
        "game_day": ctx.game_day,
        "champion_system_id": ctx.champion_system_id,
    }


PLAYER_ACCURACY = Query(
    "player_accuracy",
    """
SELECT player_lookup, MAX(team_abbr) AS team, COUNT(DISTINCT game_date) AS graded_dates,
       COUNT(*) AS games_predicted,
       COUNTIF(recommendation IN ('OVER', 'UNDER')) AS recommendations,
       COUNTIF(prediction_correct) AS correct,
       COUNTIF(prediction_correct = FALSE) AS incorrect,
       SAFE_DIVIDE(CAST(SUM(absolute_error) AS FLOAT64), COUNT(absolute_error)) AS mae,
       SAFE_DIVIDE(CAST(SUM(signed_error) AS FLOAT64), COUNT(signed_error)) AS bias,
       SAFE_DIVIDE(CAST(SUM(confidence_score) AS FLOAT64), COUNT(confidence_score)) AS avg_confidence,
       SAFE_DIVIDE(COUNTIF(within_3_points), COUNT(*)) AS within_3_pct,
       SAFE_DIVIDE(COUNTIF(within_5_points), COUNT(*)) AS within_5_pct,
       MIN(game_date) AS first_date, MAX(game_date) AS last_date,
       COUNTIF(recommendation = 'OVER') AS over_calls,
       COUNTIF(recommendation = 'OVER' AND prediction_correct) AS over_wins,
       COUNTIF(recommendation = 'OVER' AND prediction_correct = FALSE) AS over_losses,
       COUNTIF(recommendation = 'UNDER') AS under_calls,
       COUNTIF(recommendation = 'UNDER' AND prediction_correct) AS under_wins,
       COUNTIF(recommendation = 'UNDER' AND prediction_correct = FALSE) AS under_losses
FROM nba_predictions.prediction_accuracy
WHERE game_date BETWEEN @history_start AND @game_day AND system_id = @champion_system_id
  AND COALESCE(is_voided, FALSE) = FALSE
GROUP BY player_lookup
""",
    history_params,
)
"""One row per player: the champion's graded (not voided) rows of the season window up to G, aggregated."""

PREDICTED_PLAYERS = """
    SELECT a.player_lookup FROM nba_predictions.prediction_accuracy AS a
    WHERE a.game_date BETWEEN @history_start AND @game_day AND a.system_id = @champion_system_id"""

GAME_LOG = Query(
    "game_log",
    f"""
SELECT player_lookup, game_id, game_date, team_abbr, opponent_team_abbr, win_flag, points, minutes_played,
       fg_makes, fg_attempts, three_pt_makes, three_pt_attempts, ft_makes, ft_attempts, offensive_rebounds,
       defensive_rebounds, assists, steals, blocks, turnovers, points_line, over_under_result
FROM (
  SELECT g.player_lookup, g.game_id, g.game_date, g.team_abbr, g.opponent_team_abbr, g.win_flag, g.points,
         g.minutes_played, g.fg_makes, g.fg_attempts, g.three_pt_makes, g.three_pt_attempts, g.ft_makes,
         g.ft_attempts, g.offensive_rebounds, g.defensive_rebounds, g.assists, g.steals, g.blocks, g.turnovers,
         g.points_line, g.over_under_result,
         ROW_NUMBER() OVER (PARTITION BY g.player_lookup ORDER BY g.game_date DESC, g.game_id DESC) AS recent_rank
  FROM nba_analytics.player_game_summary AS g
  WHERE g.game_date BETWEEN @history_start AND @game_day AND g.player_lookup IN ({PREDICTED_PLAYERS})
    AND {played("g")}
)
WHERE recent_rank <= {GAME_LOG_GAMES}
""",
    history_params,
)
"""The last 50 games (DNPs left out) up to G of every player the champion has graded rows for."""

SPLITS = Query(
    "splits",
    f"""
WITH games AS (
  SELECT g.player_lookup, g.game_id, g.team_abbr, g.opponent_team_abbr, g.points, g.over_under_result,
         DATE_DIFF(g.game_date, LAG(g.game_date) OVER (PARTITION BY g.player_lookup ORDER BY g.game_date, g.game_id),
                   DAY) AS rest_days
  FROM nba_analytics.player_game_summary AS g
  WHERE g.game_date BETWEEN @history_start AND @game_day AND g.player_lookup IN ({PREDICTED_PLAYERS})
    AND {played("g")}
),
labelled AS (
  SELECT player_lookup, points, over_under_result, opponent_team_abbr,
         CASE WHEN rest_days = 1 THEN 'b2b' WHEN rest_days = 2 THEN 'one_day' WHEN rest_days = 3 THEN 'two_day'
              WHEN rest_days >= 4 THEN 'three_plus' END AS rest_key,
         IF(ENDS_WITH(game_id, CONCAT('_', team_abbr)), 'home', 'away') AS location_key
  FROM games
)
SELECT player_lookup, 'rest' AS split, rest_key AS split_key, AVG(CAST(points AS FLOAT64)) AS avg_points,
       COUNT(*) AS games, COUNTIF(over_under_result = 'OVER') AS overs,
       COUNTIF(over_under_result IN ('OVER', 'UNDER')) AS lined
FROM labelled WHERE rest_key IS NOT NULL GROUP BY player_lookup, rest_key
UNION ALL
SELECT player_lookup, 'location' AS split, location_key AS split_key, AVG(CAST(points AS FLOAT64)) AS avg_points,
       COUNT(*) AS games, COUNTIF(over_under_result = 'OVER') AS overs,
       COUNTIF(over_under_result IN ('OVER', 'UNDER')) AS lined
FROM labelled GROUP BY player_lookup, location_key
UNION ALL
SELECT player_lookup, 'opponent' AS split, opponent_team_abbr AS split_key, AVG(CAST(points AS FLOAT64)) AS avg_points,
       COUNT(*) AS games, COUNTIF(over_under_result = 'OVER') AS overs,
       COUNTIF(over_under_result IN ('OVER', 'UNDER')) AS lined
FROM labelled GROUP BY player_lookup, opponent_team_abbr
""",
    history_params,
)
"""Per player over the season window, DNPs left out: points and O/U counts (by over_under_result, as
over_under_label reads it) by rest (days since the previous game played), home/away (a malformed game_id counts as
away) and opponent."""


def next_game_params(ctx: ExportContext) -> dict[str, Any]:
    return {"game_day": ctx.game_day, "until": ctx.game_day + timedelta(days=NEXT_GAME_LOOKAHEAD_DAYS),
            "champion_system_id": ctx.champion_system_id}


NEXT_GAMES = Query(
    "next_games",
    """
SELECT c.player_lookup, c.game_date, c.game_id, c.opponent_team_abbr, c.home_game,
       p.player_lookup IS NOT NULL AS has_prediction
FROM nba_analytics.upcoming_player_game_context AS c
LEFT JOIN (
  SELECT DISTINCT player_lookup, game_id
  FROM nba_predictions.player_prop_predictions
  WHERE game_date BETWEEN @game_day AND @until AND system_id = @champion_system_id AND is_active = TRUE
) AS p ON p.player_lookup = c.player_lookup AND p.game_id = c.game_id
WHERE c.game_date BETWEEN @game_day AND @until
QUALIFY ROW_NUMBER() OVER (PARTITION BY c.player_lookup ORDER BY c.game_date, c.game_id) = 1
""",
    next_game_params,
)
"""Each player's earliest context row on or after G, and whether the champion has an active prediction for it."""


# ---- shape: index

def rate(part: Any, whole: Any) -> float | None:
    numerator, denominator = integer(part), integer(whole)
    return numerator / denominator if numerator is not None and denominator else None


def index_entry(accuracy: Mapping[str, Any], name: str | None) -> dict[str, Any]:
    return {
        "player_lookup": accuracy["player_lookup"],
        "player_full_name": name or accuracy["player_lookup"],
        "team": accuracy["team"],
        "games_predicted": integer(accuracy["games_predicted"]),
        "recommendations": integer(accuracy["recommendations"]),
        "mae": r2(accuracy["mae"]),
        "win_rate": r2(rate(accuracy["correct"], accuracy["recommendations"])),
        "bias": r2(accuracy["bias"]),
        "within_5_pct": r2(accuracy["within_5_pct"]),
    }


def index_players(accuracy_rows: Rows) -> Rows:
    """Players with ≥ 3 graded champion game dates, by games_predicted desc, then player_lookup."""
    eligible = [row for row in accuracy_rows if (integer(row["graded_dates"]) or 0) >= INDEX_MIN_DATES]
    return sorted(eligible, key=lambda row: (-(integer(row["games_predicted"]) or 0), row["player_lookup"]))


def shape_index(ctx: ExportContext, accuracy_rows: Rows, names: Mapping[str, str]) -> dict[str, Any]:
    players = [index_entry(row, names.get(row["player_lookup"])) for row in index_players(accuracy_rows)]
    return {"generated_at": ctx.generated_at, "total_players": len(players), "players": players}


# ---- shape: detail

def summary(accuracy: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "team": accuracy["team"],
        "games_predicted": integer(accuracy["games_predicted"]),
        "total_recommendations": integer(accuracy["recommendations"]),
        "correct": integer(accuracy["correct"]),
        "mae": r2(accuracy["mae"]),
        "win_rate": r2(rate(accuracy["correct"], accuracy["recommendations"])),
        "bias": r2(accuracy["bias"]),
        "avg_confidence": r2(accuracy["avg_confidence"]),
        "within_3_pct": r2(accuracy["within_3_pct"]),
        "within_5_pct": r2(accuracy["within_5_pct"]),
        "date_range": {"first": iso_date(accuracy["first_date"]), "last": iso_date(accuracy["last_date"])},
    }


def bias_text(bias: float) -> str:
    if bias > 3:
        return "We significantly overestimate this player's scoring"
    if bias > 1:
        return "We slightly overestimate this player's scoring"
    if bias < -3:
        return "We significantly underestimate this player's scoring"
    if bias < -1:
        return "We slightly underestimate this player's scoring"
    return "Our predictions are well calibrated for this player"


def accuracy_text(win_rate: float) -> str:
    if win_rate >= 0.85:
        return "Excellent: our calls on this player are very reliable"
    if win_rate >= 0.70:
        return "Strong: our calls on this player are usually right"
    if win_rate >= 0.55:
        return "Good: our calls on this player beat the break-even rate"
    return "Mixed: our calls on this player are hit and miss"


def sample_size_text(games_predicted: int) -> str:
    if games_predicted < 5:
        return "Very limited sample: treat these numbers with caution"
    if games_predicted < 15:
        return "Limited sample: the numbers may still move"
    return "Solid sample of predictions"


def interpretation(player_summary: Mapping[str, Any] | None) -> dict[str, Any]:
    if player_summary is None:
        return {"error": NO_DATA_ERROR}
    result: dict[str, Any] = {}
    if player_summary["bias"] is not None:
        result["bias"] = bias_text(player_summary["bias"])
    if player_summary["win_rate"] is not None and player_summary["total_recommendations"] >= 5:
        result["accuracy"] = accuracy_text(player_summary["win_rate"])
    result["sample_size"] = sample_size_text(player_summary["games_predicted"])
    return result


def record(wins: Any, losses: Any) -> dict[str, Any]:
    won, lost = integer(wins) or 0, integer(losses) or 0
    return {"wins": won, "losses": lost, "pct": r2(rate(won, won + lost))}


def calls(total: Any, wins: Any, losses: Any) -> dict[str, Any]:
    return {"total": integer(total) or 0, **record(wins, losses)}


def track_record(accuracy: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "total_predictions": integer(accuracy["games_predicted"]),
        "overall": record(accuracy["correct"], accuracy["incorrect"]),
        "over_calls": calls(accuracy["over_calls"], accuracy["over_wins"], accuracy["over_losses"]),
        "under_calls": calls(accuracy["under_calls"], accuracy["under_wins"], accuracy["under_losses"]),
        "avg_error": r2(accuracy["mae"]),
        "bias": r2(accuracy["bias"]),
        "within_3_pts": r2(accuracy["within_3_pct"]),
        "within_5_pts": r2(accuracy["within_5_pct"]),
    }


def rebounds(game: Mapping[str, Any]) -> int | None:
    parts = [integer(game["offensive_rebounds"]), integer(game["defensive_rebounds"])]
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


def game_log_entry(game: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "game_date": iso_date(game["game_date"]),
        "opponent": game["opponent_team_abbr"],
        "home_game": bool(home_from_game_id(game["game_id"], game["team_abbr"])),
        "team_result": "W" if game["win_flag"] else "L",
        **scoring_line(game),
        "rebounds": rebounds(game),
        "assists": integer(game["assists"]),
        "steals": integer(game["steals"]),
        "blocks": integer(game["blocks"]),
        "turnovers": integer(game["turnovers"]),
        "line": r2(game["points_line"]),
        "over_under": over_under_label(game),
        "margin": r2(margin(game["points"], game["points_line"])),
    }


def split_entry(split: Mapping[str, Any] | None) -> dict[str, Any]:
    if split is None:
        return {"avg": None, "games": 0, "vs_line_pct": None}
    return {"avg": r2(split["avg_points"]), "games": integer(split["games"]),
            "vs_line_pct": r2(rate(split["overs"], split["lined"]))}


def splits(split_rows: Rows) -> dict[str, Any]:
    if not split_rows:
        return {}
    by_kind: dict[str, dict[str, Mapping[str, Any]]] = {"rest": {}, "location": {}, "opponent": {}}
    for row in split_rows:
        by_kind[row["split"]][row["split_key"]] = row
    opponents = [
        {"team": team, **split_entry(row)}
        for team, row in by_kind["opponent"].items()
        if team is not None and (integer(row["games"]) or 0) >= OPPONENT_MIN_GAMES
    ]
    opponents.sort(key=lambda entry: (-entry["games"], -(entry["avg"] or 0.0), entry["team"]))
    return {
        "rest": {key: split_entry(by_kind["rest"].get(key)) for key in REST_KEYS},
        "location": {key: split_entry(by_kind["location"].get(key)) for key in LOCATION_KEYS},
        "opponents": opponents,
    }


def next_game(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"game_date": iso_date(row["game_date"]), "game_id": row["game_id"], "opponent": row["opponent_team_abbr"],
            "home_game": row["home_game"], "has_prediction": bool(row["has_prediction"])}


@dataclass(frozen=True)
class PlayerHistory:
    lookup: str
    name: str | None
    accuracy: dict[str, Any] | None
    games: Rows  # newest first
    splits: Rows
    next_game: dict[str, Any] | None


def shape_detail(ctx: ExportContext, player: PlayerHistory) -> dict[str, Any]:
    accuracy = player.accuracy
    player_summary = summary(accuracy) if accuracy else None
    return {
        "player_lookup": player.lookup,
        "player_full_name": player.name or player.lookup,
        "generated_at": ctx.generated_at,
        "recent_news": [],
        "summary": player_summary,
        "interpretation": interpretation(player_summary),
        "game_log": [game_log_entry(game) for game in player.games[:GAME_LOG_GAMES]] if accuracy else [],
        "splits": splits(player.splits) if accuracy else {},
        "our_track_record": track_record(accuracy) if accuracy else {},
        "next_game": next_game(player.next_game) if accuracy else None,
    }


# ---- fan-out

def eligible_for_detail(accuracy: Mapping[str, Any], min_games: int) -> bool:
    return (integer(accuracy["games_predicted"]) or 0) >= min_games


def index_profiles(ctx: ExportContext, rows: Mapping[str, Rows]) -> dict[str, PlayerHistory]:
    """The spec's `prepare`: computed once per run, handed to `entities` and `build_entity`."""
    names = player_names(rows[REGISTRY_NAMES.name])
    games = group_by_player(rows[GAME_LOG.name])
    split_rows = group_by_player(rows[SPLITS.name])
    next_games = {row["player_lookup"]: row for row in rows[NEXT_GAMES.name]}
    return {
        accuracy["player_lookup"]: PlayerHistory(
            accuracy["player_lookup"],
            names.get(accuracy["player_lookup"]),
            accuracy,
            newest_first(games.get(accuracy["player_lookup"], [])),
            split_rows.get(accuracy["player_lookup"], []),
            next_games.get(accuracy["player_lookup"]),
        )
        for accuracy in index_players(rows[PLAYER_ACCURACY.name])
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    body = shape_index(ctx, rows[PLAYER_ACCURACY.name], player_names(rows[REGISTRY_NAMES.name]))
    return INDEX.documents(ctx, body)


def entities(ctx: ExportContext, profiles: Mapping[str, PlayerHistory]) -> list[str]:
    return [lookup for lookup, player in profiles.items() if eligible_for_detail(player.accuracy, ctx.min_games)]


def build_entity(ctx: ExportContext, profiles: Mapping[str, PlayerHistory], lookup: str) -> list[Document]:
    body = shape_detail(ctx, profiles[lookup])
    return PROFILE.documents(ctx, body, entity=lookup)


SPEC = ExportSpec(
    name="players",
    cost="fanout",
    priority=41,
    queries=(PLAYER_ACCURACY, REGISTRY_NAMES, GAME_LOG, SPLITS, NEXT_GAMES),
    build=build,
    prepare=index_profiles,
    entities=entities,
    build_entity=build_entity,
    documents=(INDEX, PROFILE,),
    probe=Probe("players/index.json", sla_hours=192),
    order=14,
    guard=ContentGuard(lambda body: body.get("total_players") or 0),  # the index; profiles are entities
    summary="The champion's track record per player: index, then one profile per player with enough games.",
    legacy=(
        "A malformed game id no longer stops a profile from being written.",
        "`recent_news` is always empty: this publisher reads no news.",
        "Voided predictions (DNPs) are not counted as graded predictions.",
    ),
)
