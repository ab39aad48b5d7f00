"""Season arithmetic of docs/api.md, "Seasons and windows": the stats season starts Oct 1, the subset season Nov 1."""
from __future__ import annotations

from datetime import date, timedelta


def stats_season_year(d: date) -> int:
    return d.year if d.month >= 10 else d.year - 1


def stats_season_start(d: date) -> date:
    return date(stats_season_year(d), 10, 1)


def subset_season_start(d: date) -> date:
    start_year = d.year if d.month >= 11 else d.year - 1
    return date(start_year, 11, 1)


def subset_season_label(d: date) -> str:
    start_year = subset_season_start(d).year
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def month_start(d: date) -> date:
    return d.replace(day=1)


def week_start(d: date) -> date:
    """The Monday of d's week."""
    return d - timedelta(days=d.weekday())
