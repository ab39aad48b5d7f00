"""Upcoming context, composite factors (fatigue), feature store and team defense."""
from __future__ import annotations

import json
import math
import random
from datetime import date

from phase6.demo.clock import format_game_time
from phase6.demo.state import History, PlayerGame

FEATURE_NAMES = (
    "points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_std_last_10", "games_in_last_7_days",
    "fatigue_score", "shot_zone_mismatch_score", "pace_score", "usage_spike_score", "rest_advantage",
    "injury_risk", "recent_trend", "minutes_change", "opponent_def_rating", "opponent_pace", "home_away",
    "back_to_back", "playoff_game", "pct_paint", "pct_mid_range", "pct_three", "pct_free_throw", "team_pace",
    "team_off_rating", "team_win_pct", "vegas_points_line", "vegas_opening_line", "vegas_line_move",
    "has_vegas_line", "avg_points_vs_opponent", "games_vs_opponent", "minutes_avg_last_10", "ppm_avg_last_10",
    "dnp_rate", "pts_slope_10g", "pts_vs_season_zscore", "breakout_flag",
)
INJURY_RISK = {None: 0.0, "available": 0.0, "probable": 1.0, "questionable": 2.0, "doubtful": 3.0, "out": 3.0}
DEFENSE_FROM = date(2025, 11, 4)


class TeamDefense:
    """Each team's fixed defensive factor (0.94-1.06) and the analysis rows that rank consistently with it."""

    def __init__(self, rng: random.Random, teams: list[str]):
        steps = max(1, len(teams) - 1)
        factors = [0.94 + 0.12 * index / steps for index in range(len(teams))]
        rng.shuffle(factors)
        self.factor = dict(zip(teams, factors))
        self.games_played = {team: 0 for team in teams}

    def opponent_points(self, team: str, day_index: int) -> float:
        return round(113.0 * self.factor[team] + 1.5 * math.sin(day_index / 20.0), 1)

    def rows(self, day: date, day_index: int) -> list[tuple]:
        rows = []
        for team in sorted(self.factor):
            factor = self.factor[team]
            allowed = self.opponent_points(team, day_index)
            rows.append((team, day, allowed, round(allowed + 1.2, 2), round(0.55 + (factor - 0.94) * 1.0, 3),
                         round(0.38 + (factor - 0.94) * 0.6, 3), round(0.33 + (factor - 0.94) * 0.5, 3),
                         round(97.0 + 60 * (factor - 0.94), 1), min(15, self.games_played[team])))
        return rows


def fatigue(days_rest: int | None, games_last_7: int, minutes_last_7: float, back_to_backs_14: int,
            age: int) -> tuple[int, str]:
    penalties, bonuses = [], []
    score = 100
    if days_rest == 1:
        score -= 15
        penalties.append("back_to_back: -15")
    if games_last_7 >= 4:
        score -= 5
        penalties.append("games_last_7: -5")
    if minutes_last_7 > 140:
        score -= 5
        penalties.append("minutes_last_7: -5")
    if age >= 33:
        score -= 3
        penalties.append("age: -3")
    if days_rest is not None and days_rest >= 3:
        score += 5
        bonuses.append("extra_rest: +5")
    score = max(0, min(100, score))
    games = max(games_last_7 - 1, 0)
    context = {
        "days_rest": days_rest, "back_to_back": days_rest == 1, "games_last_7": games_last_7,
        "minutes_last_7": round(minutes_last_7, 1),
        "avg_minutes_pg_last_7": round(minutes_last_7 / games, 1) if games else 0.0,
        "back_to_backs_last_14": back_to_backs_14, "player_age": age,
        "penalties_applied": penalties, "bonuses_applied": bonuses, "final_score": score,
    }
    return score, json.dumps(context, sort_keys=True)


def feature_quality(rng: random.Random) -> float | None:
    draw = rng.random()
    if draw < 0.02:
        return None
    if draw < 0.12:
        return round(rng.uniform(80.0, 84.9), 2)
    return round(rng.uniform(85.0, 100.0), 2)


def feature_vector(game: PlayerGame, history: History, defense: TeamDefense, day_index: int) -> list[float]:
    last5 = history.average(5) or 0.0
    last10 = history.average(10) or 0.0
    season = history.average() or 0.0
    std10 = history.std_last_10()
    recent_logs = history.logs[-10:]
    minutes10 = sum(log.minutes for log in recent_logs) / len(recent_logs) if recent_logs else 0.0
    played10 = [log for log in recent_logs if log.played]
    ppm = sum(log.points for log in played10) / max(sum(log.minutes for log in played10), 1.0)
    dnp_rate = 1 - len(played10) / len(recent_logs) if recent_logs else 0.0
    versus = [log.points for log in history.logs if log.played and log.opponent == game.opponent]
    line = game.line
    opponent_factor = defense.factor[game.opponent]
    return [
        round(last5, 2), round(last10, 2), round(season, 2), round(std10, 2), float(game.games_last_7 - 1),
        float(game.fatigue_score), round((opponent_factor - 1.0) * 100, 2), round((opponent_factor - 1.0) * 60, 2),
        round(min(8.0, max(-8.0, last5 - last10)), 2), float(min(3, max(-3, (game.days_rest or 1) - 2))),
        INJURY_RISK[game.context_status], round(min(2.0, max(-2.0, (last5 - season) / 5)), 2),
        round(min(2.0, max(-2.0, (minutes10 - game.player.minutes_base) / 5)), 2),
        round(defense.opponent_points(game.opponent, day_index), 1), round(97.0 + 60 * (opponent_factor - 0.94), 1),
        1.0 if game.is_home else 0.0, 1.0 if game.back_to_back else 0.0, 0.0,
        0.45, 0.2, 0.35, 0.15, 100.0, 112.0, 0.5,
        line.closing if line else 0.0, line.opening if line else 0.0,
        round(line.closing - line.opening, 1) if line else 0.0, 1.0 if line else 0.0,
        round(sum(versus) / len(versus), 2) if versus else 0.0, float(len(versus)), round(minutes10, 2),
        round(min(1.5, ppm), 3), round(dnp_rate, 3), 0.0,
        round(min(4.0, max(-4.0, (last5 - season) / std10)), 2) if std10 else 0.0,
        1.0 if season and last5 > 1.5 * season else 0.0,
    ]


def context_row(game: PlayerGame, history: History) -> dict:
    line = game.line
    return {
        "player_lookup": game.player.lookup, "game_id": game.game.game_id, "game_date": game.game.game_date,
        "team_abbr": game.team, "opponent_team_abbr": game.opponent, "home_game": game.is_home,
        "days_rest": game.days_rest, "back_to_back": game.back_to_back,
        "current_points_line": line.closing if line else None, "opening_points_line": line.opening if line else None,
        "has_prop_line": line is not None, "player_status": game.context_status,
        "game_start_time_local": format_game_time(game.game.tip_et),
        "points_avg_last_5": _round1(history.average(5)), "points_avg_last_10": _round1(history.average(10)),
        "prop_over_streak": history.streak("OVER"), "prop_under_streak": history.streak("UNDER"),
    }


def _round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def composite_row(game: PlayerGame) -> dict:
    return {"player_lookup": game.player.lookup, "game_id": game.game.game_id, "game_date": game.game.game_date,
            "fatigue_score": game.fatigue_score, "fatigue_context_json": game.fatigue_json}


def feature_store_row(game: PlayerGame) -> dict:
    return {
        "player_lookup": game.player.lookup, "game_id": game.game.game_id, "game_date": game.game.game_date,
        "features": game.features, "feature_names": list(FEATURE_NAMES), "feature_count": len(FEATURE_NAMES),
        "feature_version": "v2_37features", "feature_quality_score": game.quality, "is_home": game.is_home,
        "days_rest": game.days_rest, "opponent_team_abbr": game.opponent,
        "data_source": "phase4" if game.quality is not None else "mixed",
    }
