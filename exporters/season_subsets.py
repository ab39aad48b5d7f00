"""season-subsets → subsets/season.json (api.md §3.12): every published subset pick of the subset season before G,
graded, by public model, with the record of each model's broadest subset."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Notice, Query, Rows
from phase6.formats import integer, number
from phase6.seasons import subset_season_label, subset_season_start
from phase6.vocab import public_signal

from .common import ACTIVE_SUBSET_DEFINITIONS, PublicModelGroup, PublicSubset, left_out_notices, public_model_groups
from .subset_picks import LEGACY_SYSTEM_ID, SUBSET_RECORDS, record_params, shape_pick, subset_record


MAX_AGE = 3600


def season_params(ctx: ExportContext) -> dict[str, Any]:
    return {"season_start": subset_season_start(ctx.game_day), "game_day": ctx.game_day}


SEASON_PICKS = Query("season_picks", """
SELECT p.game_date, p.system_id, p.subset_id, p.rank_in_subset, p.player_lookup, p.player_name, p.team, p.opponent,
       p.predicted_points, p.current_points_line, p.recommendation, s.points AS actual_points, pp.created_at
FROM (
  SELECT game_date, system_id, subset_id, rank_in_subset, player_lookup, player_name, team, opponent,
         predicted_points, current_points_line, recommendation, prediction_id
  FROM nba_predictions.current_subset_picks
  WHERE game_date >= @season_start AND game_date < @game_day
  QUALIFY version_id = MAX(version_id) OVER (PARTITION BY game_date)
) AS p
LEFT JOIN (
  SELECT player_lookup, game_date, points
  FROM nba_analytics.player_game_summary
  WHERE game_date >= @season_start AND game_date < @game_day
) AS s ON s.game_date = p.game_date AND s.player_lookup = p.player_lookup
LEFT JOIN (
  SELECT prediction_id, game_date, created_at
  FROM nba_predictions.player_prop_predictions
  WHERE game_date >= @season_start AND game_date < @game_day
) AS pp ON pp.game_date = p.game_date AND pp.prediction_id = p.prediction_id
""", season_params)
"""The latest version's picks of every date in [subset-season start, G), with the actual points and the
prediction's created_at."""

SEASON_SIGNALS = Query("season_signals", """
SELECT game_date, daily_signal
FROM nba_predictions.daily_prediction_signals
WHERE game_date >= @season_start AND game_date < @game_day AND system_id = @champion_system_id
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date ORDER BY calculated_at DESC) = 1
""", lambda ctx: {**season_params(ctx), "champion_system_id": ctx.champion_system_id})

RECORDS_AS_OF_G = Query(
    SUBSET_RECORDS.name, SUBSET_RECORDS.sql, lambda ctx: record_params(replace(ctx, target_date=ctx.game_day))
)
"""The subset-picks record query, anchored on G whatever the target date (identical to subset-picks' for G)."""


def broadest_subset(group: PublicModelGroup) -> PublicSubset:
    """No direction filter, no top_n, the lowest min_edge; ties to the lowest numeric id."""
    def breadth(subset: PublicSubset) -> tuple:
        definition = subset.definition
        return (
            definition["direction"] not in (None, "ANY"),
            definition["top_n"] is not None,
            number(definition["min_edge"]) or 0.0,
            int(subset.info.public_id),
        )

    return min(group.subsets, key=breadth)


def pick_result(direction: str, actual: int | None, line: float | None) -> str | None:
    if actual is None or line is None:
        return None
    if actual == line:
        return "push"
    return "hit" if (actual > line) == (direction == "OVER") else "miss"


def season_pick(row: Mapping[str, Any], public_id: str) -> dict[str, Any]:
    actual = integer(row["actual_points"])
    return {
        **shape_pick(row),
        "actual": actual,
        "result": pick_result(row["recommendation"], actual, number(row["current_points_line"])),
        "subset": public_id,
    }


def dated_picks(group: PublicModelGroup, pick_rows: Rows, signals: Mapping[Any, str | None]) -> list[dict[str, Any]]:
    public_ids = {subset.definition["subset_id"]: subset.info.public_id for subset in group.subsets}
    by_date: dict[Any, list[tuple[tuple, dict[str, Any]]]] = {}
    for row in pick_rows:
        public_id = public_ids.get(row["subset_id"])
        if (row["system_id"] or LEGACY_SYSTEM_ID) != group.system_id or public_id is None:
            continue
        order = (int(public_id), row["rank_in_subset"] or 0, row["player_lookup"])
        by_date.setdefault(row["game_date"], []).append((order, season_pick(row, public_id)))
    return [
        {
            "date": game_date.isoformat(),
            "signal": public_signal(signals.get(game_date)),
            "picks": [pick for _, pick in sorted(picks, key=lambda item: item[0])],
        }
        for game_date, picks in sorted(by_date.items(), reverse=True)
    ]


def model_group(group: PublicModelGroup, pick_rows: Rows, signals: Mapping[Any, str | None],
                records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    broadest = broadest_subset(group).definition["subset_id"]
    return {
        "model_id": group.model.codename,
        "model_name": group.model.display_name,
        "model_type": group.model.model_type,
        "record": subset_record(records.get(broadest)),
        "dates": dated_picks(group, pick_rows, signals),
    }


def shape(ctx: ExportContext, groups: list[PublicModelGroup], rows: Mapping[str, Rows]) -> dict[str, Any]:
    signals = {row["game_date"]: row["daily_signal"] for row in rows[SEASON_SIGNALS.name]}
    records = {row["subset_id"]: row for row in rows[RECORDS_AS_OF_G.name]}
    return {
        "generated_at": ctx.generated_at,
        "version": 2,
        "season": subset_season_label(ctx.game_day),
        "model_groups": [model_group(group, rows[SEASON_PICKS.name], signals, records) for group in groups],
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document | Notice]:
    groups, left_out = public_model_groups(rows[ACTIVE_SUBSET_DEFINITIONS.name], ctx.champion_system_id)
    return [*left_out_notices(left_out), Document("subsets/season.json", shape(ctx, groups, rows), MAX_AGE, "global")]


SPEC = ExportSpec(
    name="season-subsets",
    cost="fast",
    priority=26,
    queries=(SEASON_PICKS, SEASON_SIGNALS, ACTIVE_SUBSET_DEFINITIONS, RECORDS_AS_OF_G),
    build=build,
    paths=("subsets/season.json",),
    guard=ContentGuard(lambda body: sum(len(day["picks"]) for group in body.get("model_groups") or [] for day in group["dates"])),
    description="The subset season's published picks by public model, graded, with each model's broadest record.",
)
