"""The per-player-game record that the day simulation fills stage by stage, and player history."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date

from phase6.demo.calendar import Game
from phase6.demo.injuries import Listing
from phase6.demo.lines import PropLine
from phase6.demo.players import Player


@dataclass
class GameLog:
    day: date
    opponent: str
    points: int
    minutes: float
    played: bool
    over_under: str | None


@dataclass
class History:
    logs: list[GameLog] = field(default_factory=list)
    scheduled: list[date] = field(default_factory=list)

    def played_points(self, last: int | None = None) -> list[int]:
        points = [log.points for log in self.logs if log.played]
        return points[-last:] if last else points

    def average(self, last: int | None = None) -> float | None:
        points = self.played_points(last)
        return sum(points) / len(points) if points else None

    def std_last_10(self) -> float:
        points = self.played_points(10)
        return statistics.pstdev(points) if len(points) >= 2 else 0.0

    def minutes_between(self, first: date, last: date) -> float:
        return sum(log.minutes for log in self.logs if first <= log.day <= last)

    def streak(self, result: str) -> int:
        count = 0
        for log in reversed([log for log in self.logs if log.over_under is not None]):
            if log.over_under != result:
                break
            count += 1
        return count


@dataclass
class PlayerGame:
    player: Player
    game: Game
    team: str
    opponent: str
    is_home: bool
    days_rest: int | None
    games_last_7: int
    minutes_last_7: float
    back_to_backs_last_14: int
    mean: float
    listing: Listing | None
    context_status: str
    line: PropLine | None = None
    fatigue_score: int = 100
    fatigue_json: str = "{}"
    features: list[float] = field(default_factory=list)
    quality: float | None = None
    plays: bool = False
    points: int = 0
    minutes: float = 0.0

    @property
    def back_to_back(self) -> bool:
        return self.days_rest == 1

    @property
    def key(self) -> tuple[str, str]:
        return self.player.lookup, self.game.game_id
