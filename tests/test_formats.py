import math
import re
from datetime import datetime, timezone, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from phase6.formats import game_time_et, integer, number, r1, r2, r3, ts

TS_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")


def test_rounding_turns_unknowns_into_none():
    for bad in (None, math.nan, math.inf, -math.inf, "abc", True):
        assert r2(bad) is None
    assert r1(Decimal("4.25")) == 4.2  # Python round, from the unrounded value
    assert r2("3.14159") == 3.14
    assert r3(0.5556) == 0.556
    assert r2(7) == 7.0 and isinstance(r2(7), float)
    assert integer(Decimal("12")) == 12 and integer(None) is None


def test_timestamps_are_utc_with_six_fraction_digits():
    assert ts(datetime(2026, 2, 11, 5, 35, 25, tzinfo=timezone.utc)) == "2026-02-11T05:35:25.000000+00:00"
    eastern = datetime(2026, 3, 4, 13, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert ts(eastern) == "2026-03-04T18:00:00.000000+00:00"
    assert TS_PATTERN.match(ts(datetime.now(timezone.utc)))
    assert ts(None) is None


def test_game_time_is_eastern_twelve_hour_without_leading_zero():
    # 00:30 UTC on 2026-03-05 is 7:30 PM EST on 2026-03-04.
    assert game_time_et(datetime(2026, 3, 5, 0, 30, tzinfo=timezone.utc)) == "7:30 PM ET"
    # After the DST change (2026-03-08) the offset is -4.
    assert game_time_et(datetime(2026, 3, 10, 23, 0, tzinfo=timezone.utc)) == "7:00 PM ET"
    assert game_time_et(datetime(2025, 12, 25, 17, 0, tzinfo=timezone.utc)) == "12:00 PM ET"
    assert game_time_et(None) is None


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-2**60, max_value=2**60)))
def test_the_fast_paths_for_floats_and_ints_give_what_the_general_conversion_gives(value):
    general = float(value)
    expected = general if math.isfinite(general) else None
    assert number(value) == expected or (number(value) is None and expected is None)
    if expected is not None:
        assert integer(value) == int(round(expected)) and type(integer(value)) is int
    assert r2(value) == (None if expected is None else round(expected, 2))
