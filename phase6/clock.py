"""The game-day clock: 'today' is the date in America/New_York, never the runtime's UTC date.

In embedded mode the demo warehouse carries a frozen demo instant; the clock starts there and advances with real
elapsed time, so timestamps stay realistic and successive materialisations get distinct version ids.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

from .formats import EASTERN


def utc_now() -> datetime:
    """The real time, for shared state (breakers, leases, heartbeats) even when the data clock is frozen."""
    return datetime.now(timezone.utc)


class Clock:
    def __init__(self, start: datetime | None = None):
        self._start = start
        self._anchor = time.monotonic()

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(timezone.utc)
        return self._start + timedelta(seconds=time.monotonic() - self._anchor)

    def game_day(self) -> date:
        return self.now().astimezone(EASTERN).date()
