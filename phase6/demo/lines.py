"""Prop lines and bettingpros rows."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_SEASON_AVERAGE_FOR_LINE = 6.0
BOOKS = ("BettingPros Consensus", "DraftKings", "FanDuel", "BetMGM", "Caesars", "BetRivers", "ESPN BET",
         "PointsBet")
ODDS_PAIRS = ((-115, -105), (-110, -110), (-120, 100), (-125, 105), (-105, -115), (100, -120), (105, -125),
              (-130, 110), (110, -130))
BOGUS_ODDS = 199900


@dataclass(frozen=True)
class PropLine:
    opening: float
    closing: float

    @property
    def moved(self) -> bool:
        return self.opening != self.closing


LINE_NOISE = 0.9
# Now and then a book misprices a player badly (mostly too low); these are the edges the models find.
MISPRICING_SHARE = 0.12
MISPRICING = (-2.0, 5.0)


def draw_line(rng: random.Random, mean: float) -> PropLine:
    whole_number = rng.random() < 0.05
    mispriced = rng.random() < MISPRICING_SHARE
    value = mean + (rng.gauss(*MISPRICING) if mispriced else rng.gauss(0.0, LINE_NOISE))
    closing = float(round(value)) if whole_number else math.floor(value) + 0.5
    closing = min(35.5, max(3.5, closing))
    opening = closing
    if rng.random() < 0.20:
        opening = min(35.5, max(3.5, closing + rng.choice((-1.0, -0.5, 0.5, 1.0))))
    return PropLine(opening, closing)


def bettingpros_rows(rng: random.Random, game_date, lookup: str, name: str, team: str, line: PropLine,
                     updated_at: datetime, bogus: bool) -> list[tuple]:
    """5-8 books x 2 sides; best price per side sits at the closing line the predictions use."""
    books = [BOOKS[0], *rng.sample(BOOKS[1:], rng.randint(4, 7))]
    offers = []
    for book in books:
        at_consensus = book == BOOKS[0] or rng.random() >= 0.30
        points = line.closing if at_consensus else line.closing + rng.choice((-1.0, -0.5, 0.5, 1.0))
        over, under = rng.choice(ODDS_PAIRS)
        offers.append((book, points, over, under))
    best_over = max((o for o in offers if o[1] == line.closing), key=lambda o: o[2])[0]
    best_under = max((o for o in offers if o[1] == line.closing), key=lambda o: o[3])[0]
    rows = []
    for book, points, over, under in offers:
        stamp = updated_at - timedelta(minutes=rng.randint(0, 90))
        for side, odds, best in (("over", over, best_over), ("under", under, best_under)):
            is_best = book == best
            if bogus and not is_best and side == "over":
                odds, bogus = BOGUS_ODDS, False
            rows.append((game_date, lookup, name, team, "points", book, side, points, odds, True, is_best,
                         line.opening, stamp))
    return rows
