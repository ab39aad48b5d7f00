"""subset-picks: materialise the day's subset picks into nba_predictions.current_subset_picks,
then publish picks/{date}.json from the latest version, or from the same selection computed on the fly when the date has no version yet."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from phase6.catalog import (ContentGuard, Document, ExportContext, ExportSpec, InsertRows, Materialization, Notice, Probe,
                            Published, Query, Rows)
from phase6.formats import number, r1
from phase6.seasons import month_start, subset_season_start, week_start
from phase6.vocab import public_signal

from .common import (
    ACTIVE_SUBSET_DEFINITIONS,
    CHAMPION_SIGNAL,
    REGISTRY_NAMES,
    TEAM_LOOKUP,
    PublicModelGroup,
    PublicSubset,
    by_player,
    date_params,
    left_out_notices,
    player_names,
    points_edge,
    public_model_groups,
    without_float_noise,
)

PICKS_TABLE = "nba_predictions.current_subset_picks"
LEGACY_SYSTEM_ID = "catboost_v9"  # current_subset_picks rows with a NULL system_id predate the column
MIN_FEATURE_QUALITY = 85.0
VERSION_FORMAT = "v_%Y%m%d_%H%M%S"
PICKS = Published("picks/{date}.json", "picks", max_age=300, short_max_age=300)

SUBSET_PREDICTIONS = Query(
    "subset_predictions",
    """
SELECT prediction_id, system_id, player_lookup, game_id, predicted_points, current_points_line, recommendation,
       confidence_score, model_version, default_feature_count, line_source, prediction_run_mode, quality_alert_level,
       prediction_made_before_game, created_at
FROM nba_predictions.player_prop_predictions
WHERE game_date = @target_date AND is_active = TRUE AND current_points_line IS NOT NULL
  AND system_id IN (SELECT system_id FROM nba_predictions.dynamic_subset_definitions WHERE is_active = TRUE)
""",
    date_params,
)
"""Every active lined prediction of the date for the systems of the active definitions (all recommendations, since
the modal model_version is taken over all of them)."""

FEATURE_QUALITY = Query(
    "feature_quality",
    """
SELECT player_lookup, MAX(feature_quality_score) AS feature_quality_score
FROM nba_predictions.ml_feature_store_v2
WHERE game_date = @target_date
GROUP BY player_lookup
""",
    date_params,
)

VERSION_STATE = Query(
    "version_state",
    """
SELECT MAX(version_id) AS max_version_id, COUNT(*) AS row_count
FROM nba_predictions.current_subset_picks
WHERE game_date = @target_date
""",
    date_params,
)

PUBLISHED_PICKS = Query(
    "published_picks",
    """
SELECT picks.system_id, picks.subset_id, picks.player_lookup, picks.player_name, picks.team, picks.opponent,
       picks.predicted_points, picks.current_points_line, picks.recommendation, picks.rank_in_subset,
       picks.version_id, predictions.created_at
FROM (
  SELECT system_id, subset_id, player_lookup, player_name, team, opponent, predicted_points, current_points_line,
         recommendation, rank_in_subset, version_id, prediction_id
  FROM nba_predictions.current_subset_picks
  WHERE game_date = @target_date
  QUALIFY version_id = MAX(version_id) OVER (PARTITION BY game_date)
) AS picks
LEFT JOIN (
  SELECT prediction_id, created_at
  FROM nba_predictions.player_prop_predictions
  WHERE game_date = @target_date
) AS predictions
ON predictions.prediction_id = picks.prediction_id
""",
    date_params,
)
"""The rows of the date's greatest version_id (all systems at once), with the prediction's created_at."""


def record_params(ctx: ExportContext) -> dict[str, Any]:
    season, week = subset_season_start(ctx.target_date), week_start(ctx.target_date)
    return {
        "target_date": ctx.target_date,
        "window_start": min(season, week),
        "season_start": season,
        "month_start": month_start(ctx.target_date),
        "week_start": week,
    }


SUBSET_RECORDS = Query(
    "subset_records",
    """
SELECT subset_id,
       SUM(IF(game_date >= @season_start, wins, 0)) AS season_wins,
       SUM(IF(game_date >= @season_start, graded_picks, 0)) AS season_graded,
       SUM(IF(game_date >= @month_start, wins, 0)) AS month_wins,
       SUM(IF(game_date >= @month_start, graded_picks, 0)) AS month_graded,
       SUM(IF(game_date >= @week_start, wins, 0)) AS week_wins,
       SUM(IF(game_date >= @week_start, graded_picks, 0)) AS week_graded
FROM nba_predictions.v_dynamic_subset_performance
WHERE game_date >= @window_start AND game_date < @target_date
GROUP BY subset_id
""",
    record_params,
)
"""Per subset with view rows before the date: wins and graded picks since the subset-season start, the 1st of the
month and the Monday of the week."""

SELECTION_QUERIES = (ACTIVE_SUBSET_DEFINITIONS, CHAMPION_SIGNAL, SUBSET_PREDICTIONS, TEAM_LOOKUP, FEATURE_QUALITY, REGISTRY_NAMES)


# ---- Candidates and selection, shared by the materialisation and the on-the-fly fallback ----

def modal_versions(prediction_rows: Rows) -> dict[str, str | None]:
    """system_id → the day's most frequent model_version among its active lined rows (ties: the greatest string)."""
    counts: dict[str, dict[str | None, int]] = {}
    for row in prediction_rows:
        versions = counts.setdefault(row["system_id"], {})
        versions[row["model_version"]] = versions.get(row["model_version"], 0) + 1
    return {
        system_id: max(versions, key=lambda version: (versions[version], version or ""))
        for system_id, versions in counts.items()
    }


def latest_per_prediction_key(prediction_rows: Rows) -> Rows:
    """The latest row per (system_id, player_lookup, game_id): created_at, then prediction_id."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in prediction_rows:
        key = (row["system_id"], row["player_lookup"], row["game_id"])
        kept = latest.get(key)
        if kept is None or (row["created_at"], row["prediction_id"]) > (kept["created_at"], kept["prediction_id"]):
            latest[key] = row
    return list(latest.values())


def candidate_order(candidate: Mapping[str, Any]) -> tuple:
    return (-candidate["composite_score"], -candidate["edge"], candidate["player_lookup"], candidate["game_id"])


def subset_candidates(prediction_rows: Rows, team_rows: Rows, feature_rows: Rows) -> dict[str, Rows]:
    """system_id → ordered candidates: OVER/UNDER, team known (one row per player), feature quality ≥ 85, modal
    model_version; each with edge, composite_score (0–100 confidence), team, opponent and feature_quality_score."""
    modal = modal_versions(prediction_rows)
    teams, features = by_player(team_rows), by_player(feature_rows)
    candidates: dict[str, Rows] = {}
    for row in latest_per_prediction_key(prediction_rows):
        team = teams.get(row["player_lookup"])
        quality = number((features.get(row["player_lookup"]) or {}).get("feature_quality_score")) or 0.0
        if (
            row["recommendation"] not in ("OVER", "UNDER")
            or team is None
            or quality < MIN_FEATURE_QUALITY
            or row["model_version"] != modal[row["system_id"]]
        ):
            continue
        edge = points_edge(row["predicted_points"], row["current_points_line"])
        confidence = number(row["confidence_score"])
        candidates.setdefault(row["system_id"], []).append({
            **row,
            "team": team["team_abbr"],
            "opponent": team["opponent_team_abbr"],
            "feature_quality_score": quality,
            "edge": edge,
            "composite_score": without_float_noise(edge * 10 + confidence * 0.5),
        })
    return {system_id: sorted(rows, key=candidate_order) for system_id, rows in candidates.items()}


def signal_matches(condition: str | None, signal: Mapping[str, Any] | None) -> bool:
    """Checked only when the condition is set and not ANY and a champion signal row exists."""
    if not condition or condition == "ANY" or signal is None:
        return True
    if condition == "GREEN_OR_YELLOW":
        return signal["daily_signal"] in ("GREEN", "YELLOW")
    return signal["daily_signal"] == condition


def pct_over_in_bounds(definition: Mapping[str, Any], signal: Mapping[str, Any] | None) -> bool:
    pct_over = number(signal["pct_over"]) if signal else None
    if pct_over is None:
        return True
    low, high = number(definition["pct_over_min"]), number(definition["pct_over_max"])
    return (low is None or pct_over >= low) and (high is None or pct_over <= high)


def select_subset(definition: Mapping[str, Any], candidates: Rows, signal: Mapping[str, Any] | None) -> Rows:
    """The definition's picks from its system's ordered candidates, in rank order (rank_in_subset = position + 1)."""
    if not signal_matches(definition["signal_condition"], signal) or not pct_over_in_bounds(definition, signal):
        return []
    min_edge, min_confidence = number(definition["min_edge"]), number(definition["min_confidence"])
    direction = definition["direction"]
    kept = [
        candidate for candidate in candidates
        if not (min_edge and candidate["edge"] < min_edge)
        and not (min_confidence is not None and number(candidate["confidence_score"]) < min_confidence)
        and not (direction and direction != "ANY" and candidate["recommendation"] != direction)
    ]
    top_n = definition["top_n"]
    return kept if top_n is None else kept[: int(top_n)]


def selections(groups: list[PublicModelGroup], candidates: Mapping[str, Rows],
               signal: Mapping[str, Any] | None) -> list[tuple[PublicSubset, Rows]]:
    return [
        (subset, select_subset(subset.definition, candidates.get(group.system_id, []), signal))
        for group in groups
        for subset in group.subsets
    ]


# ---- Materialisation ----

def next_version(generated_at: datetime, current_max: str | None) -> tuple[str, datetime]:
    """(version_id, computed_at): the run's UTC second, or one second after the date's greatest version if that is
    not earlier, so that two materialisations never share a version_id."""
    instant = generated_at.astimezone(timezone.utc).replace(microsecond=0)
    if current_max:
        latest = datetime.strptime(current_max, VERSION_FORMAT).replace(tzinfo=timezone.utc)
        if instant <= latest:
            instant = latest + timedelta(seconds=1)
            return instant.strftime(VERSION_FORMAT), instant
    return instant.strftime(VERSION_FORMAT), generated_at


def pick_row(ctx: ExportContext, subset: PublicSubset, candidate: Mapping[str, Any], rank: int,
             signal: Mapping[str, Any] | None, available: int, names: Mapping[str, str]) -> dict[str, Any]:
    definition = subset.definition
    return {
        "trigger_source": "export",
        "player_name": names.get(candidate["player_lookup"], candidate["player_lookup"]),
        "team": candidate["team"],
        "opponent": candidate["opponent"],
        "predicted_points": number(candidate["predicted_points"]),
        "current_points_line": number(candidate["current_points_line"]),
        "recommendation": candidate["recommendation"],
        "confidence_score": number(candidate["confidence_score"]),
        "edge": candidate["edge"],
        "composite_score": candidate["composite_score"],
        "feature_quality_score": candidate["feature_quality_score"],
        "default_feature_count": candidate["default_feature_count"],
        "line_source": candidate["line_source"],
        "prediction_run_mode": candidate["prediction_run_mode"],
        "prediction_made_before_game": candidate["prediction_made_before_game"],
        "quality_alert_level": candidate["quality_alert_level"],
        "subset_name": subset.info.name,
        "min_edge": number(definition["min_edge"]),
        "min_confidence": number(definition["min_confidence"]),
        "top_n": definition["top_n"],
        "daily_signal": signal["daily_signal"] if signal else None,
        "pct_over": number(signal["pct_over"]) if signal else None,
        "total_predictions_available": available,
        "game_date": ctx.target_date,
        "subset_id": definition["subset_id"],
        "player_lookup": candidate["player_lookup"],
        "system_id": candidate["system_id"],
        "prediction_id": candidate["prediction_id"],
        "game_id": candidate["game_id"],
        "rank_in_subset": rank,
    }


def selection_inputs(ctx: ExportContext, rows: Mapping[str, Rows]):
    """(public model groups, left-out notes, candidates by system, champion signal row or None)."""
    groups, left_out = public_model_groups(rows[ACTIVE_SUBSET_DEFINITIONS.name], ctx.champion_system_id)
    candidates = subset_candidates(rows[SUBSET_PREDICTIONS.name], rows[TEAM_LOOKUP.name], rows[FEATURE_QUALITY.name])
    signal_rows = rows[CHAMPION_SIGNAL.name]
    return groups, left_out, candidates, (signal_rows[0] if signal_rows else None)


def materialization_rows(ctx: ExportContext, rows: Mapping[str, Rows]) -> tuple[Rows, list[str]]:
    """The new version's rows without version_id/computed_at, and the notes to report (left-out subsets)."""
    groups, left_out, candidates, signal = selection_inputs(ctx, rows)
    names = player_names(rows[REGISTRY_NAMES.name])
    picks = []
    for subset, chosen in selections(groups, candidates, signal):
        available = len(candidates.get(subset.definition["system_id"], []))
        picks += [pick_row(ctx, subset, candidate, rank, signal, available, names) for rank, candidate in enumerate(chosen, 1)]
    return picks, [f"left out {note}" for note in left_out]


def compute(ctx: ExportContext, rows: Mapping[str, Rows]) -> InsertRows:
    state = rows[VERSION_STATE.name][0] if rows[VERSION_STATE.name] else {}
    picks, notes = materialization_rows(ctx, rows)
    if not picks and state.get("row_count"):
        notes.append(f"kept version {state['max_version_id']}: the new selection for {ctx.target_date} is empty")
    version_id, computed_at = next_version(ctx.generated_at, state.get("max_version_id"))
    stamped = [{"version_id": version_id, "computed_at": computed_at, **pick} for pick in picks]
    return InsertRows(stamped, "; ".join(notes) or None)


def applies(ctx: ExportContext, rows: Mapping[str, Rows]) -> bool:
    """Live runs materialise for G only; a replay only for a date that has no version yet."""
    if ctx.is_live:
        return ctx.target_date == ctx.game_day
    state = rows[VERSION_STATE.name]
    return not (state and state[0]["max_version_id"])


# ---- picks/{date}.json ----

def window_record(wins: Any, graded: Any) -> dict[str, Any]:
    wins, graded = int(wins or 0), int(graded or 0)
    return {"wins": wins, "losses": graded - wins, "pct": r1(100 * wins / graded) if graded else 0.0}


def subset_record(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {window: window_record(row[f"{window}_wins"], row[f"{window}_graded"]) for window in ("season", "month", "week")}


def shape_pick(pick: Mapping[str, Any]) -> dict[str, Any]:
    shaped = {
        "player": pick["player_name"] or pick["player_lookup"],
        "team": pick["team"],
        "opponent": pick["opponent"],
        "prediction": r1(pick["predicted_points"]),
        "line": r1(pick["current_points_line"]),
        "direction": pick["recommendation"],
    }
    if pick.get("created_at") is not None:
        shaped["created_at"] = pick["created_at"]
    return shaped


def published_picks_by_subset(published_rows: Rows) -> dict[tuple[str, str], Rows]:
    """(system_id, subset_id) → the version's picks ordered by rank_in_subset."""
    picks: dict[tuple[str, str], Rows] = {}
    for row in sorted(published_rows, key=lambda row: (row["rank_in_subset"] or 0, row["player_lookup"])):
        picks.setdefault((row["system_id"] or LEGACY_SYSTEM_ID, row["subset_id"]), []).append(row)
    return picks


def computed_picks_by_subset(chosen: list[tuple[PublicSubset, Rows]], names: Mapping[str, str]) -> dict[tuple[str, str], Rows]:
    """The on-the-fly selection in the published-row form."""
    return {
        (subset.definition["system_id"], subset.definition["subset_id"]): [
            {**candidate, "player_name": names.get(candidate["player_lookup"])} for candidate in picks
        ]
        for subset, picks in chosen
    }


def shape(ctx: ExportContext, groups: list[PublicModelGroup], picks: Mapping[tuple[str, str], Rows],
          records: Mapping[str, Mapping[str, Any]], signal: Mapping[str, Any] | None) -> dict:
    signal_word = public_signal(signal["daily_signal"] if signal else None)
    return {
        "date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "version": 2,
        "model_groups": [
            {
                "model_id": group.model.codename,
                "model_name": group.model.display_name,
                "model_type": group.model.model_type,
                "description": group.model.description,
                "signal": signal_word,
                "subsets": [
                    {
                        "id": subset.info.public_id,
                        "name": subset.info.name,
                        "record": subset_record(records.get(subset.definition["subset_id"])),
                        "picks": [shape_pick(pick) for pick in picks.get((group.system_id, subset.definition["subset_id"]), [])],
                    }
                    for subset in group.subsets
                ],
            }
            for group in groups
        ],
    }


def unpublished_keys(picks: Mapping[tuple[str, str], Rows], groups: list[PublicModelGroup]) -> list[tuple[str, str]]:
    public = {(group.system_id, subset.definition["subset_id"]) for group in groups for subset in group.subsets}
    return sorted(key for key in picks if key not in public)


def picks_published(body: Mapping[str, Any]) -> int:
    """Every pick in every subset of every model group of a picks file (what the guard compares)."""
    groups = body.get("model_groups") or []
    return sum(len(subset.get("picks") or []) for group in groups for subset in group.get("subsets") or [])


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document | Notice]:
    groups, left_out, candidates, signal = selection_inputs(ctx, rows)
    if rows[PUBLISHED_PICKS.name]:
        picks = published_picks_by_subset(rows[PUBLISHED_PICKS.name])
    else:
        picks = computed_picks_by_subset(selections(groups, candidates, signal), player_names(rows[REGISTRY_NAMES.name]))
    unpublished = [Notice(f"left out picks of subset {subset_id!r} (model {system_id!r})")
                   for system_id, subset_id in unpublished_keys(picks, groups)]
    records = {row["subset_id"]: row for row in rows[SUBSET_RECORDS.name]}
    body = shape(ctx, groups, picks, records, signal)
    return [*left_out_notices(left_out), *unpublished, *PICKS.documents(ctx, body)]


SPEC = ExportSpec(
    name="subset-picks",
    cost="fast",
    priority=10,
    critical=True,
    queries=(*SELECTION_QUERIES, PUBLISHED_PICKS, SUBSET_RECORDS),
    build=build,
    documents=(PICKS,),
    probe=Probe("picks/{date}.json", sla_hours=26),
    order=8,
    groups=("tonight-set",),
    guard=ContentGuard(picks_published),
    materialization=Materialization(PICKS_TABLE, (*SELECTION_QUERIES, VERSION_STATE), compute, applies),
    summary="Materialises the day's subset picks (versioned), then publishes the latest version by public model.",
    legacy=(
        "A pick is no longer listed twice when both team sources know the player.",
        "Before tip-off, a day with no stored version yet still gets picks, computed on the spot by the same rules.",
        "Subsets with no pick are listed with `picks: []`.",
        "An empty recomputation never replaces a version that had picks, and replays never add versions to a past date that has one.",
    ),
)
