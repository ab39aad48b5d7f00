"""subset-performance → subsets/performance.json (api.md §3.10): every public subset's hit rate and ROI over
completed days, in six windows anchored on G and ending on G − 1, from one grouped query."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from phase6.catalog import ContentGuard, Document, ExportContext, ExportSpec, Notice, Query, Rows
from phase6.formats import r1
from phase6.seasons import subset_season_start

from .common import ACTIVE_SUBSET_DEFINITIONS, PublicModelGroup, left_out_notices, public_model_groups


MAX_AGE = 3600
WIN_PAYOUT = 0.909  # profit per unit staked on a win at −110
DAY_WINDOWS = (("last_1_day", 1), ("last_3_days", 3), ("last_7_days", 7), ("last_14_days", 14), ("last_30_days", 30))
WINDOW_NAMES = (*(name for name, _ in DAY_WINDOWS), "season")


def window_bounds(game_day: date) -> dict[str, tuple[date, date]]:
    """Window name → (start, end), both inclusive; every window ends on G − 1."""
    end = game_day - timedelta(days=1)
    bounds = {name: (game_day - timedelta(days=days), end) for name, days in DAY_WINDOWS}
    bounds["season"] = (subset_season_start(game_day), end)
    return bounds


def window_params(ctx: ExportContext) -> dict[str, Any]:
    bounds = window_bounds(ctx.game_day)
    params: dict[str, Any] = {f"{name}_start": start for name, (start, _) in bounds.items()}
    params["window_start"] = min(start for start, _ in bounds.values())
    params["end_date"] = ctx.game_day - timedelta(days=1)
    return params


def window_columns(name: str) -> str:
    start = f"@{name}_start"
    return (
        f"COUNTIF(game_date >= {start}) AS {name}_rows,\n"
        f"       SUM(IF(game_date >= {start}, graded_picks, 0)) AS {name}_graded,\n"
        f"       SUM(IF(game_date >= {start}, wins, 0)) AS {name}_wins"
    )


WINDOW_COLUMNS = ",\n       ".join(window_columns(name) for name in WINDOW_NAMES)
WINDOW_TOTALS = Query("window_totals", f"""
SELECT subset_id,
       {WINDOW_COLUMNS}
FROM nba_predictions.v_dynamic_subset_performance
WHERE game_date >= @window_start AND game_date <= @end_date
GROUP BY subset_id
""", window_params)
"""Per subset with view rows in any window: view rows, graded picks and wins in each window."""


def stats(wins: int, graded: int) -> dict[str, Any]:
    """hit rate and ROI at −110 (losses subtracted on every row) in percent; 0.0 when nothing was graded."""
    if not graded:
        return {"hit_rate": 0.0, "roi": 0.0, "picks": 0}
    return {
        "hit_rate": r1(100 * wins / graded),
        "roi": r1(100 * (WIN_PAYOUT * wins - (graded - wins)) / graded),
        "picks": graded,
    }


def window_groups(group: PublicModelGroup, name: str, totals: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups = []
    for subset in group.subsets:
        row = totals.get(subset.definition["subset_id"])
        if row is None or not row[f"{name}_rows"]:
            continue
        groups.append({
            "id": subset.info.public_id,
            "name": subset.info.name,
            "stats": stats(int(row[f"{name}_wins"] or 0), int(row[f"{name}_graded"] or 0)),
        })
    return groups


def model_group(ctx: ExportContext, group: PublicModelGroup, totals: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    windows = {
        name: {"start_date": start.isoformat(), "end_date": end.isoformat(), "groups": window_groups(group, name, totals)}
        for name, (start, end) in window_bounds(ctx.game_day).items()
    }
    return {"model_id": group.model.codename, "model_name": group.model.display_name, "windows": windows}


def shape(ctx: ExportContext, groups: list[PublicModelGroup], total_rows: Rows) -> dict[str, Any]:
    totals = {row["subset_id"]: row for row in total_rows}
    return {
        "generated_at": ctx.generated_at,
        "version": 2,
        "model_groups": [model_group(ctx, group, totals) for group in groups],
    }


def build(ctx: ExportContext, rows: Mapping[str, Rows]) -> list[Document | Notice]:
    groups, left_out = public_model_groups(rows[ACTIVE_SUBSET_DEFINITIONS.name], ctx.champion_system_id)
    body = shape(ctx, groups, rows[WINDOW_TOTALS.name])
    return [*left_out_notices(left_out), Document("subsets/performance.json", body, MAX_AGE, "global")]


def graded_picks(body: dict) -> int:
    """What the guard counts: graded picks over every window of every subset of every model."""
    return sum(subset["stats"]["picks"] or 0 for group in body.get("model_groups") or []
               for window in group["windows"].values() for subset in window["groups"])


SPEC = ExportSpec(
    name="subset-performance",
    cost="fast",
    priority=24,
    queries=(ACTIVE_SUBSET_DEFINITIONS, WINDOW_TOTALS),
    build=build,
    paths=("subsets/performance.json",),
    guard=ContentGuard(graded_picks),
    description="Hit rate and ROI of every public subset over six windows of completed days.",
)
