"""best-bets → best-bets/{date}.json + best-bets/latest.json: tiered picks from the champion's active
predictions, graded when the date has been graded (PENDING until then)."""
from __future__ import annotations

from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Notice, Probe, Published, Query, Rows
from phase6.formats import integer, number, r2, r3
from phase6.vocab import fatigue_level

from .common import (
    ACTIVE_CHAMPION_PREDICTIONS,
    CHAMPION_GRADES,
    REGISTRY_NAMES,
    TEAM_LOOKUP,
    by_player,
    champion_date_params,
    date_params,
    model_attribution,
    player_names,
    points_edge,
)


BEST_BETS = Published("best-bets/{date}.json", "best-bets", max_age=86400, short_max_age=300,
                      pointer="best-bets/latest.json", pointer_max_age=300, final_when="no pick is PENDING")
METHODOLOGY = (
    "Tiered selection: OVER and UNDER, edge/confidence thresholds, excludes stars and broken 88-90% tier"
)
REAL_LINE_SOURCES = {"ACTUAL_PROP", "ODDS_API", "BETTINGPROS"}
PLACEHOLDER_LINE = 20.0
MAX_PREDICTED = 25.0
BROKEN_CONFIDENCE = (0.88, 0.90)  # [low, high) on the 0–1 scale
DEFAULT_HISTORY_ACCURACY = 0.85
MIN_HISTORY_SAMPLE = 5
MAX_PICKS = 25
TIERS = (  # name, lowest edge, cap, rationale line; the tier of a pick is the first whose lowest edge it reaches
    ("premium", 5.0, 5, "Premium pick: edge of 5+ points"),
    ("strong", 3.0, 10, "Strong pick: edge of 3-5 points"),
    ("value", 0.0, 10, "Value pick: edge under 3 points"),
)

UNDER_HISTORY = Query(
    "under_history",
    """
SELECT player_lookup, COUNT(*) AS sample_size, COUNTIF(prediction_correct) AS correct
FROM nba_predictions.prediction_accuracy
WHERE game_date < @target_date AND system_id = @champion_system_id AND recommendation = 'UNDER'
GROUP BY player_lookup
""",
    champion_date_params,
    reads_all_history=True,
)

FATIGUE = Query(
    "fatigue",
    """
SELECT player_lookup, fatigue_score
FROM nba_precompute.player_composite_factors
WHERE game_date = @target_date
QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY game_id) = 1
""",
    date_params,
)


def is_candidate(row: Mapping[str, Any]) -> bool:
    line = number(row["current_points_line"])
    predicted = number(row["predicted_points"])
    confidence = (number(row["confidence_score"]) or 0.0) / 100
    return (
        row["recommendation"] in ("OVER", "UNDER")
        and line is not None
        and line != PLACEHOLDER_LINE
        and row["line_source"] in REAL_LINE_SOURCES
        and predicted is not None
        and predicted < MAX_PREDICTED
        and not BROKEN_CONFIDENCE[0] <= confidence < BROKEN_CONFIDENCE[1]
    )


def tier_of(edge: float) -> tuple[str, float, int, str]:
    return next(tier for tier in TIERS if edge >= tier[1])


def history_accuracy(history: Mapping[str, Any] | None) -> tuple[float | None, int | None]:
    """(share of the player's champion UNDER rows that were correct, their count), or (None, None) without rows."""
    if not history or not history["sample_size"]:
        return None, None
    return history["correct"] / history["sample_size"], int(history["sample_size"])


def composite_score(confidence: float, edge: float, accuracy: float | None, sample: int | None) -> float:
    hist = accuracy if sample is not None and sample >= MIN_HISTORY_SAMPLE and accuracy is not None else DEFAULT_HISTORY_ACCURACY
    return confidence * min(1.5, 1 + edge / 10) * hist


def rationale(tier_line: str, confidence: float, edge: float, predicted: float,
              accuracy: float | None, sample: int | None, fatigue: float | None) -> list[str]:
    reasons = []
    if confidence >= 0.90:
        reasons.append(f"High confidence ({confidence * 100:.0f}%)")
    elif confidence >= 0.80:
        reasons.append(f"Good confidence ({confidence * 100:.0f}%)")
    if edge >= 5:
        reasons.append(f"Strong edge ({edge:.1f} points)")
    elif edge >= 4:
        reasons.append(f"Solid edge ({edge:.1f} points)")
    elif edge >= 2:
        reasons.append(f"Moderate edge ({edge:.1f} points)")
    if predicted < 12:
        reasons.append("Bench player (model excels here: 89% hit rate)")
    elif predicted < 18:
        reasons.append("Rotation player (model performs well: 73%+ hit rate)")
    if sample is not None and sample >= MIN_HISTORY_SAMPLE and accuracy is not None:
        if accuracy >= 0.80:
            reasons.append(f"Strong track record ({accuracy * 100:.0f}% accuracy, {sample} games)")
        elif accuracy >= 0.70:
            reasons.append(f"Good track record ({accuracy * 100:.0f}% accuracy, {sample} games)")
    if fatigue is not None:
        if fatigue >= 95:
            reasons.append(f"Well-rested (fatigue: {fatigue:.0f})")
        elif fatigue < 75:
            reasons.append(f"Elevated fatigue (fatigue: {fatigue:.0f})")
    return [tier_line, *(reasons or ["Meets selection criteria"])]


def grade(graded: Mapping[str, Any] | None) -> dict[str, Any]:
    if graded is None:
        return {"result": "PENDING", "actual": None, "error": None}
    correct = graded["prediction_correct"]
    result = "PUSH" if correct is None else ("WIN" if correct else "LOSS")
    return {"result": result, "actual": integer(graded["actual_points"]), "error": r2(graded["absolute_error"])}


def grades_by_key(grade_rows: Rows) -> dict[tuple[str, str, float | None], dict[str, Any]]:
    return {(row["player_lookup"], row["game_id"], number(row["line_value"])): row for row in grade_rows}


def team_of(lookup: str, teams: Mapping[str, Mapping[str, Any]], graded: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(team, opponent) from the game context / summary, else the graded row."""
    source = teams.get(lookup) or graded or {}
    return source.get("team_abbr"), source.get("opponent_team_abbr")


def shape_pick(row: Mapping[str, Any], team: str, opponent: str, names: Mapping[str, str],
               history: Mapping[str, Any] | None, fatigue: float | None, graded: Mapping[str, Any] | None) -> dict:
    """One unranked pick (rank is set after tiering); keys in the published order."""
    line = number(row["current_points_line"])
    predicted = number(row["predicted_points"])
    confidence = number(row["confidence_score"]) / 100
    edge = points_edge(predicted, line)
    accuracy, sample = history_accuracy(history)
    tier, _, _, tier_line = tier_of(edge)
    return {
        "rank": 0,
        "tier": tier,
        "player_lookup": row["player_lookup"],
        "player_full_name": names.get(row["player_lookup"], row["player_lookup"]),
        "game_id": row["game_id"],
        "team": team,
        "opponent": opponent,
        "recommendation": row["recommendation"],
        "line": r2(line),
        "predicted": r2(predicted),
        "edge": r2(edge),
        "confidence": r2(confidence),
        "composite_score": composite_score(confidence, edge, accuracy, sample),
        "player_historical_accuracy": r2(accuracy),
        "player_sample_size": sample,
        "fatigue_score": r2(fatigue),
        "fatigue_level": fatigue_level(fatigue, when_null=None),
        "rationale": rationale(tier_line, confidence, edge, predicted, accuracy, sample, fatigue),
        **grade(graded),
        "model_attribution": model_attribution(row),
    }


def rank_picks(picks: list[dict]) -> list[dict]:
    """Tier order, composite desc then player_lookup within a tier, tier caps, at most 25; rank 1..n; composite rounded."""
    ranked: list[dict] = []
    for name, _, cap, _ in TIERS:
        in_tier = sorted((pick for pick in picks if pick["tier"] == name), key=lambda p: (-p["composite_score"], p["player_lookup"]))
        ranked.extend(in_tier[:cap])
    ranked = ranked[:MAX_PICKS]
    return [{**pick, "rank": rank, "composite_score": r3(pick["composite_score"])} for rank, pick in enumerate(ranked, 1)]


def select_picks(prediction_rows: Rows, team_rows: Rows, grade_rows: Rows, history_rows: Rows,
                 fatigue_rows: Rows, names: Mapping[str, str]) -> tuple[list[dict], list[str]]:
    """(ranked picks, lookups of candidates dropped because their team is unknown)."""
    teams, histories, fatigue = by_player(team_rows), by_player(history_rows), by_player(fatigue_rows)
    grades = grades_by_key(grade_rows)
    graded_by_player = by_player(grade_rows)
    picks, dropped = [], []
    for row in filter(is_candidate, prediction_rows):
        lookup = row["player_lookup"]
        graded = grades.get((lookup, row["game_id"], number(row["current_points_line"])))
        team, opponent = team_of(lookup, teams, graded or graded_by_player.get(lookup))
        if not team or not opponent:
            dropped.append(lookup)
            continue
        fatigue_score = number((fatigue.get(lookup) or {}).get("fatigue_score"))
        picks.append(shape_pick(row, team, opponent, names, histories.get(lookup), fatigue_score, graded))
    return rank_picks(picks), sorted(dropped)


def shape(ctx: ExportContext, picks: list[dict]) -> dict:
    tiers = [pick["tier"] for pick in picks]
    return {
        "game_date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "methodology": METHODOLOGY,
        "total_picks": len(picks),
        "tier_summary": {
            "premium": tiers.count("premium"),
            "strong": tiers.count("strong"),
            "value": tiers.count("value"),
            "standard": 0,
        },
        "picks": picks,
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document | Notice]:
    picks, dropped = select_picks(
        rows[ACTIVE_CHAMPION_PREDICTIONS.name],
        rows[TEAM_LOOKUP.name],
        rows[CHAMPION_GRADES.name],
        rows[UNDER_HISTORY.name],
        rows[FATIGUE.name],
        player_names(rows[REGISTRY_NAMES.name]),
    )
    notices = [Notice(f"dropped candidates with no known team: {', '.join(dropped)}")] if dropped else []
    body = shape(ctx, picks)
    final = all(pick["result"] != "PENDING" for pick in picks)
    return notices + BEST_BETS.documents(ctx, body, final=final)


SPEC = ExportSpec(
    name="best-bets",
    cost="fast",
    priority=13,
    critical=True,
    queries=(ACTIVE_CHAMPION_PREDICTIONS, TEAM_LOOKUP, CHAMPION_GRADES, UNDER_HISTORY, FATIGUE, REGISTRY_NAMES),
    build=build,
    documents=(BEST_BETS,),
    probe=Probe("best-bets/latest.json", sla_hours=26),
    order=3,
    groups=("tonight-set", "results-set"),
    guard=ContentGuard(lambda body: body.get("total_picks") or 0),
    summary="Tiered OVER/UNDER picks from the champion's active predictions; PENDING until graded.",
    legacy=(
        "Today's file has picks before any game is graded: they come from the active predictions and show `PENDING` until graded; the legacy file for today was empty.",
        "The methodology and tier lines describe the selection actually made (OVER and UNDER); they claimed \"UNDER only\" and old hit-rate targets.",
        "Ties are broken by `player_lookup`, so the order is the same on every run.",
        "`model_attribution` is new.",
    ),
)
