"""Injury reports and who plays (playing probability and injury reports)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

REPORT_HOURS = (1, 13, 17, 19)
PLAY_PROBABILITY = {"out": 0.0, "doubtful": 0.15, "questionable": 0.65, "probable": 0.95, None: 0.995}
SHORT_TERM_LISTING = 0.15
LONG_TERM_START = 0.004
SIDES = ("Left", "Right")
BODY_PARTS = ("Knee", "Ankle", "Hamstring", "Hip", "Wrist", "Calf", "Foot", "Shoulder", "Groin", "Back")
CONDITIONS = ("Soreness", "Sprain", "Strain", "Contusion", "Tendinopathy", "Bone Bruise")
# Next status at a later report: (status, weight) per current status.
TRANSITIONS = {
    "questionable": (("questionable", 50), ("probable", 15), ("available", 15), ("out", 10), ("doubtful", 10)),
    "doubtful": (("doubtful", 60), ("out", 30), ("questionable", 10)),
    "probable": (("probable", 60), ("available", 40)),
    "available": (("available", 100),),
    "out": (("out", 100),),
}
INITIAL = (("out", 20), ("questionable", 36), ("doubtful", 12), ("probable", 22), ("available", 10))


@dataclass
class Listing:
    status_by_hour: dict[int, str]
    reason: str
    category: str


@dataclass
class InjuryBook:
    """Long-term absences that persist across days (the source of stale `out` statuses)."""
    out_until: dict[str, tuple[date, str]] = field(default_factory=dict)
    returned: list[tuple[str, date]] = field(default_factory=list)


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    total = sum(weight for _, weight in options)
    pick = rng.uniform(0, total)
    for value, weight in options:
        pick -= weight
        if pick <= 0:
            return value
    return options[-1][0]


def _injury_reason(rng: random.Random) -> str:
    return f"Injury/Illness - {rng.choice(SIDES)} {rng.choice(BODY_PARTS)}; {rng.choice(CONDITIONS)}"


def listing_for(rng: random.Random, book: InjuryBook, lookup: str, tier: str, day: date,
                hours: tuple[int, ...]) -> Listing | None:
    """The player's statuses across the day's reports, or None when he is not listed."""
    if lookup in book.out_until:
        until, reason = book.out_until[lookup]
        if day < until:
            return Listing({hour: "out" for hour in hours}, reason, "injury")
        del book.out_until[lookup]
        book.returned.append((lookup, day))
        return None
    if rng.random() < LONG_TERM_START:
        reason = _injury_reason(rng)
        book.out_until[lookup] = (day + timedelta(days=rng.randint(14, 42)), reason)
        return Listing({hour: "out" for hour in hours}, reason, "injury")
    if rng.random() >= SHORT_TERM_LISTING:
        return None
    if tier == "bench" and rng.random() < 0.25:
        return Listing({hour: "out" for hour in hours}, "G League - Two-Way", "g_league")
    status = _weighted(rng, INITIAL)
    reason, category = (("Rest", "rest") if status == "out" and rng.random() < 0.3
                        else (_injury_reason(rng), "injury"))
    statuses = {}
    for hour in hours:
        statuses[hour] = status
        status = _weighted(rng, TRANSITIONS[status])
    return Listing(statuses, reason, category)


def status_at(listing: Listing | None, hour: int) -> str | None:
    """Latest listed status at or before `hour`; None when not listed (healthy)."""
    if listing is None:
        return None
    known = [listing.status_by_hour[h] for h in sorted(listing.status_by_hour) if h <= hour]
    return known[-1] if known else None


def final_status(listing: Listing | None) -> str | None:
    return status_at(listing, 24)


def plays(rng: random.Random, status: str | None) -> bool:
    key = None if status == "available" else status
    return rng.random() < PLAY_PROBABILITY[key]
