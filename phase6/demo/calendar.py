"""The season calendar and schedule."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time

from phase6.demo.clock import days_between, et_to_utc

TRICODES = ("ATL BOS BKN CHA CHI CLE DAL DEN DET GSW HOU IND LAC LAL MEM MIA MIL MIN NOP NYK "
            "OKC ORL PHI PHX POR SAC SAS TOR UTA WAS").split()

ALL_STAR_BREAK = tuple(days_between(date(2026, 2, 13), date(2026, 2, 18)))
OFF_DAYS = (date(2025, 11, 27), date(2025, 12, 8), date(2025, 12, 24), date(2026, 1, 26), *ALL_STAR_BREAK,
            date(2026, 3, 23))
# Light days with a fixed number of games; the single-game day leaves some systems without a signal row.
LIGHT_DAYS = {date(2025, 12, 15): 3, date(2025, 12, 16): 2, date(2025, 12, 18): 4, date(2026, 1, 12): 1}
CHRISTMAS = date(2025, 12, 25)
FULL_SEASON_GAMES_PER_TEAM = 82
MAX_BACK_TO_BACKS = 14


@dataclass(frozen=True)
class Game:
    official_id: str
    game_date: date
    tip_et: time
    tip_utc: datetime
    away: str
    home: str

    @property
    def game_id(self) -> str:
        return f"{self.game_date:%Y%m%d}_{self.away}_{self.home}"


def season_teams(count: int) -> list[str]:
    return TRICODES[:max(2, min(count, len(TRICODES)))]


def game_days(season_start: date, season_end: date) -> list[date]:
    off = set(OFF_DAYS)
    return [day for day in days_between(season_start, season_end) if day not in off]


def _circle_rounds(teams: list[str]) -> list[list[tuple[str, str]]]:
    """Single round robin by the circle method; a None slot is a bye. Pairs are (away, home)."""
    slots: list[str | None] = list(teams) + ([None] if len(teams) % 2 else [])
    rounds = []
    for round_index in range(len(slots) - 1):
        pairs = []
        for i in range(len(slots) // 2):
            first, second = slots[i], slots[-1 - i]
            if first is None or second is None:
                continue
            pairs.append((first, second) if (round_index + i) % 2 else (second, first))
        rounds.append(pairs)
        slots = [slots[0], slots[-1], *slots[1:-1]]
    return rounds


def _matchup_queue(rng: random.Random, teams: list[str], rounds_wanted: int) -> list[tuple[str, str]]:
    """Rounds in blocks followed by their mirror, so every team gets as many home as away games."""
    base = _circle_rounds(teams)
    order: list[int] = []
    while len(order) < rounds_wanted // 2:
        block = list(range(len(base)))
        rng.shuffle(block)
        order.extend(block)
    order = order[:rounds_wanted // 2]
    queue: list[tuple[str, str]] = []
    for start in range(0, len(order), len(base)):
        block = order[start:start + len(base)]
        for index in block:
            queue.extend(base[index])
        for index in block:
            queue.extend((home, away) for away, home in base[index])
    return queue


def _daily_quota(rng: random.Random, day: date, remaining_games: int, remaining_days: int, max_games: int) -> int:
    if day in LIGHT_DAYS:
        return min(LIGHT_DAYS[day], max_games)
    average = remaining_games / max(remaining_days, 1)
    weekday_factor = 1.15 if day.weekday() in (1, 2, 4, 5) else 0.85
    return max(1, min(max_games, math.ceil(average * weekday_factor * rng.uniform(0.85, 1.35))))


def _pick_games(rng: random.Random, queue: list[tuple[str, str]], quota: int, played: dict[str, list[date]],
                back_to_backs: dict[str, int], day: date, relaxed: bool) -> list[tuple[str, str]]:
    chosen: list[tuple[str, str]] = []
    busy: set[str] = set()
    for away, home in queue:
        if len(chosen) >= quota:
            break
        if away in busy or home in busy:
            continue
        if all(_may_play(rng, played[team], back_to_backs[team], day, relaxed) for team in (away, home)):
            chosen.append((away, home))
            busy.update((away, home))
    for matchup in chosen:
        queue.remove(matchup)
    return chosen


def _may_play(rng: random.Random, dates: list[date], back_to_backs: int, day: date, relaxed: bool) -> bool:
    played_yesterday = bool(dates) and (day - dates[-1]).days == 1
    if not played_yesterday:
        return True
    if len(dates) >= 2 and (day - dates[-2]).days == 2:
        return False  # never three days in a row
    return relaxed or (back_to_backs < MAX_BACK_TO_BACKS and rng.random() < 0.2)


def _tip_time(rng: random.Random, day: date, slot: int) -> time:
    if day == CHRISTMAS:
        return time(12 + min(slot * 2, 10), 0)
    weekend = day.weekday() >= 5
    if weekend and slot < 2 and rng.random() < 0.6:
        return time(rng.choice((13, 15, 15, 17, 18)), rng.choice((0, 30)) if slot else 0)
    return rng.choice((time(19, 0), time(19, 0), time(19, 30), time(19, 30), time(20, 0),
                       time(20, 30), time(21, 0), time(22, 0), time(22, 30)))


def build_schedule(rng: random.Random, teams: list[str], season_start: date, season_end: date) -> list[Game]:
    days = game_days(season_start, season_end)
    rounds_wanted = min(FULL_SEASON_GAMES_PER_TEAM, 2 * round(len(days) / 4))
    queue = _matchup_queue(rng, teams, max(2, rounds_wanted))
    played: dict[str, list[date]] = {team: [] for team in teams}
    back_to_backs = {team: 0 for team in teams}
    scheduled: list[tuple[date, str, str]] = []
    for index, day in enumerate(days):
        remaining_days = len(days) - index
        quota = _daily_quota(rng, day, len(queue), remaining_days, len(teams) // 2)
        relaxed = remaining_days <= 20
        for away, home in _pick_games(rng, queue, quota, played, back_to_backs, day, relaxed):
            for team in (away, home):
                if played[team] and (day - played[team][-1]).days == 1:
                    back_to_backs[team] += 1
                played[team].append(day)
            scheduled.append((day, away, home))
    return _numbered_games(rng, scheduled)


def _numbered_games(rng: random.Random, scheduled: list[tuple[date, str, str]]) -> list[Game]:
    timed = []
    slot_by_day: dict[date, int] = {}
    for day, away, home in scheduled:
        slot = slot_by_day.get(day, 0)
        slot_by_day[day] = slot + 1
        timed.append((day, _tip_time(rng, day, slot), home, away))
    timed.sort()
    games = []
    for sequence, (day, tip, home, away) in enumerate(timed, start=1):
        official_id = f"002{day.year % 100 if day.month >= 10 else (day.year - 1) % 100:02d}{sequence:05d}"
        games.append(Game(official_id, day, tip, et_to_utc(day, tip), away, home))
    return games
