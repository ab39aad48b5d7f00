"""Parameters of the demo season and the build report."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class DemoParams:
    seed: int = 20251021
    season_start: date = date(2025, 10, 21)
    season_end: date = date(2026, 4, 12)
    predictions_start: date = date(2025, 11, 2)
    as_of_date: date = date(2026, 3, 4)
    as_of_time_et: str = "13:00"
    live_snapshot_et: str | None = None
    teams: int = 30
    players_per_team: int = 15
    edge_cases: bool = True

    @property
    def is_default_size(self) -> bool:
        default = DemoParams()
        return (self.teams, self.players_per_team, self.season_start, self.season_end, self.as_of_date) == (
            default.teams, default.players_per_team, default.season_start, default.season_end, default.as_of_date)


@dataclass(frozen=True)
class DemoReport:
    path: str
    row_counts: dict[str, int]
    calibration: dict[str, float | None]
    edge_cases: dict[str, object]
    seconds: float = field(default=0.0)
