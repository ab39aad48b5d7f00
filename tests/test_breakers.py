"""The circuit breaker state machine, pure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from phase6.breakers import BreakerPolicy, after_outcome, allows_run, current
from phase6.state.base import closed_breaker

NOW = datetime(2026, 3, 4, 18, 0, tzinfo=timezone.utc)
POLICY = BreakerPolicy()


def fail_times(count: int, now=NOW, breaker=None):
    breaker = breaker or closed_breaker("results")
    for _ in range(count):
        breaker = after_outcome(breaker, False, now, POLICY)
    return breaker


def test_stays_closed_below_the_threshold():
    breaker = fail_times(2)
    assert breaker.status == "closed"
    assert breaker.consecutive_failures == 2
    assert allows_run(breaker, NOW)


def test_opens_after_three_consecutive_failures_for_fifteen_minutes():
    breaker = fail_times(3)
    assert breaker.status == "open"
    assert breaker.trips == 1
    assert breaker.opened_at == NOW
    assert breaker.retry_after == NOW + timedelta(minutes=15)
    assert not allows_run(breaker, NOW + timedelta(minutes=14, seconds=59))


def test_success_resets_the_failure_count():
    breaker = after_outcome(fail_times(2), True, NOW, POLICY)
    assert fail_times(2, breaker=breaker).status == "closed"


def test_half_open_after_the_cooldown_allows_one_trial():
    breaker = fail_times(3)
    later = NOW + timedelta(minutes=15)
    assert current(breaker, later).status == "half_open"
    assert allows_run(breaker, later)


def test_successful_trial_closes():
    later = NOW + timedelta(minutes=15)
    breaker = after_outcome(fail_times(3), True, later, POLICY)
    assert breaker == closed_breaker("results")


def test_failed_trial_reopens_with_a_doubled_cooldown():
    later = NOW + timedelta(minutes=15)
    breaker = after_outcome(fail_times(3), False, later, POLICY)
    assert breaker.status == "open"
    assert breaker.trips == 2
    assert breaker.retry_after == later + timedelta(minutes=30)


def test_cooldown_growth_is_capped():
    assert [POLICY.cooldown_for(trips) for trips in (1, 2, 3, 4, 5, 9)] == [
        timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=2),
        timedelta(hours=2),
    ]
    breaker = fail_times(3)
    for _ in range(6):
        trial_at = breaker.retry_after
        breaker = after_outcome(breaker, False, trial_at, POLICY)
    assert breaker.retry_after - breaker.opened_at == timedelta(hours=2)


def test_a_custom_policy():
    policy = BreakerPolicy(failure_threshold=1, cooldown=timedelta(seconds=2), max_cooldown=timedelta(seconds=5))
    breaker = after_outcome(closed_breaker("x"), False, NOW, policy)
    assert breaker.retry_after == NOW + timedelta(seconds=2)
    assert policy.cooldown_for(3) == timedelta(seconds=5)
