"""The circuit breaker state machine per export type, pure: the state stores apply it inside a transaction.

closed --N consecutive failed runs--> open --cooldown passes--> half_open --success--> closed
                                                                         --failure--> open (longer cooldown)

Only `closed` and `open` are stored; half-open is an open breaker whose `retry_after` has passed.
The cooldown doubles with each trip in a row, up to a cap.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .state.base import Breaker, closed_breaker


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 3
    cooldown: timedelta = timedelta(minutes=15)
    max_cooldown: timedelta = timedelta(hours=2)

    def cooldown_for(self, trips: int) -> timedelta:
        """The cooldown after the `trips`-th consecutive trip (1 = first)."""
        return min(self.cooldown * 2 ** max(0, trips - 1), self.max_cooldown)


DEFAULT_POLICY = BreakerPolicy()


def current(breaker: Breaker, now: datetime) -> Breaker:
    """The breaker as seen at `now`: an open breaker whose cooldown has passed is half-open."""
    if breaker.status == "open" and breaker.retry_after is not None and now >= breaker.retry_after:
        return replace(breaker, status="half_open")
    return breaker


def allows_run(breaker: Breaker, now: datetime) -> bool:
    return current(breaker, now).status != "open"


def after_outcome(breaker: Breaker, ok: bool, now: datetime, policy: BreakerPolicy = DEFAULT_POLICY) -> Breaker:
    """The breaker after one run of its export type succeeded (`ok`) or failed."""
    if ok:
        return closed_breaker(breaker.export_type)
    state = current(breaker, now)
    failures = state.consecutive_failures + 1
    if state.status == "half_open" or failures >= policy.failure_threshold:
        return _trip(state, failures, now, policy)
    return replace(state, consecutive_failures=failures)


def _trip(breaker: Breaker, failures: int, now: datetime, policy: BreakerPolicy) -> Breaker:
    trips = breaker.trips + 1
    return Breaker(breaker.export_type, "open", failures, trips, now, now + policy.cooldown_for(trips))
