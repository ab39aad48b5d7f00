"""Actual points, player_game_summary, box scores and final scores."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from phase6.demo.calendar import Game
from phase6.demo.clock import season_year
from phase6.demo.injuries import final_status, plays
from phase6.demo.state import PlayerGame

GAME_LENGTH = timedelta(hours=2, minutes=30)
PERIOD_TEXT = {1: "1st Qtr", 2: "2nd Qtr", 3: "3rd Qtr", 4: "4th Qtr"}
TEAMMATE_SHARING = 0.5


@dataclass
class BoxLine:
    """One player's stat line."""
    points: int
    minutes: float
    threes: int
    free_throws: int
    twos: int
    rebounds: tuple[int, int]
    assists: int
    steals: int
    blocks: int
    turnovers: int


@dataclass
class GameResult:
    game: Game
    players: list[PlayerGame]
    lines: dict[str, BoxLine]
    overtime: bool

    def score(self, team: str) -> int:
        return sum(pg.points for pg in self.players if pg.team == team and pg.plays)


def draw_points(rng: random.Random, mean: float) -> int:
    return max(0, round(mean + rng.gauss(0.0, max(3.5, 0.38 * mean))))


def _box_line(rng: random.Random, points: int, minutes: float) -> BoxLine:
    threes = min(points // 3, round(points * rng.uniform(0.0, 0.45) / 3))
    rest = points - 3 * threes
    free_throws = min(rest, round(rest * rng.uniform(0.1, 0.25)))
    if (rest - free_throws) % 2:
        free_throws += 1
    twos = (rest - free_throws) // 2
    scale = minutes / 30.0
    return BoxLine(points, minutes, threes, free_throws, twos,
                   (round(rng.uniform(0, 2.5) * scale), round(rng.uniform(1, 7) * scale)),
                   round(rng.uniform(0, 6) * scale), round(rng.uniform(0, 1.5) * scale),
                   round(rng.uniform(0, 1.2) * scale), round(rng.uniform(0, 3) * scale))


def play_game(rng: random.Random, game: Game, players: list[PlayerGame]) -> GameResult:
    """Decides who plays and draws every stat line; ties go to overtime with a made basket."""
    dressed = [pg for pg in players if final_status(pg.listing) != "out"]
    for pg in dressed:
        pg.plays = plays(rng, final_status(pg.listing))
        if pg.plays:
            pg.minutes = round(max(1.0, min(48.0, rng.gauss(pg.player.minutes_base, 4.0))), 1)
            pg.points = draw_points(rng, pg.mean)
    for team in (game.away, game.home):
        _share_usage([pg for pg in dressed if pg.team == team and pg.plays])
    result = GameResult(game, players, {}, overtime=rng.random() < 0.04)
    if result.score(game.home) == result.score(game.away):
        max((pg for pg in dressed if pg.team == game.home and pg.plays), key=lambda pg: pg.points).points += 2
        result.overtime = True
    result.lines.update((pg.player.lookup, _box_line(rng, pg.points, pg.minutes)) for pg in dressed)
    return result


def _share_usage(teammates: list[PlayerGame]) -> None:
    """Teammates share one pool of shots: part of the team's total deviation is taken back pro rata."""
    total_mean = sum(pg.mean for pg in teammates)
    if total_mean <= 0:
        return
    deviation = sum(pg.points - pg.mean for pg in teammates)
    for pg in teammates:
        pg.points = max(0, pg.points - round(TEAMMATE_SHARING * deviation * pg.mean / total_mean))


def summary_rows(result: GameResult, starters: set[str]) -> list[dict]:
    game = result.game
    rows = []
    for pg in result.players:
        line = result.lines.get(pg.player.lookup)
        if line is None:
            continue
        won = result.score(pg.team) > result.score(pg.opponent)
        points_line = pg.line.closing if pg.line and pg.plays else None
        rows.append({
            "player_lookup": pg.player.lookup, "game_id": game.game_id, "game_date": game.game_date,
            "team_abbr": pg.team, "opponent_team_abbr": pg.opponent, "season_year": season_year(game.game_date),
            "player_full_name": pg.player.name, "points": pg.points, "minutes_played": pg.minutes,
            "fg_makes": line.twos + line.threes, "fg_attempts": round((line.twos + line.threes) / 0.47),
            "three_pt_makes": line.threes, "three_pt_attempts": round(line.threes / 0.36),
            "ft_makes": line.free_throws, "ft_attempts": round(line.free_throws / 0.8),
            "offensive_rebounds": line.rebounds[0], "defensive_rebounds": line.rebounds[1], "assists": line.assists,
            "steals": line.steals, "blocks": line.blocks, "turnovers": line.turnovers,
            "starter_flag": pg.player.lookup in starters, "win_flag": won, "points_line": points_line,
            "opening_line": pg.line.opening if pg.line and pg.plays else None,
            "over_under_result": None if points_line is None else "OVER" if pg.points >= points_line else "UNDER",
            "margin": None if points_line is None else round(pg.points - points_line, 2),
            "is_active": pg.plays, "is_dnp": not pg.plays, "player_status": "active" if pg.plays else "dnp",
        })
    return rows


def boxscore_rows(result: GameResult, processed_at: datetime, fraction: float = 1.0) -> list[dict]:
    """bdl_player_boxscores rows; `fraction` < 1 scales stats for an in-progress game."""
    game = result.game
    final = fraction >= 1.0
    period = (5 if result.overtime else 4) if final else min(4, 1 + int(fraction * 4))
    status = "Final" if final else PERIOD_TEXT[period]
    scaled = {lookup: _scaled(line, fraction) for lookup, line in result.lines.items()}
    team_score = {team: sum(scaled[pg.player.lookup].points for pg in result.players
                            if pg.team == team and pg.player.lookup in scaled)
                  for team in (game.home, game.away)}
    rows = []
    for pg in result.players:
        line = scaled.get(pg.player.lookup)
        if line is None:
            continue
        minutes = int(line.minutes)
        rows.append({
            "game_id": game.game_id, "game_date": game.game_date, "season_year": season_year(game.game_date),
            "game_status": status, "period": period, "home_team_abbr": game.home, "away_team_abbr": game.away,
            "team_abbr": pg.team, "home_team_score": team_score[game.home], "away_team_score": team_score[game.away],
            "player_lookup": pg.player.lookup, "player_full_name": pg.player.name, "bdl_player_id": pg.player.bdl_id,
            "minutes": f"{minutes:02d}:{round((line.minutes - minutes) * 60) % 60:02d}", "points": line.points,
            "rebounds": sum(line.rebounds), "assists": line.assists, "steals": line.steals, "blocks": line.blocks,
            "turnovers": line.turnovers, "field_goals_made": line.twos + line.threes,
            "field_goals_attempted": round((line.twos + line.threes) / 0.47), "three_pointers_made": line.threes,
            "three_pointers_attempted": round(line.threes / 0.36), "free_throws_made": line.free_throws,
            "free_throws_attempted": round(line.free_throws / 0.8), "processed_at": processed_at,
        })
    return rows


def _scaled(line: BoxLine, fraction: float) -> BoxLine:
    if fraction >= 1.0:
        return line
    threes, free_throws, twos = (int(line.threes * fraction), int(line.free_throws * fraction),
                                 int(line.twos * fraction))
    return BoxLine(3 * threes + free_throws + 2 * twos, round(line.minutes * fraction, 1), threes, free_throws, twos,
                   (int(line.rebounds[0] * fraction), int(line.rebounds[1] * fraction)), int(line.assists * fraction),
                   int(line.steals * fraction), int(line.blocks * fraction), int(line.turnovers * fraction))
