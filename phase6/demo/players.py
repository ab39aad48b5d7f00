"""Fictional rosters, scoring tiers, trades and the player registry."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

FIRST_NAMES = (
    "D'Andre", "José", "Killian", "Marcus", "Tomás", "Luka", "Nikola", "Jalen", "De'Aaron", "Zion", "Andre",
    "Cameron", "Malik", "Darius", "Terrence", "Ömer", "Théo", "Kevin", "Isaiah", "Jaylen", "Caleb", "Jordan",
    "Tyrese", "Bogdan", "Dāvis", "Shai", "Mikal", "Brandon", "Devin", "Trey", "Josh", "Keegan", "Jonas", "Álvaro",
    "Rui", "Dejounte", "Ja'Marr", "Kelly", "Nic", "Bennedict", "Franz", "Jusuf", "Goran", "Santi", "Amen",
)
LAST_NAMES = (
    "Núñez-Hall", "Alvarado", "Hayes", "Brooks", "Kovačić", "Dončević", "Jokanović", "Green", "O'Bryant",
    "Williamson", "Smith-Porter", "Johnson", "Walker", "Garland", "Ross", "Müller", "Lefèvre", "Ibarra",
    "Thompson", "Carter", "Okafor", "Mitchell", "Barnes", "Schröder", "Bertāns", "Gilmore", "Bridges",
    "Ingram", "Booker", "Young", "Hart", "Murray", "Valančiūnas", "García-López", "Hachimura", "Murray-Boyles",
    "D'Angelo", "Sabonis", "Holiday", "Ntilikina", "Wagner", "Nurkić", "Dragić", "Aldama", "Thompson-Reed",
)
SUFFIXES = ("Jr.", "III", "II", "Sr.")
POSITIONS = ("PG", "SG", "SF", "PF", "C")
# (tier, players per team of 15, season points range)
TIERS = (("lead", 1, (18.0, 24.9)), ("starter", 3, (11.0, 20.0)), ("rotation", 4, (6.0, 12.0)),
         ("bench", 7, (1.0, 5.9)))
# Leads of these teams average ≥ 25, so that 6-8 % of lined player-games belong to the elite tier.
STAR_TEAM_SHARE = 0.5
STAR_POINTS = (26.0, 33.0)
MINUTES_BY_TIER = {"lead": 35.0, "starter": 30.0, "rotation": 21.0, "bench": 11.0}
_NON_DECOMPOSING = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "ı": "i"})
SEASON_LABEL = "2025-26"


def normalize_lookup(name: str) -> str:
    """A player_lookup: lowercase ASCII letters and digits; diacritics transliterated; suffixes kept."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_NON_DECOMPOSING))
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]", "", ascii_only)


@dataclass
class Player:
    lookup: str
    name: str
    team: str
    tier: str
    season_mean: float
    age: int
    position: str
    jersey: int
    bdl_id: int
    trade: tuple[date, str] | None = None  # (first day with the new team, new team)
    form: float = 1.0
    games_by_team: dict[str, int] = field(default_factory=dict)

    @property
    def universal_id(self) -> str:
        return f"{self.lookup}_001"

    @property
    def minutes_base(self) -> float:
        return MINUTES_BY_TIER[self.tier]

    def team_on(self, day: date) -> str:
        if self.trade and day >= self.trade[0]:
            return self.trade[1]
        return self.team


def _unique_name(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if rng.random() < 0.08:
            name += " " + rng.choice(SUFFIXES)
        lookup = normalize_lookup(name)
        if lookup not in used:
            used.add(lookup)
            return name, lookup


def _tier_sizes(players_per_team: int) -> list[tuple[str, int, tuple[float, float]]]:
    sizes = []
    remaining = players_per_team
    for tier, count, points in TIERS:
        take = min(remaining, max(1, round(count * players_per_team / 15)) if tier != "bench" else remaining)
        sizes.append((tier, take, points))
        remaining -= take
    return sizes


def build_rosters(rng: random.Random, teams: list[str], players_per_team: int) -> list[Player]:
    used: set[str] = set()
    players = []
    star_teams = set(rng.sample(teams, max(1, round(len(teams) * STAR_TEAM_SHARE))))
    bdl_id = 1000
    for team in teams:
        jerseys = rng.sample(range(0, 100), players_per_team)
        index = 0
        for tier, count, (low, high) in _tier_sizes(players_per_team):
            for _ in range(count):
                name, lookup = _unique_name(rng, used)
                mean = rng.uniform(low, high)
                if tier == "lead" and team in star_teams:
                    mean = rng.uniform(*STAR_POINTS)
                bdl_id += rng.randint(1, 40)
                players.append(Player(lookup, name, team, tier, round(mean, 2), rng.randint(20, 37),
                                      rng.choice(POSITIONS), jerseys[index], bdl_id))
                index += 1
    return players


def schedule_trades(rng: random.Random, players: list[Player], teams: list[str], first_day: date,
                    last_day: date) -> None:
    """About 10 players change teams in swaps of same-tier players, so rosters keep their size."""
    if len(teams) < 2 or last_day <= first_day:
        return
    swaps = max(1, min(5, len(teams) // 6))
    candidates = [player for player in players if player.tier in ("starter", "rotation")]
    for _ in range(swaps):
        first = rng.choice([player for player in candidates if player.trade is None])
        partners = [player for player in candidates
                    if player.trade is None and player.tier == first.tier and player.team != first.team]
        if not partners:
            continue
        second = rng.choice(partners)
        day = date.fromordinal(rng.randint(first_day.toordinal(), last_day.toordinal()))
        first.trade = (day, second.team)
        second.trade = (day, first.team)


def registry_rows(players: list[Player]) -> list[tuple]:
    rows = []
    for player in sorted(players, key=lambda p: p.lookup):
        teams = [player.team] + ([player.trade[1]] if player.trade else [])
        for team in teams:
            rows.append((player.lookup, player.name, team, SEASON_LABEL, player.position, player.universal_id,
                         player.games_by_team.get(team, 0), player.jersey))
    return rows
