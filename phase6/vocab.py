"""The public vocabularies of docs/api.md, "Vocabularies": codenames, subsets, signal words, fatigue levels.

This is publisher configuration: exporters map internal ids to public names only through this module.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    codename: str
    display_name: str
    model_type: str  # "primary" | "specialist" | "unknown"
    description: str


MODELS: dict[str, ModelInfo] = {
    "catboost_v9": ModelInfo("phoenix", "Phoenix", "primary", "Our primary prediction engine"),
    "catboost_v9_q43_train1102_0131": ModelInfo("aurora", "Aurora", "specialist", "Specialist engine with a different approach"),
    "catboost_v9_q45_train1102_0131": ModelInfo("summit", "Summit", "specialist", "Conservative specialist engine"),
    "catboost_v9_202602": ModelInfo("phoenix-b", "phoenix-b", "unknown", ""),
    "catboost_v8": ModelInfo("atlas", "atlas", "unknown", ""),
    "ensemble_v1": ModelInfo("echo", "echo", "unknown", ""),
    "similarity_v1": ModelInfo("drift", "drift", "unknown", ""),
    "xgboost_v2": ModelInfo("flint", "flint", "unknown", ""),
}


def model_info(system_id: str | None) -> ModelInfo | None:
    """The public identity of a system, or None when it has no codename (it must then stay out of public files)."""
    return MODELS.get(system_id or "")


def codename(system_id: str | None) -> str | None:
    info = model_info(system_id)
    return info.codename if info else None


def model_order_key(system_id: str, champion_system_id: str) -> tuple[int, str]:
    """Champion first, then by codename (docs/api.md, "Vocabularies": the champion's model_id sorts first everywhere)."""
    return (0 if system_id == champion_system_id else 1, codename(system_id) or system_id)


@dataclass(frozen=True)
class SubsetInfo:
    public_id: str
    name: str
    description: str


SUBSETS: dict[str, SubsetInfo] = {
    "top_pick": SubsetInfo("1", "Top Pick", "Single best OVER pick of the day"),
    "top_3": SubsetInfo("2", "Top 3", "Top 3 OVER picks of the day"),
    "top_5": SubsetInfo("3", "Top 5", "Top 5 picks of the day"),
    "high_edge_over": SubsetInfo("4", "High Edge OVER", "All strong OVER picks"),
    "high_edge_all": SubsetInfo("5", "High Edge All", "All strong picks, OVER and UNDER"),
    "ultra_high_edge": SubsetInfo("6", "Ultra High Edge", "Only the very strongest picks"),
    "green_light": SubsetInfo("7", "Green Light", "Strong picks on favorable or neutral days"),
    "all_picks": SubsetInfo("8", "All Picks", "All qualifying picks"),
    "q43_under_top3": SubsetInfo("9", "UNDER Top 3", "Top 3 UNDER picks"),
    "q43_under_all": SubsetInfo("10", "UNDER All", "All UNDER picks"),
    "q43_all_picks": SubsetInfo("11", "Q43 All Picks", "All picks"),
    "q45_under_top3": SubsetInfo("12", "Q45 UNDER Top 3", "Top 3 UNDER picks"),
    "q45_all_picks": SubsetInfo("13", "Q45 All Picks", "All picks"),
}


def subset_info(subset_id: str | None) -> SubsetInfo | None:
    """The public identity of a subset, or None when it has no public mapping (it must then be left out)."""
    return SUBSETS.get(subset_id or "")


SIGNAL_WORDS = {"GREEN": "favorable", "YELLOW": "neutral", "RED": "challenging"}
SKEW_WORDS = {"BALANCED": "balanced", "OVER_HEAVY": "over_heavy", "UNDER_HEAVY": "under_heavy"}


def public_signal(daily_signal: str | None) -> str:
    return SIGNAL_WORDS.get(daily_signal or "", "neutral")


def public_skew(skew_category: str | None, has_row: bool = True) -> str:
    if not has_row:
        return "unknown"
    return SKEW_WORDS.get(skew_category or "", "balanced")


def fatigue_level(score: float | None, when_null: str | None = "normal") -> str | None:
    if score is None:
        return when_null
    if score >= 95:
        return "fresh"
    if score >= 75:
        return "normal"
    return "tired"


@dataclass(frozen=True)
class SystemMetadata:
    display_name: str
    description: str
    rank: int


SYSTEM_METADATA: dict[str, SystemMetadata] = {
    "catboost_v9": SystemMetadata("CatBoost V9", "CatBoost gradient boosting with 33 features and real Vegas lines", 1),
    "ensemble_v1": SystemMetadata("Ensemble", "Weighted combination of all prediction systems", 2),
    "xgboost_v1": SystemMetadata("XGBoost ML", "Gradient boosted trees trained on historical data", 3),
    "moving_average_baseline_v1": SystemMetadata("Moving Average", "Weighted moving averages of recent performance", 4),
    "moving_average": SystemMetadata("Moving Average", "Weighted moving averages of recent performance", 4),
    "similarity_balanced_v1": SystemMetadata("Similarity", "K-nearest neighbor matching to similar historical games", 5),
    "zone_matchup_v1": SystemMetadata("Zone Matchup", "Shot zone analysis against opponent defense", 6),
}


def system_metadata(system_id: str) -> SystemMetadata:
    return SYSTEM_METADATA.get(system_id, SystemMetadata(system_id, "", 99))


TEAM_TRICODES = (
    "ATL BOS BKN CHA CHI CLE DAL DEN DET GSW HOU IND LAC LAL MEM MIA MIL MIN NOP NYK OKC ORL PHI PHX POR SAC SAS TOR UTA WAS"
).split()
