"""The export catalogue: one module per export type, each defining `SPEC`; groups of types for messages."""
from __future__ import annotations

import importlib
from functools import lru_cache

from phase6.catalog import ExportSpec

# Module per export type, in api.md §3 order. The runner orders by each spec's priority.
EXPORT_MODULES: dict[str, str] = {
    "results": "results",
    "performance": "performance",
    "best-bets": "best_bets",
    "predictions": "predictions",
    "tonight": "tonight",
    "tonight-players": "tonight_players",
    "streaks": "streaks",
    "subset-picks": "subset_picks",
    "daily-signals": "daily_signals",
    "subset-performance": "subset_performance",
    "subset-definitions": "subset_definitions",
    "season-subsets": "season_subsets",
    "model-registry": "model_registry",
    "players": "players",
    "live-grading": "live_grading",
}

GROUPS: dict[str, tuple[str, ...]] = {
    "tonight-set": (
        "tonight", "tonight-players", "predictions", "best-bets", "streaks", "subset-picks", "season-subsets", "daily-signals",
    ),
    "results-set": (
        "results", "performance", "best-bets", "predictions", "subset-performance", "subset-definitions", "model-registry",
    ),
    "all": tuple(EXPORT_MODULES),
}


@lru_cache(maxsize=1)
def catalog() -> dict[str, ExportSpec]:
    """Every export type's spec, by name."""
    specs: dict[str, ExportSpec] = {}
    for export_type, module_name in EXPORT_MODULES.items():
        spec: ExportSpec = importlib.import_module(f"exporters.{module_name}").SPEC
        if spec.name != export_type:
            raise ValueError(f"exporters.{module_name}.SPEC is named {spec.name!r}, expected {export_type!r}")
        specs[export_type] = spec
    return specs


def expand(names: list[str] | tuple[str, ...]) -> list[str]:
    """Groups expanded, duplicates folded, order kept. Unknown names are left for the caller to reject."""
    expanded: list[str] = []
    for name in names:
        for export_type in GROUPS.get(name, (name,)):
            if export_type not in expanded:
                expanded.append(export_type)
    return expanded
