"""streaks → streaks/{date}.json + fixed streaks/today.json (api.md §3.7): players on a run of OVERs, UNDERs or
correct champion calls, as of the target date."""
from __future__ import annotations

from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Query, Rows, dated_and_pointer
from phase6.formats import integer, number, r1, r2
from phase6.seasons import stats_season_start

from .common import REGISTRY_NAMES, over_under_label, played, player_names

DATED_MAX_AGE = 86400
FIXED_MAX_AGE = 3600
MIN_STREAK = 4
LOOKBACK_GAMES = 20
GAMES_SHOWN = 5
MAX_OVER_UNDER = 50
MAX_PREDICTION_HITS = 30


def season_params(ctx: ExportContext) -> dict[str, Any]:
    return {"season_start": stats_season_start(ctx.target_date), "as_of_date": ctx.target_date}


RECENT_RESULTS = Query("recent_results", f"""
SELECT player_lookup, game_date, points, points_line, over_under_result, opponent_team_abbr, current_team,
       ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY game_date DESC, game_id DESC) AS recency
FROM (
  SELECT player_lookup, game_id, game_date, points, points_line, over_under_result, opponent_team_abbr,
         FIRST_VALUE(team_abbr) OVER (PARTITION BY player_lookup ORDER BY game_date DESC, game_id DESC) AS current_team
  FROM nba_analytics.player_game_summary AS g
  WHERE game_date BETWEEN @season_start AND @as_of_date
    AND {played("g")}
)
WHERE over_under_result IS NOT NULL AND points IS NOT NULL
QUALIFY recency <= {LOOKBACK_GAMES}
""", season_params)
"""Each player's last 20 stats-season games with an O/U result (DNPs left out), and his team in his most recent
game."""

RECENT_CALLS = Query("recent_calls", f"""
SELECT player_lookup, game_date, prediction_correct,
       ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY game_date DESC, game_id DESC, line_value DESC) AS recency
FROM nba_predictions.prediction_accuracy
WHERE game_date BETWEEN @season_start AND @as_of_date AND system_id = @champion_system_id
  AND recommendation IN ('OVER', 'UNDER')
QUALIFY recency <= {LOOKBACK_GAMES}
""", lambda ctx: {**season_params(ctx), "champion_system_id": ctx.champion_system_id})
"""Each player's last 20 champion OVER/UNDER calls of the stats season."""


def newest_first(rows: Rows) -> dict[str, Rows]:
    """Each player's rows by recency (1 = most recent)."""
    by_player: dict[str, Rows] = {}
    for row in sorted(rows, key=lambda row: row["recency"]):
        by_player.setdefault(row["player_lookup"], []).append(row)
    return by_player


def leading_run(rows: Rows, same) -> Rows:
    """The rows from the most recent back to the first that breaks the run."""
    run = []
    for row in rows:
        if not same(row):
            break
        run.append(row)
    return run


def over_under_entry(lookup: str, run: Rows, names: Mapping[str, str]) -> dict[str, Any]:
    margins = [number(row["points"]) - number(row["points_line"]) for row in run]
    return {
        "player_lookup": lookup,
        "player_full_name": names.get(lookup, lookup),
        "team": run[0]["current_team"] or "",
        "streak_length": len(run),
        "avg_margin": sum(margins) / len(margins),
        "games": [
            {"game_date": row["game_date"].isoformat(), "points": integer(row["points"]), "line": r2(row["points_line"]),
             "opponent": row["opponent_team_abbr"]}
            for row in run[:GAMES_SHOWN]
        ],
    }


def over_under_streaks(result_rows: Rows, names: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    streaks: dict[str, list[dict[str, Any]]] = {"OVER": [], "UNDER": []}
    for lookup, rows in newest_first(result_rows).items():
        direction = over_under_label(rows[0])
        run = leading_run(rows, lambda row: over_under_label(row) == direction)
        if direction in streaks and len(run) >= MIN_STREAK:
            streaks[direction].append(over_under_entry(lookup, run, names))
    shaped = {}
    for direction, entries in streaks.items():
        entries.sort(key=lambda entry: (-entry["streak_length"], -entry["avg_margin"], entry["player_lookup"]))
        shaped[direction.lower()] = [{**entry, "avg_margin": r1(entry["avg_margin"])} for entry in entries[:MAX_OVER_UNDER]]
    return shaped


def prediction_hit_streaks(call_rows: Rows, teams: Mapping[str, str], names: Mapping[str, str]) -> list[dict[str, Any]]:
    entries = []
    for lookup, rows in newest_first(call_rows).items():
        run = leading_run(rows, lambda row: row["prediction_correct"] is True)
        if len(run) >= MIN_STREAK:
            entries.append({
                "player_lookup": lookup,
                "player_full_name": names.get(lookup, lookup),
                "team": teams.get(lookup) or "",
                "streak_length": len(run),
                "streak_type": "prediction_hits",
            })
    entries.sort(key=lambda entry: (-entry["streak_length"], entry["player_lookup"]))
    return entries[:MAX_PREDICTION_HITS]


def shape(ctx: ExportContext, result_rows: Rows, call_rows: Rows, names: Mapping[str, str]) -> dict[str, Any]:
    over_under = over_under_streaks(result_rows, names)
    teams = {row["player_lookup"]: row["current_team"] for row in result_rows}
    hits = prediction_hit_streaks(call_rows, teams, names)
    lists = {"over": over_under["over"], "under": over_under["under"], "prediction_hits": hits}
    return {
        "generated_at": ctx.generated_at,
        "as_of_date": ctx.target_date.isoformat(),
        "min_streak_length": MIN_STREAK,
        "streaks": lists,
        "summary": {
            "total_over_streaks": len(lists["over"]),
            "total_under_streaks": len(lists["under"]),
            "total_prediction_streaks": len(hits),
            "longest_over": max((entry["streak_length"] for entry in lists["over"]), default=0),
            "longest_under": max((entry["streak_length"] for entry in lists["under"]), default=0),
            "longest_prediction": max((entry["streak_length"] for entry in hits), default=0),
        },
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    names = player_names(rows[REGISTRY_NAMES.name])
    body = shape(ctx, rows[RECENT_RESULTS.name], rows[RECENT_CALLS.name], names)
    return dated_and_pointer(
        ctx, body, f"streaks/{ctx.target_date.isoformat()}.json", "streaks/today.json",
        long_age=DATED_MAX_AGE, short_age=FIXED_MAX_AGE, pointer_age=FIXED_MAX_AGE,
    )


SPEC = ExportSpec(
    name="streaks",
    cost="fast",
    priority=23,
    queries=(RECENT_RESULTS, RECENT_CALLS, REGISTRY_NAMES),
    build=build,
    paths=("streaks/{date}.json", "streaks/today.json"),
    guard=ContentGuard(lambda body: sum(len(entries) for entries in (body.get("streaks") or {}).values())),
    description="Players on a run of OVERs, UNDERs or correct champion calls.",
)
