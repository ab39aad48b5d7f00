"""predictions → predictions/{date}.json + predictions/today.json: the champion's active predictions by game."""
from __future__ import annotations

import re
from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Probe, Published, Rows
from phase6.formats import integer, number, r1, r2

from .common import ACTIVE_CHAMPION_PREDICTIONS, CHAMPION_GRADES, TEAM_LOOKUP, by_player, model_attribution

PREDICTIONS = Published("predictions/{date}.json", "predictions", max_age=3600, short_max_age=300,
                        pointer="predictions/today.json", pointer_max_age=300)
PLATFORM_GAME_ID = re.compile(r"^\d{8}_([A-Z]{3})_([A-Z]{3})$")
UNKNOWN_TEAM = "UNK"


def team_side(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"team": row["team_abbr"], "opponent": row["opponent_team_abbr"], "home_game": row.get("home_game")}


def teams_by_player(team_rows: Rows, grade_rows: Rows) -> dict[str, dict[str, Any]]:
    """player_lookup → {team, opponent, home_game}: the game context / game summary first, then the graded row."""
    teams = {row["player_lookup"]: team_side(row) for row in grade_rows if row.get("team_abbr")}
    teams.update((lookup, team_side(row)) for lookup, row in by_player(team_rows).items())
    return teams


def game_sides(game_id: str, first_prediction: Mapping[str, Any] | None) -> tuple[str, str]:
    """(home_team, away_team) from a `YYYYMMDD_AWAY_HOME` id; otherwise from the first row's team and opponent."""
    match = PLATFORM_GAME_ID.match(game_id)
    if match:
        return match.group(2), match.group(1)
    if first_prediction is None:
        return UNKNOWN_TEAM, UNKNOWN_TEAM
    team = first_prediction.get("team") or UNKNOWN_TEAM
    opponent = first_prediction.get("opponent") or UNKNOWN_TEAM
    return (opponent, team) if first_prediction.get("home_game") is False else (team, opponent)


def is_home(side: Mapping[str, Any], home_team: str | None) -> bool | None:
    if side.get("home_game") is not None:
        return side["home_game"]
    if side.get("team") is None or home_team is None:
        return None
    return side["team"] == home_team


def shape_prediction(row: Mapping[str, Any], side: Mapping[str, Any], home_team: str | None) -> dict:
    predicted = number(row["predicted_points"])
    line = number(row["current_points_line"])
    return {
        "player_lookup": row["player_lookup"],
        "team": side.get("team"),
        "is_home": is_home(side, home_team),
        "prediction": {
            "points": r2(predicted),
            "confidence": r2(row["confidence_score"]),
            "recommendation": row["recommendation"],
            "line": r2(line),
            "edge": r1(predicted - line) if predicted is not None and line is not None else None,
        },
        "context": {"pace_adjustment": r2(row["pace_adjustment"]), "similar_games": integer(row["similar_games_count"])},
        "model_attribution": model_attribution(row),
    }


def prediction_order(row: Mapping[str, Any]) -> tuple:
    """Confidence descending with nulls last, then player_lookup."""
    confidence = number(row["confidence_score"])
    return (confidence is None, -(confidence or 0.0), row["player_lookup"])


def shape_game(game_id: str, rows: Rows, teams: Mapping[str, Mapping[str, Any]]) -> dict:
    ordered = sorted(rows, key=prediction_order)
    sides = [teams.get(row["player_lookup"], {}) for row in ordered]
    home_team, away_team = game_sides(game_id, sides[0] if sides else None)
    parsed_home = home_team if PLATFORM_GAME_ID.match(game_id) else None
    recommendations = [row["recommendation"] for row in ordered]
    return {
        "game_id": game_id,
        "home_team": home_team,
        "away_team": away_team,
        "prediction_count": len(ordered),
        "recommendation_breakdown": {
            "over": recommendations.count("OVER"),
            "under": recommendations.count("UNDER"),
            "pass": recommendations.count("PASS"),
        },
        "predictions": [shape_prediction(row, side, parsed_home) for row, side in zip(ordered, sides)],
    }


def shape(ctx: ExportContext, prediction_rows: Rows, team_rows: Rows, grade_rows: Rows) -> dict:
    teams = teams_by_player(team_rows, grade_rows)
    by_game: dict[str, Rows] = {}
    for row in prediction_rows:
        by_game.setdefault(row["game_id"], []).append(row)
    return {
        "game_date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "total_games": len(by_game),
        "total_predictions": len(prediction_rows),
        "games": [shape_game(game_id, by_game[game_id], teams) for game_id in sorted(by_game)],
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    body = shape(
        ctx,
        rows[ACTIVE_CHAMPION_PREDICTIONS.name],
        rows[TEAM_LOOKUP.name],
        rows[CHAMPION_GRADES.name],
    )
    return PREDICTIONS.documents(ctx, body)


SPEC = ExportSpec(
    name="predictions",
    cost="fast",
    priority=12,
    critical=True,
    queries=(ACTIVE_CHAMPION_PREDICTIONS, TEAM_LOOKUP, CHAMPION_GRADES),
    build=build,
    documents=(PREDICTIONS,),
    probe=Probe("predictions/today.json", sla_hours=26),
    order=4,
    groups=("tonight-set", "results-set"),
    guard=ContentGuard(lambda body: body.get("total_predictions") or 0),
    summary="The champion's latest active prediction per player, grouped by game, with model attribution.",
    legacy=(
        "Only active predictions, one per player and game: superseded duplicates no longer appear.",
        "`team` and `is_home` are known before the game is graded; they were null until then.",
        "`model_attribution` is new.",
    ),
)
