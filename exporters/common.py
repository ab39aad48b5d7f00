"""Queries and helpers shared by several exporters.

Reuse the Query objects themselves (not copies of their SQL): the per-run cache serves identical SQL + params once.
Date-bound queries read `ctx.target_date` only. Rows are plain dicts (NUMERIC columns already floats).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from phase6.catalog import ExportContext, Notice, Query, Rows
from phase6.formats import iso_date, number, r1, r2
from phase6.vocab import ModelInfo, SubsetInfo, codename, model_info, model_order_key, subset_info


def date_params(ctx: ExportContext) -> dict[str, Any]:
    return {"target_date": ctx.target_date}


def champion_date_params(ctx: ExportContext) -> dict[str, Any]:
    return {"target_date": ctx.target_date, "champion_system_id": ctx.champion_system_id}


ACTIVE_CHAMPION_PREDICTIONS = Query(
    "champion_predictions",
    """
SELECT prediction_id, system_id, player_lookup, game_id, game_date,
       predicted_points, confidence_score, recommendation, current_points_line, line_margin, line_source,
       has_prop_line, pace_adjustment, similar_games_count, model_version, model_file_name, model_training_start_date,
       model_training_end_date, model_expected_mae, model_expected_hit_rate, model_trained_at,
       build_commit_sha, deployment_revision, prediction_run_mode, predicted_at, created_at
FROM nba_predictions.player_prop_predictions
WHERE game_date = @target_date AND system_id = @champion_system_id AND is_active = TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup, game_id ORDER BY created_at DESC, prediction_id DESC) = 1
""",
    champion_date_params,
)
"""The champion's latest active prediction per (player_lookup, game_id) on the target date (warehouse.md §1.5),
with the prediction columns and the attribution columns of §2.1. Unordered; confidence_score is 0–100."""

REGISTRY_NAMES = Query(
    "registry_names",
    """
SELECT player_lookup, player_name
FROM nba_reference.nba_players_registry
WHERE player_lookup IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY season DESC, games_played DESC, team_abbr) = 1
""",
    lambda ctx: {},
)
"""One row per player: player_lookup, player_name (warehouse.md §2.17 deterministic dedupe). Not date-bound.
(BigQuery accepts QUALIFY only with a WHERE, GROUP BY or HAVING clause, hence the WHERE.)"""

TEAM_LOOKUP = Query(
    "team_lookup",
    """
WITH sources AS (
  SELECT player_lookup, game_id, team_abbr, opponent_team_abbr, home_game, 1 AS source_rank
  FROM nba_analytics.upcoming_player_game_context
  WHERE game_date = @target_date
  UNION ALL
  SELECT player_lookup, game_id, team_abbr, opponent_team_abbr, CAST(NULL AS BOOL) AS home_game, 2 AS source_rank
  FROM nba_analytics.player_game_summary
  WHERE game_date = @target_date
)
SELECT player_lookup, game_id, team_abbr, opponent_team_abbr, home_game
FROM sources
WHERE team_abbr IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY source_rank, game_id) = 1
""",
    date_params,
)
"""One row per player playing on the target date: player_lookup, game_id, team_abbr, opponent_team_abbr, home_game.
Taken from upcoming_player_game_context, else player_game_summary (home_game is then null)."""


def played(alias: str) -> str:
    """SQL condition: the player_game_summary row `alias` is a game the player played. A DNP is not a game: a row
    flagged is_dnp, or with 0 points and 0 or null minutes (not every DNP is flagged), is left out of every per-player
    game statistic and list. A row without points is not a DNP."""
    return (f"({alias}.is_dnp IS NOT TRUE"
            f" AND ({alias}.points IS NULL OR {alias}.points <> 0 OR {alias}.minutes_played > 0))")


def over_under_label(row: Mapping[str, Any]) -> str | None:
    """A game's O/U label, the same in every file: its over_under_result ("OVER" when points ≥ line, so a push is an
    OVER), or None when the game had no line."""
    result = row.get("over_under_result")
    return result if result in ("OVER", "UNDER") else None


CHAMPION_GRADES = Query(
    "champion_grades",
    """
SELECT player_lookup, game_id, team_abbr, opponent_team_abbr, line_value, actual_points, absolute_error,
       prediction_correct
FROM nba_predictions.prediction_accuracy
WHERE game_date = @target_date AND system_id = @champion_system_id
""",
    champion_date_params,
)
"""The champion's graded rows for the target date (none before grading); one per (player, game, line_value)."""

CHAMPION_SIGNAL = Query(
    "champion_signal",
    """
SELECT daily_signal, skew_category, high_edge_picks, pct_over
FROM nba_predictions.daily_prediction_signals
WHERE game_date = @target_date AND system_id = @champion_system_id
ORDER BY calculated_at DESC
LIMIT 1
""",
    champion_date_params,
)
"""The champion's daily signal row for the target date (0 or 1 row): daily_signal, skew_category, high_edge_picks,
pct_over (0–100)."""

ACTIVE_SUBSET_DEFINITIONS = Query(
    "subset_definitions",
    """
SELECT subset_id, subset_name, subset_description, system_id, use_ranking, top_n, min_edge, min_confidence,
       signal_condition, direction, pct_over_min, pct_over_max
FROM nba_predictions.dynamic_subset_definitions
WHERE is_active = TRUE
ORDER BY subset_id
""",
    lambda ctx: {},
)
"""Every active subset definition (internal ids; map them with public_model_groups before publishing)."""


@dataclass(frozen=True)
class PublicSubset:
    info: SubsetInfo
    definition: dict[str, Any]


@dataclass(frozen=True)
class PublicModelGroup:
    system_id: str
    model: ModelInfo
    subsets: tuple[PublicSubset, ...]  # ordered by numeric public id


def public_model_groups(definitions: Rows, champion_system_id: str) -> tuple[list[PublicModelGroup], list[str]]:
    """Active definitions grouped by codenamed model (champion first, then codename; subsets by numeric id),
    and a note per definition left out because its subset or its model has no public mapping (api.md §1.7)."""
    by_system: dict[str, list[PublicSubset]] = {}
    left_out: list[str] = []
    for definition in definitions:
        info = subset_info(definition["subset_id"])
        system_id = definition.get("system_id") or ""
        if info is None:
            left_out.append(f"subset {definition['subset_id']!r} has no public mapping")
        elif model_info(system_id) is None:
            left_out.append(f"subset {definition['subset_id']!r}: model {system_id!r} has no codename")
        else:
            by_system.setdefault(system_id, []).append(PublicSubset(info, definition))
    groups = [
        PublicModelGroup(system_id, model_info(system_id), tuple(sorted(subsets, key=lambda s: int(s.info.public_id))))
        for system_id, subsets in by_system.items()
    ]
    groups.sort(key=lambda group: model_order_key(group.system_id, champion_system_id))
    return groups, left_out


def left_out_notices(left_out: list[str]) -> list[Notice]:
    """public_model_groups' notes, as warnings the runner reports with the export."""
    return [Notice(f"left out {note}") for note in left_out]


def by_player(rows: Rows) -> dict[str, dict[str, Any]]:
    """Rows keyed by player_lookup (for REGISTRY_NAMES and TEAM_LOOKUP, which have one row per player)."""
    return {row["player_lookup"]: row for row in rows}


def player_names(rows: Rows) -> dict[str, str]:
    """player_lookup → registry display name, from REGISTRY_NAMES rows."""
    return {row["player_lookup"]: row["player_name"] for row in rows if row.get("player_name")}


def without_float_noise(value: float) -> float:
    """The warehouse computes in exact NUMERIC; binary floats turn 29.9 - 24.9 into 4.999…, which would fail an
    `edge >= 5` threshold or break a composite tie. Six decimals are far below any published precision."""
    return round(value, 6)


def points_edge(predicted: Any, line: Any) -> float:
    """|predicted − line| (warehouse.md §1.1), both non-null."""
    return without_float_noise(abs(number(predicted) - number(line)))


def expected_hit_rate_pct(value: Any) -> float | None:
    """model_expected_hit_rate on the 0–100 scale: stored values ≤ 1 are fractions and are multiplied by 100."""
    rate = number(value)
    if rate is None:
        return None
    return rate * 100 if rate <= 1 else rate


def model_attribution(row: Mapping[str, Any]) -> dict[str, Any]:
    """The api.md §4 MA object from a player_prop_predictions row (e.g. ACTIVE_CHAMPION_PREDICTIONS); every key present."""
    return {
        "model_id": codename(row.get("system_id")),
        "model_file_name": row.get("model_file_name"),
        "model_version": row.get("model_version"),
        "model_trained_at": row.get("model_trained_at"),
        "training_start_date": iso_date(row.get("model_training_start_date")),
        "training_end_date": iso_date(row.get("model_training_end_date")),
        "model_expected_mae": r2(row.get("model_expected_mae")),
        "model_expected_hit_rate": r1(expected_hit_rate_pct(row.get("model_expected_hit_rate"))),
        "build_commit_sha": row.get("build_commit_sha"),
        "deployment_revision": row.get("deployment_revision"),
        "predicted_at": row.get("created_at"),
        "prediction_run_mode": row.get("prediction_run_mode"),
    }
