"""results → results/{date}.json + pointer results/latest.json: the champion's graded rows for a date."""
from __future__ import annotations

from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Probe, Published, Query, Rows
from phase6.formats import integer, number, r2, r3

from .common import REGISTRY_NAMES, champion_date_params, player_names

RESULTS = Published("results/{date}.json", "results", max_age=86400, short_max_age=300,
                    pointer="results/latest.json", pointer_max_age=300)
OVER_UNDER = ("OVER", "UNDER")

GRADED_SQL = """
WITH fs AS (
  SELECT player_lookup, game_id, is_home, days_rest, features
  FROM nba_predictions.ml_feature_store_v2
  WHERE game_date = @target_date
)
SELECT pa.player_lookup, pa.game_id, pa.team_abbr, pa.opponent_team_abbr, pa.predicted_points, pa.actual_points,
       pa.line_value, pa.recommendation, pa.prediction_correct, pa.absolute_error, pa.signed_error,
       pa.confidence_score, pa.minutes_played, pa.within_3_points, pa.within_5_points,
       fs.game_id IS NOT NULL AS has_features, fs.is_home, fs.days_rest,
       fs.features[SAFE_OFFSET(2)] AS season_ppg, fs.features[SAFE_OFFSET(16)] AS back_to_back_flag
FROM nba_predictions.prediction_accuracy AS pa
LEFT JOIN fs ON fs.player_lookup = pa.player_lookup AND fs.game_id = pa.game_id
WHERE pa.game_date = @target_date AND pa.system_id = @champion_system_id
ORDER BY pa.game_id, pa.player_lookup, pa.line_value
"""

GRADED = Query("graded", GRADED_SQL, champion_date_params)

BREAKDOWN_BUCKETS = {
    "by_player_tier": ("elite", "starter", "role_player"),
    "by_confidence": ("high", "medium", "low"),
    "by_recommendation": ("over", "under"),
    "by_context": ("home", "away", "back_to_back", "rested"),
}


def result_word(recommendation: str | None, prediction_correct: bool | None) -> str:
    if recommendation not in OVER_UNDER:
        return "PASS"
    if prediction_correct is None:
        return "PUSH"
    return "WIN" if prediction_correct else "LOSS"


def confidence_tier(confidence: float | None) -> str:
    if confidence is None:
        return "low"
    if confidence >= 0.70:
        return "high"
    if confidence >= 0.55:
        return "medium"
    return "low"


def player_tier(season_ppg: float | None) -> str:
    if season_ppg is None:
        return "role_player"
    if season_ppg >= 25:
        return "elite"
    if season_ppg >= 15:
        return "starter"
    return "role_player"


def is_home(row: Mapping[str, Any]) -> bool:
    """The feature store's flag; without a feature row, whether game_id ends with the player's team."""
    if row["has_features"]:
        return bool(row["is_home"])
    team = row["team_abbr"]
    return bool(team) and row["game_id"].endswith(f"_{team}")


def result_row(row: Mapping[str, Any]) -> dict[str, Any]:
    has_features = row["has_features"]
    days_rest = row["days_rest"] if has_features and row["days_rest"] is not None else 1
    back_to_back = number(row["back_to_back_flag"])
    return {
        "player_lookup": row["player_lookup"],
        "game_id": row["game_id"],
        "team": row["team_abbr"],
        "opponent": row["opponent_team_abbr"],
        "predicted": r2(row["predicted_points"]),
        "actual": integer(row["actual_points"]),
        "line": r2(row["line_value"]),
        "recommendation": row["recommendation"],
        "result": result_word(row["recommendation"], row["prediction_correct"]),
        "error": r2(row["absolute_error"]),
        "bias": r2(row["signed_error"]),
        "confidence": r2(row["confidence_score"]),
        "minutes": r2(row["minutes_played"]),
        "confidence_tier": confidence_tier(number(row["confidence_score"])),
        "player_tier": player_tier(number(row["season_ppg"]) if has_features else None),
        "is_home": is_home(row),
        "is_back_to_back": back_to_back is not None and back_to_back > 0.5,
        "days_rest": integer(days_rest),
    }


def mean(values: list[Any]) -> float | None:
    present = [number(value) for value in values if number(value) is not None]
    return sum(present) / len(present) if present else None


def rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def bucket_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    wins = sum(row["result"] == "WIN" for row in rows)
    losses = sum(row["result"] == "LOSS" for row in rows)
    return {
        "total": len(rows),
        "wins": wins,
        "losses": losses,
        "pushes": sum(row["result"] == "PUSH" for row in rows),
        "win_rate": r3(rate(wins, wins + losses)),
        "avg_error": r2(mean([row["error"] for row in rows]) or 0.0),
    }


def bucket_keys(row: dict[str, Any]) -> dict[str, list[str]]:
    """The buckets of each breakdown group a recommendation row falls in."""
    context = ["home" if row["is_home"] else "away"]
    if row["is_back_to_back"]:
        context.append("back_to_back")
    if row["days_rest"] >= 2:
        context.append("rested")
    return {
        "by_player_tier": [row["player_tier"]],
        "by_confidence": [row["confidence_tier"]],
        "by_recommendation": [row["recommendation"].lower()],
        "by_context": context,
    }


def breakdowns(results: list[dict[str, Any]]) -> dict[str, Any]:
    members: dict[str, dict[str, list]] = {
        group: {bucket: [] for bucket in buckets} for group, buckets in BREAKDOWN_BUCKETS.items()
    }
    for row in results:
        if row["recommendation"] not in OVER_UNDER:
            continue
        for group, buckets in bucket_keys(row).items():
            for bucket in buckets:
                members[group][bucket].append(row)
    return {group: {bucket: bucket_stats(rows) for bucket, rows in buckets.items()} for group, buckets in members.items()}


def summary(raw_rows: Rows, results: list[dict[str, Any]]) -> dict[str, Any]:
    total = len(results)
    within_3 = sum(bool(row["within_3_points"]) for row in raw_rows)
    within_5 = sum(bool(row["within_5_points"]) for row in raw_rows)
    correct = sum(row["result"] == "WIN" for row in results)
    incorrect = sum(row["result"] == "LOSS" for row in results)
    return {
        "total_predictions": total,
        "recommendations": sum(row["recommendation"] in OVER_UNDER for row in results),
        "correct": correct,
        "incorrect": incorrect,
        "pass_count": sum(row["result"] == "PASS" for row in results),
        "win_rate": r3(rate(correct, correct + incorrect)),
        "avg_mae": r2(mean([row["absolute_error"] for row in raw_rows]) or 0.0),
        "avg_bias": r2(mean([row["signed_error"] for row in raw_rows]) or 0.0),
        "within_3_points": within_3,
        "within_3_pct": r3(rate(within_3, total)),
        "within_5_points": within_5,
        "within_5_pct": r3(rate(within_5, total)),
    }


def highlights(raw_rows: Rows, names: Mapping[str, str]) -> dict[str, Any]:
    graded = [row for row in raw_rows if number(row["absolute_error"]) is not None]
    if not graded:
        return {}
    best = min(graded, key=lambda row: (number(row["absolute_error"]), row["player_lookup"]))
    worst = min(graded, key=lambda row: (-number(row["absolute_error"]), row["player_lookup"]))
    return {
        "best_prediction": highlight(best, names),
        "worst_prediction": {**highlight(worst, names), "minutes": r2(worst["minutes_played"])},
    }


def highlight(row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    lookup = row["player_lookup"]
    return {
        "player": lookup,
        "player_full_name": names.get(lookup, lookup),
        "team": row["team_abbr"],
        "predicted": r2(row["predicted_points"]),
        "actual": integer(row["actual_points"]),
        "error": r2(row["absolute_error"]),
    }


def shape(ctx: ExportContext, graded_rows: Rows, names: Mapping[str, str]) -> dict[str, Any]:
    results = [result_row(row) for row in graded_rows]
    return {
        "game_date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "summary": summary(graded_rows, results),
        "breakdowns": breakdowns(results),
        "results": results,
        "highlights": highlights(graded_rows, names),
    }


def pointer_may_move(current: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """docs/api.md, "Pointers and dated twins": never to an empty day, never back to an older date."""
    if not new["results"]:
        return False
    return current is None or str(current.get("game_date") or "") <= new["game_date"]


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    body = shape(ctx, rows[GRADED.name], player_names(rows[REGISTRY_NAMES.name]))
    return RESULTS.documents(ctx, body)


SPEC = ExportSpec(
    name="results",
    cost="fast",
    priority=20,
    queries=(GRADED, REGISTRY_NAMES),
    build=build,
    documents=(RESULTS,),
    probe=Probe("results/latest.json", sla_hours=30),
    order=1,
    groups=("results-set",),
    pointer_offsets=(-1, 0),
    pointer_guard=pointer_may_move,
    guard=ContentGuard(lambda body: len(body.get("results") or [])),
    summary="The champion's graded predictions for a date, with summary, breakdowns and highlights.",
    legacy=(
        "Rows without an OVER or UNDER call (NO_LINE, HOLD) are PASS; they were PUSH.",
        "Pushes and voided predictions are neither correct nor incorrect and stay out of every win rate; they used to "
        "count as incorrect.",
        "`is_home` falls back to the game id when the feature row is missing; it was false.",
        "Highlights carry `player_full_name`.",
        "`latest.json` never moves to an empty day or back to an older date.",
    ),
)
