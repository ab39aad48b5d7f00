"""Output value formats of docs/api.md, "Timestamps and dates": rounding, timestamps, game times.

Rounding happens once, at output, from unrounded values. None, NaN, infinities and unparseable values become None.
"""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")


# Integers this small convert to float and back exactly, so `integer` may return them as they are.
EXACT_INT = 2**53


def number(value: Any) -> float | None:
    """A finite float, or None."""
    if type(value) is float:  # the common case, as float() would return it
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _rounded(value: Any, digits: int) -> float | None:
    result = number(value)
    return None if result is None else round(result, digits)


def r1(value: Any) -> float | None:
    return _rounded(value, 1)


def r2(value: Any) -> float | None:
    return _rounded(value, 2)


def r3(value: Any) -> float | None:
    return _rounded(value, 3)


def integer(value: Any) -> int | None:
    if type(value) is int and -EXACT_INT <= value <= EXACT_INT:  # what the float round trip would give
        return value
    result = number(value)
    return None if result is None else int(round(result))


def ts(value: datetime | None) -> str | None:
    """UTC ISO-8601 with +00:00 and exactly 6 fractional digits."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def iso_date(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def game_time_et(tip_off: datetime | None) -> str | None:
    """'7:30 PM ET': the tip-off in America/New_York, 12-hour clock, no leading zero or space."""
    if tip_off is None:
        return None
    if tip_off.tzinfo is None:
        tip_off = tip_off.replace(tzinfo=timezone.utc)
    local = tip_off.astimezone(EASTERN)
    return f"{local.strftime('%I').lstrip('0')}:{local.strftime('%M %p')} ET"
