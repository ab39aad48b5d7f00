"""performance → systems/performance.json: every system's rolling windows as of G − 1, with the
model behind it (model_info) and its last-30-day record by edge tier (tier_breakdown)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Probe, Published, Query, Rows
from phase6.formats import number, r1, r2
from phase6.seasons import stats_season_start
from phase6.vocab import codename, system_metadata

from .common import model_attribution

PERFORMANCE = Published("systems/performance.json", "systems-performance", max_age=3600)
TIER_DAYS = 30
MODEL_INFO_DAYS = 7
WIN_PAYOUT = 0.909  # profit per unit staked on a win at −110
MODEL_INFO_KEYS = (
    "model_file_name", "model_version", "model_trained_at", "training_start_date", "training_end_date",
    "model_expected_mae", "model_expected_hit_rate",
)
TIERS = (
    ("high_quality", "High Quality (5+ edge)"),
    ("medium_quality", "Medium Quality (3-5 edge)"),
    ("low_quality", "Low Quality (<3 edge)"),
)
ALL_TIERS = ("all_predictions", "All Predictions")


def as_of(ctx: ExportContext) -> date:
    return ctx.game_day - timedelta(days=1)


def daily_params(ctx: ExportContext) -> dict[str, Any]:
    return {"season_start": stats_season_start(as_of(ctx)), "as_of_date": as_of(ctx)}


def tier_params(ctx: ExportContext) -> dict[str, Any]:
    return {"from_date": as_of(ctx) - timedelta(days=TIER_DAYS), "as_of_date": as_of(ctx)}


def model_info_params(ctx: ExportContext) -> dict[str, Any]:
    return {"from_date": ctx.game_day - timedelta(days=MODEL_INFO_DAYS), "game_day": ctx.game_day}


DAILY = Query("daily", """
SELECT game_date, system_id, predictions_count, recommendations_count, correct_count, mae, avg_bias,
       over_win_rate, under_win_rate, within_3_pct, within_5_pct, high_confidence_count, high_confidence_correct
FROM nba_predictions.system_daily_performance
WHERE game_date BETWEEN @season_start AND @as_of_date
ORDER BY system_id, game_date
""", daily_params)

TIERS_QUERY = Query("tiers", """
SELECT system_id,
       CASE WHEN edge >= 5 THEN 'high_quality' WHEN edge >= 3 THEN 'medium_quality' ELSE 'low_quality' END AS tier,
       COUNT(*) AS picks, COUNTIF(prediction_correct) AS wins,
       CAST(SUM(edge) AS FLOAT64) AS edge_sum, CAST(SUM(abs_error) AS FLOAT64) AS error_sum
FROM (
  SELECT system_id, prediction_correct,
         ABS(predicted_points - line_value) AS edge,
         ABS(predicted_points - actual_points) AS abs_error
  FROM nba_predictions.prediction_accuracy
  WHERE game_date > @from_date AND game_date <= @as_of_date
    AND recommendation IN ('OVER', 'UNDER') AND prediction_correct IS NOT NULL AND line_value IS NOT NULL
)
GROUP BY system_id, tier
ORDER BY system_id, tier
""", tier_params)

MODEL_INFO = Query("model_info", """
SELECT system_id, model_file_name, model_version, model_trained_at, model_training_start_date,
       model_training_end_date, model_expected_mae, model_expected_hit_rate
FROM nba_predictions.player_prop_predictions
WHERE game_date > @from_date AND game_date <= @game_day
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY system_id ORDER BY is_active DESC, game_date DESC, created_at DESC, prediction_id DESC) = 1
""", model_info_params)


def total(rows: Rows, column: str) -> int | None:
    values = [row[column] for row in rows if row[column] is not None]
    return int(sum(values)) if values else None


def mean(rows: Rows, column: str) -> float | None:
    values = [number(row[column]) for row in rows if number(row[column]) is not None]
    return sum(values) / len(values) if values else None


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def window_stats(rows: Rows) -> dict[str, Any]:
    """W: sums of counts, the pooled win rate, and means of the daily mae and bias; every field null without rows."""
    recommendations, correct = total(rows, "recommendations_count"), total(rows, "correct_count")
    return {
        "predictions": total(rows, "predictions_count"),
        "recommendations": recommendations,
        "correct": correct,
        "win_rate": r2(ratio(correct, recommendations)),
        "mae": r2(mean(rows, "mae")),
        "bias": r2(mean(rows, "avg_bias")),
    }


def season_breakdown(rows: Rows) -> dict[str, Any]:
    return {
        "over_win_rate": r2(mean(rows, "over_win_rate")),
        "under_win_rate": r2(mean(rows, "under_win_rate")),
        "within_3_pct": r2(mean(rows, "within_3_pct")),
        "within_5_pct": r2(mean(rows, "within_5_pct")),
        "high_confidence_win_rate": r2(
            ratio(total(rows, "high_confidence_correct"), total(rows, "high_confidence_count"))),
    }


def model_info(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    attribution = model_attribution(row)
    info = {key: attribution[key] for key in MODEL_INFO_KEYS}
    return info if any(value is not None for value in info.values()) else None


def tier_stats(label: str, rows: Rows) -> dict[str, Any]:
    picks = sum(int(row["picks"]) for row in rows)
    wins = sum(int(row["wins"]) for row in rows)
    losses = picks - wins
    return {
        "label": label,
        "picks": picks,
        "hit_rate": r1(100 * wins / picks) if picks else None,
        "avg_edge": r1(sum(row["edge_sum"] for row in rows) / picks) if picks else None,
        "mae": r1(sum(row["error_sum"] for row in rows) / picks) if picks else None,
        "roi_pct": r1(100 * (WIN_PAYOUT * wins - losses) / picks) if picks else None,
    }


def tier_breakdown(ctx: ExportContext, tier_rows: Rows) -> dict[str, Any]:
    end = as_of(ctx)
    body: dict[str, Any] = {
        "window": "last_30_days",
        "start_date": (end - timedelta(days=TIER_DAYS - 1)).isoformat(),
        "end_date": end.isoformat(),
    }
    for key, label in TIERS:
        body[key] = tier_stats(label, [row for row in tier_rows if row["tier"] == key])
    body[ALL_TIERS[0]] = tier_stats(ALL_TIERS[1], tier_rows)
    return body


def windows(ctx: ExportContext, daily_rows: Rows) -> dict[str, dict[str, Any]]:
    end = as_of(ctx)
    return {
        "last_7_days": window_stats([row for row in daily_rows if row["game_date"] > end - timedelta(days=7)]),
        "last_30_days": window_stats([row for row in daily_rows if row["game_date"] > end - timedelta(days=30)]),
        "season": window_stats(daily_rows),
    }


def system_order_key(system_id: str) -> tuple[int, str]:
    return (system_metadata(system_id).rank, system_id)


def system_entry(ctx: ExportContext, system_id: str, daily_rows: Rows, tier_rows: Rows, info_row: Mapping | None) -> dict:
    metadata = system_metadata(system_id)
    return {
        "system_id": system_id,
        "model_id": codename(system_id),
        "display_name": metadata.display_name,
        "description": metadata.description,
        "is_primary": system_id == ctx.champion_system_id,
        "windows": windows(ctx, daily_rows),
        "breakdown": season_breakdown(daily_rows),
        "model_info": model_info(info_row),
        "tier_breakdown": tier_breakdown(ctx, tier_rows),
    }


def best(systems: list[dict[str, Any]], field: str, key) -> dict[str, Any] | None:
    """The first system (lowest rank) with the best published non-null season value by `key`; the value keeps its sign."""
    candidates = [entry for entry in systems if entry["windows"]["season"][field] is not None]
    if not candidates:
        return None
    winner = min(candidates, key=lambda entry: key(entry["windows"]["season"][field]))
    return {"system_id": winner["system_id"], "value": winner["windows"]["season"][field]}


def comparison(systems: list[dict[str, Any]]) -> dict[str, Any]:
    if not systems:
        return {}
    choices = {
        "best_mae": best(systems, "mae", lambda value: value),
        "best_win_rate": best(systems, "win_rate", lambda value: -value),
        "lowest_bias": best(systems, "bias", abs),
    }
    return {name: choice for name, choice in choices.items() if choice is not None}


def shape(ctx: ExportContext, rows: Mapping[str, Rows]) -> dict[str, Any]:
    daily_by_system: dict[str, Rows] = {}
    for row in rows[DAILY.name]:
        daily_by_system.setdefault(row["system_id"], []).append(row)
    info_by_system = {row["system_id"]: row for row in rows[MODEL_INFO.name]}
    systems = [
        system_entry(
            ctx, system_id, daily_by_system[system_id],
            [row for row in rows[TIERS_QUERY.name] if row["system_id"] == system_id], info_by_system.get(system_id),
        )
        for system_id in sorted(daily_by_system, key=system_order_key)
    ]
    return {
        "as_of_date": as_of(ctx).isoformat(),
        "generated_at": ctx.generated_at,
        "systems": systems,
        "comparison": comparison(systems),
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document]:
    return PERFORMANCE.documents(ctx, shape(ctx, rows))


SPEC = ExportSpec(
    name="performance",
    cost="fast",
    priority=21,
    queries=(DAILY, TIERS_QUERY, MODEL_INFO),
    build=build,
    documents=(PERFORMANCE,),
    probe=Probe("systems/performance.json", sla_hours=30),
    order=2,
    groups=("results-set",),
    guard=ContentGuard(lambda body: len(body.get("systems") or [])),
    summary="Every prediction system's rolling accuracy windows, model identity and edge-tier record.",
    legacy=(
        "The champion is labelled by its own name; the legacy file still called it \"CatBoost V8\".",
        "`season` covers the current stats season only; it covered all history.",
        "The system id `moving_average` gets its display name and description.",
        "Systems are listed in a fixed order.",
        "`model_id`, `model_info` and `tier_breakdown` are new.",
        "Backfills never rewrite this file.",
    ),
)
