"""Where the deliberate edge cases of the demo season go (each one off when `edge_cases` is False)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EdgeCasePlan:
    two_active_days: tuple[date, ...] = ()
    no_champion_day: date | None = None
    old_model_days: tuple[date, ...] = ()
    placeholder_days: tuple[date, ...] = ()
    missing_defense_days: tuple[date, ...] = ()
    bogus_odds_days: tuple[date, ...] = ()
    no_lines_day: date | None = None
    holds: bool = False
    old_model_players: int = 5


def _first_on_or_after(target: date, days: list[date]) -> date | None:
    return next((day for day in days if day >= target), None)


def plan_edge_cases(enabled: bool, game_days: list[date], predictions_start: date, as_of: date) -> EdgeCasePlan:
    """Picks edge-case dates among past prediction days, near the dates the contract names."""
    past = [day for day in game_days if predictions_start <= day < as_of]
    if not enabled or not past:
        return EdgeCasePlan()

    def near(target: date) -> date:
        return _first_on_or_after(target, past) or past[len(past) // 2]

    def distinct(*targets: date) -> tuple[date, ...]:
        return tuple(sorted({near(target) for target in targets}))

    return EdgeCasePlan(
        two_active_days=distinct(date(2026, 1, 14), date(2026, 2, 10), date(2026, 2, 24)),
        no_champion_day=near(date(2026, 1, 21)),
        old_model_days=tuple(day for day in past if day in (date(2026, 2, 1), date(2026, 2, 2))),
        placeholder_days=distinct(date(2025, 11, 20), date(2025, 12, 30), date(2026, 2, 5)),
        missing_defense_days=distinct(date(2025, 12, 10), date(2026, 2, 25)),
        bogus_odds_days=distinct(date(2026, 1, 28)),
        no_lines_day=near(date(2025, 11, 13)),
        holds=True,
    )
