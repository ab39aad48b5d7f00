"""tonight-players → tonight/player/{date}/{lookup}.json and the fixed tonight/player/{lookup}.json (api.md §3.6):
one file per player in the date's context.

Fan-out with a fixed set of queries: everything is read for all players of the date at once (mostly the queries of
`exporters.tonight`, served from the per-run cache), grouped once per run, and each entity only looks its rows up.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from exporters.common import ACTIVE_CHAMPION_PREDICTIONS, REGISTRY_NAMES, over_under_label, player_names
from exporters.tonight import (
    DAY_PLAYERS,
    LAST_GAMES,
    RECENT_GAMES,
    SEASON_GAMES,
    average,
    group_by_player,
    injury_status,
    line_of,
    newest_first,
    prediction_key,
    season_stats,
)
from phase6.catalog import Document, ExportContext, ExportSpec, Query, Rows, dated_and_pointer
from phase6.formats import integer, iso_date, number, r1, r2, r3
from phase6.vocab import fatigue_level

LONG_MAX_AGE = 86400
SHORT_MAX_AGE = 300
DEFENSE_LOOKBACK_DAYS = 30
LOCATION_MIN_GAMES = 3
WELL_RESTED_DAYS = 3  # days_rest counts calendar days since the previous game, so 3 means two days off


def defense_params(ctx: ExportContext) -> dict[str, Any]:
    return {"target_date": ctx.target_date, "defense_from": ctx.target_date - timedelta(days=DEFENSE_LOOKBACK_DAYS)}


TEAM_DEFENSE = Query(
    "team_defense",
    """
SELECT team_abbr, opponent_points_per_game,
       RANK() OVER (ORDER BY opponent_points_per_game ASC) AS defense_rank
FROM (
  SELECT team_abbr, opponent_points_per_game
  FROM nba_precompute.team_defense_zone_analysis
  WHERE analysis_date BETWEEN @defense_from AND @target_date AND opponent_points_per_game IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY team_abbr ORDER BY analysis_date DESC) = 1
)
""",
    defense_params,
)
"""Each team's latest defense row on or before the date, ranked by points allowed (1 = fewest)."""


# ---- per-run grouping

@dataclass(frozen=True)
class PlayerDay:
    """Everything one player's file needs, looked up once per run."""

    lookup: str
    name: str | None
    day_player: dict[str, Any] | None
    prediction: dict[str, Any] | None
    season_games: Rows
    recent_games: Rows  # newest first


@dataclass(frozen=True)
class DayIndex:
    players: dict[str, PlayerDay]
    defense: dict[str, dict[str, Any]]


def index_day(ctx: ExportContext, rows: Mapping[str, Rows]) -> DayIndex:
    """The spec's `prepare`: computed once per run, handed to `entities` and `build_entity`."""
    names = player_names(rows[REGISTRY_NAMES.name])
    predictions = prediction_key(rows[ACTIVE_CHAMPION_PREDICTIONS.name])
    season = group_by_player(rows[SEASON_GAMES.name])
    recent = group_by_player(rows[RECENT_GAMES.name])
    players: dict[str, PlayerDay] = {}
    for day_player in sorted(rows[DAY_PLAYERS.name], key=lambda row: (row["player_lookup"], row["game_id"])):
        lookup = day_player["player_lookup"]
        if lookup in players:
            continue
        players[lookup] = PlayerDay(
            lookup,
            names.get(lookup),
            day_player,
            predictions.get((lookup, day_player["game_id"])),
            season.get(lookup, []),
            newest_first(recent.get(lookup, [])),
        )
    defense = {row["team_abbr"]: row for row in rows[TEAM_DEFENSE.name]}
    return DayIndex(players, defense)


# ---- shape

def home_from_game_id(game_id: str | None, team: str | None) -> bool | None:
    """Home iff the platform game_id YYYYMMDD_AWAY_HOME ends with the team; None when the id is malformed."""
    parts = (game_id or "").split("_")
    if len(parts) != 3 or not team:
        return None
    return parts[2] == team


def made_of(makes: Any, attempts: Any) -> str | None:
    tried = integer(attempts)
    if not tried:
        return None
    return f"{integer(makes) or 0}/{tried}"


def margin(points: Any, line: Any) -> float | None:
    scored, line_value = number(points), number(line)
    if scored is None or line_value is None:
        return None
    return scored - line_value


def scoring_line(game: Mapping[str, Any]) -> dict[str, Any]:
    """points, minutes and the "makes/attempts" shooting lines of one summary row."""
    return {
        "points": integer(game["points"]),
        "minutes": r2(game["minutes_played"]),
        "fg": made_of(game["fg_makes"], game["fg_attempts"]),
        "three": made_of(game["three_pt_makes"], game["three_pt_attempts"]),
        "ft": made_of(game["ft_makes"], game["ft_attempts"]),
    }


def recent_form_entry(game: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "game_date": iso_date(game["game_date"]),
        "opponent": game["opponent_team_abbr"],
        "home_game": home_from_game_id(game["game_id"], game["team_abbr"]),
        **scoring_line(game),
        "over_under": over_under_label(game),
        "line": r2(game["points_line"]),
        "margin": r1(margin(game["points"], game["points_line"])),
    }


def current_streak(recent_form: list[dict[str, Any]]) -> dict[str, Any]:
    """Newest first: skip leading games without O/U, then count equal results until a change or a gap."""
    streak_type: str | None = None
    length = 0
    for game in recent_form:
        result = game["over_under"]
        if result is None:
            if streak_type is None:
                continue
            break
        if streak_type is None:
            streak_type = result
        elif result != streak_type:
            break
        length += 1
    return {"type": streak_type.lower() if streak_type else None, "length": length}


def quick_numbers(stats: Mapping[str, Any], recent_games: Rows) -> dict[str, Any]:
    last_10 = recent_games[:LAST_GAMES]
    last_5 = recent_games[:5]
    return {
        "season_ppg": r2(stats["ppg"]),
        "season_mpg": r2(stats["mpg"]),
        "games_played": stats["games_played"],
        "last_10_ppg": r2(average(game["points"] for game in last_10)),
        "last_10_mpg": r2(average(game["minutes_played"] for game in last_10)),
        "last_5_ppg": r2(average(game["points"] for game in last_5)),
        "last_5_mpg": r2(average(game["minutes_played"] for game in last_5)),
    }


def fatigue(day_player: Mapping[str, Any] | None) -> dict[str, Any]:
    score = number((day_player or {}).get("fatigue_score"))
    context = (day_player or {}).get("fatigue_context_json")
    return {"score": r2(score), "level": fatigue_level(score), "context": context, "context_data": parsed_json(context)}


def parsed_json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def rest_days(season_games: Rows) -> list[tuple[dict[str, Any], int | None]]:
    """Each season game with the calendar days since the player's previous season game (None for the first)."""
    ordered = sorted(season_games, key=lambda game: (game["game_date"], game["game_id"]))
    previous = [None] + [game["game_date"] for game in ordered[:-1]]
    return [(game, (game["game_date"] - before).days if before else None) for game, before in zip(ordered, previous)]


def vs_line_pct(games: Rows) -> float | None:
    """The share of OVER among the games that had a line (0–1)."""
    results = [over_under_label(game) for game in games]
    decided = [result for result in results if result]
    return decided.count("OVER") / len(decided) if decided else None


def ppg(games: Rows) -> float | None:
    return average(game["points"] for game in games)


def defense_tier(rank: int) -> str:
    if rank <= 5:
        return "elite"
    if rank <= 10:
        return "good"
    if rank <= 20:
        return "average"
    return "weak"


DEFENSE_DIRECTION = {"elite": "negative", "good": "negative", "average": "neutral", "weak": "positive"}


def factor(name: str, direction: str, description: str, **fields: Any) -> dict[str, Any]:
    return {"factor": name, "direction": direction, "description": description, **fields}


def tonights_factors(
    day_player: Mapping[str, Any], season_games: Rows, opponent_defense: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """The §3.6 factors whose condition holds, in the contract's order."""
    factors = []
    with_rest = rest_days(season_games)
    b2b = [game for game, rest in with_rest if rest == 1]
    rested = [game for game, rest in with_rest if rest is not None and rest >= WELL_RESTED_DAYS]
    not_b2b = [game for game, rest in with_rest if rest != 1]
    b2b_ppg, not_b2b_ppg = ppg(b2b), ppg(not_b2b)
    if day_player.get("back_to_back") and b2b_ppg is not None and not_b2b_ppg is not None:
        impact = r1(b2b_ppg - not_b2b_ppg) or 0.0  # the direction follows the published value; no -0.0
        factors.append(factor(
            "back_to_back", "negative" if impact < 0 else "positive",
            f"Second night of a back-to-back: {b2b_ppg:.1f} PPG on back-to-backs vs {not_b2b_ppg:.1f} otherwise",
            impact=impact, vs_line_pct=r3(vs_line_pct(b2b)),
        ))
    home = day_player.get("home_game")
    if home is not None:
        side = [game for game in season_games if home_from_game_id(game["game_id"], game["team_abbr"]) is home]
        side_ppg = ppg(side)
        if side_ppg is not None and len(side) >= LOCATION_MIN_GAMES:
            where = "home" if home else "away"
            factors.append(factor(
                "location", "neutral", f"{side_ppg:.1f} PPG in {len(side)} {where} games this season",
                vs_line_pct=r3(vs_line_pct(side)),
            ))
    opponent = day_player.get("opponent_team_abbr")
    versus = [game for game in season_games if game["opponent_team_abbr"] == opponent]
    if versus:
        versus_ppg = ppg(versus)
        average_text = f"{versus_ppg:.1f} PPG" if versus_ppg is not None else "No points"
        factors.append(factor(
            "vs_opponent", "neutral", f"{average_text} in {len(versus)} games vs {opponent} this season",
            vs_line_pct=r3(vs_line_pct(versus)),
        ))
    rested_ppg = ppg(rested)
    if (integer(day_player.get("days_rest")) or 0) >= WELL_RESTED_DAYS and rested_ppg is not None:
        factors.append(factor(
            "well_rested", "positive", f"Two or more days of rest: {rested_ppg:.1f} PPG when rested this season",
            vs_line_pct=r3(vs_line_pct(rested)),
        ))
    level = fatigue_level(number(day_player.get("fatigue_score")))
    if level == "tired":
        factors.append(factor("fatigue", "negative", "Heavy recent workload: fatigue is high"))
    elif level == "fresh":
        factors.append(factor("fresh", "positive", "Fresh legs: little recent workload"))
    if opponent_defense is not None:
        rank = integer(opponent_defense["defense_rank"])
        tier = defense_tier(rank)
        allowed = number(opponent_defense["opponent_points_per_game"])
        factors.append(factor(
            "opponent_defense", DEFENSE_DIRECTION[tier],
            f"{opponent} defense ranks #{rank} in the league ({allowed:.1f} points allowed per game)",
            defense_rank=rank, defense_tier=tier, ppg_allowed=r2(allowed),
        ))
    return factors


def game_context(day_player: Mapping[str, Any], prediction: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "game_id": day_player["game_id"],
        "opponent": day_player["opponent_team_abbr"],
        "home_game": day_player.get("home_game"),
        "team_abbr": day_player["team_abbr"],
        "line": r2(line_of(prediction)),
        "days_rest": integer(day_player.get("days_rest")),
        "is_back_to_back": day_player.get("back_to_back"),
        "injury_status": injury_status(day_player),
        "injury_reason": day_player.get("injury_reason"),
    }


def prediction_block(prediction: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if prediction is None:
        return None
    return {
        "predicted_points": r2(prediction["predicted_points"]),
        "confidence_score": r2(prediction["confidence_score"]),
        "recommendation": prediction["recommendation"],
        "line": r2(line_of(prediction)),
        "edge": r2(prediction.get("line_margin")),  # the stored signed margin, predicted − line (api.md §3.6)
        "pace_adjustment": r2(prediction.get("pace_adjustment")),
        "similar_games": integer(prediction.get("similar_games_count")),
    }


def empty_player_file(ctx: ExportContext, lookup: str, name: str | None) -> dict[str, Any]:
    """The §3.6 empty form, for a player without a context row on the date."""
    return {
        "player_lookup": lookup,
        "player_full_name": name or lookup,
        "game_date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "games_played": 0,
        "limited_data": True,
        "game_context": None,
        "quick_numbers": {},
        "fatigue": fatigue(None),
        "current_streak": current_streak([]),
        "tonights_factors": [],
        "recent_form": [],
        "prediction": None,
    }


def shape_player_file(ctx: ExportContext, player: PlayerDay, defense: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    day_player = player.day_player
    if day_player is None:
        return empty_player_file(ctx, player.lookup, player.name)
    stats = season_stats(player.season_games)
    recent_form = [recent_form_entry(game) for game in player.recent_games[:LAST_GAMES]]
    return {
        "player_lookup": player.lookup,
        "player_full_name": player.name or player.lookup,
        "game_date": ctx.target_date.isoformat(),
        "generated_at": ctx.generated_at,
        "games_played": stats["games_played"],
        "limited_data": stats["limited_data"],
        "game_context": game_context(day_player, player.prediction),
        "quick_numbers": quick_numbers(stats, player.recent_games),
        "fatigue": fatigue(day_player),
        "current_streak": current_streak(recent_form),
        "tonights_factors": tonights_factors(
            day_player, player.season_games, defense.get(day_player["opponent_team_abbr"])
        ),
        "recent_form": recent_form,
        "prediction": prediction_block(player.prediction),
    }


# ---- fan-out

def entities(ctx: ExportContext, day: DayIndex) -> list[str]:
    return sorted(day.players)


def build_entity(ctx: ExportContext, day: DayIndex, lookup: str) -> list[Document]:
    body = shape_player_file(ctx, day.players[lookup], day.defense)
    return dated_and_pointer(
        ctx,
        body,
        f"tonight/player/{ctx.target_date.isoformat()}/{lookup}.json",
        f"tonight/player/{lookup}.json",
        long_age=LONG_MAX_AGE,
        short_age=SHORT_MAX_AGE,
        pointer_age=SHORT_MAX_AGE,
        entity=lookup,
    )


SPEC = ExportSpec(
    name="tonight-players",
    cost="fanout",
    priority=40,
    queries=(DAY_PLAYERS, REGISTRY_NAMES, ACTIVE_CHAMPION_PREDICTIONS, SEASON_GAMES, RECENT_GAMES, TEAM_DEFENSE),
    build=lambda ctx, rows: [],
    prepare=index_day,
    entities=entities,
    build_entity=build_entity,
    paths=("tonight/player/{date}/{lookup}.json", "tonight/player/{lookup}.json"),
    description="One file per player of the day's context: context, numbers, fatigue, streak, factors, recent form.",
)
