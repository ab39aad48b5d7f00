"""Eastern-time helpers: game days are ET calendar days, timestamps are UTC instants."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytz

EASTERN = pytz.timezone("America/New_York")


def et_to_utc(day: date, clock: time) -> datetime:
    """The UTC instant of an ET wall-clock time on `day` (EST/EDT aware)."""
    local = EASTERN.localize(datetime.combine(day, clock))
    return local.astimezone(pytz.utc)


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def season_year(day: date) -> int:
    return day.year if day.month >= 10 else day.year - 1


def season_label(day: date) -> str:
    start = season_year(day)
    return f"{start}-{(start + 1) % 100:02d}"


def format_ts(instant: datetime) -> str:
    return instant.astimezone(pytz.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def format_game_time(clock: time) -> str:
    hour = clock.hour % 12 or 12
    suffix = "AM" if clock.hour < 12 else "PM"
    return f"{hour}:{clock.minute:02d} {suffix} ET"
