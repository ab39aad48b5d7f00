"""The day-by-day simulation that produces every base table."""
from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable

from phase6.demo.calendar import ALL_STAR_BREAK, Game, build_schedule, game_days, season_teams
from phase6.demo.clock import et_to_utc, parse_hhmm, season_label, season_year
from phase6.demo.edge_cases import plan_edge_cases
from phase6.demo.features import (DEFENSE_FROM, TeamDefense, composite_row, context_row, fatigue, feature_quality,
                                  feature_store_row, feature_vector)
from phase6.demo.injuries import REPORT_HOURS, InjuryBook, final_status, listing_for, status_at
from phase6.demo.lines import MIN_SEASON_AVERAGE_FOR_LINE, bettingpros_rows, draw_line
from phase6.demo.outcomes import GAME_LENGTH, GameResult, boxscore_rows, play_game, summary_rows
from phase6.demo.params import DemoParams
from phase6.demo.players import Player, build_rosters, registry_rows, schedule_trades
from phase6.demo.predictions import (CHAMPION, V8, PredictionWriter, Run, build_pools, deactivate_system,
                                     draw_deploys, make_placeholder, mark_holds, runs_for_day)
from phase6.demo.state import GameLog, History, PlayerGame

TRADE_WINDOW = (date(2025, 12, 15), date(2026, 2, 5))


@dataclass(frozen=True)
class SubsetVersion:
    game_date: date
    computed_at: datetime
    trigger_source: str

    @property
    def version_id(self) -> str:
        return self.computed_at.strftime("v_%Y%m%d_%H%M%S")


@dataclass
class SeasonData:
    rows: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    versions: list[SubsetVersion] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)


class Season:
    def __init__(self, params: DemoParams, progress: Callable[[str, int, int], None]):
        self.params = params
        self.progress = progress
        self.rng = random.Random(params.seed)
        self.as_of_time = parse_hhmm(params.as_of_time_et)
        self.teams = season_teams(params.teams)
        self.schedule = build_schedule(self.rng, self.teams, params.season_start, params.season_end)
        self.players = build_rosters(self.rng, self.teams, params.players_per_team)
        schedule_trades(self.rng, self.players, self.teams, *TRADE_WINDOW)
        self.defense = TeamDefense(self.rng, self.teams)
        self.days = game_days(params.season_start, params.season_end)
        self.edge = plan_edge_cases(params.edge_cases, sorted({g.game_date for g in self.schedule}),
                                    params.predictions_start, params.as_of_date)
        deploy_windows = max(1, (params.as_of_date - params.predictions_start).days // 14 + 1)
        self.predictions = PredictionWriter(self.rng, draw_deploys(self.rng, deploy_windows), params.predictions_start)
        self.histories: dict[str, History] = {player.lookup: History() for player in self.players}
        self.injuries = InjuryBook()
        self.results: dict[str, GameResult] = {}
        self.data = SeasonData()

    def simulate(self) -> SeasonData:
        games_by_day: dict[date, list[Game]] = defaultdict(list)
        for game in self.schedule:
            games_by_day[game.game_date].append(game)
        simulated_days = [day for day in sorted(games_by_day) if day <= self.params.as_of_date]
        for index, day in enumerate(simulated_days):
            self._simulate_day(day, games_by_day[day], self.days.index(day))
            self.progress("simulate season", index + 1, len(simulated_days))
        rows = self.data.rows
        rows["nba_raw.nbac_schedule"] = self._schedule_rows()
        rows["nba_reference.nba_players_registry"] = registry_rows(self.players)
        rows["nba_predictions.player_prop_predictions"] = self.predictions.rows
        self._record_notes()
        return self.data

    def _roster(self, team: str, day: date) -> list[Player]:
        return sorted((p for p in self.players if p.team_on(day) == team), key=lambda p: p.lookup)

    def _simulate_day(self, day: date, games: list[Game], day_index: int) -> None:
        params = self.params
        rows = self.data.rows
        is_as_of = day == params.as_of_date
        hours = tuple(h for h in REPORT_HOURS if not is_as_of or h <= self.as_of_time.hour)
        if day >= DEFENSE_FROM and day not in self.edge.missing_defense_days:
            rows["nba_precompute.team_defense_zone_analysis"].extend(self.defense.rows(day, day_index))
        player_games = [self._player_game(day, game, team, player, hours, day_index)
                        for game in games for team in (game.away, game.home) for player in self._roster(team, day)]
        for pg in player_games:
            rows["nba_raw.nbac_injury_report"].extend(self._injury_rows(pg))
            rows["nba_analytics.upcoming_player_game_context"].append(context_row(pg, self.histories[pg.player.lookup]))
            rows["nba_precompute.player_composite_factors"].append(composite_row(pg))
            if day >= params.predictions_start:
                rows["nba_predictions.ml_feature_store_v2"].append(feature_store_row(pg))
        if day >= params.predictions_start:
            self._predict(day, player_games)
        self._props(day, player_games)
        if day < params.as_of_date:
            self._play(day, games, player_games)
        elif params.live_snapshot_et:
            self._live_snapshot(day, games, player_games)

    def _player_game(self, day: date, game: Game, team: str, player: Player, hours: tuple[int, ...],
                     day_index: int) -> PlayerGame:
        rng = self.rng
        history = self.histories[player.lookup]
        is_home = team == game.home
        opponent = game.away if is_home else game.home
        recent = [d for d in history.scheduled if (day - d).days <= 6]
        last_14 = [d for d in history.scheduled if (day - d).days <= 14] + [day]
        days_rest = (day - history.scheduled[-1]).days if history.scheduled else None
        player.form = min(1.1, max(0.9, player.form * math.exp(rng.gauss(0.0, 0.03))))
        mean = (player.season_mean * (1.02 if is_home else 0.98) * (0.95 if days_rest == 1 else 1.0)
                * self.defense.factor[opponent] * player.form)
        listing = listing_for(rng, self.injuries, player.lookup, player.tier, day, hours)
        pg = PlayerGame(player, game, team, opponent, is_home, days_rest, len(recent) + 1,
                        history.minutes_between(day - timedelta(days=6), day - timedelta(days=1)),
                        sum(1 for a, b in zip(last_14, last_14[1:]) if (b - a).days == 1), mean, listing,
                        final_status(listing) or "available")
        if (player.season_mean >= MIN_SEASON_AVERAGE_FOR_LINE and status_at(listing, 1) != "out"
                and day != self.edge.no_lines_day):
            pg.line = draw_line(rng, mean)
        pg.fatigue_score, pg.fatigue_json = fatigue(days_rest, pg.games_last_7, pg.minutes_last_7,
                                                    pg.back_to_backs_last_14, player.age)
        pg.features = feature_vector(pg, history, self.defense, day_index)
        if day >= self.params.predictions_start:
            pg.quality = feature_quality(rng)
        return pg

    def _injury_rows(self, pg: PlayerGame) -> list[dict]:
        if pg.listing is None:
            return []
        game = pg.game
        return [{"report_date": game.game_date, "report_hour": hour, "game_date": game.game_date,
                 "game_id": game.game_id, "team": pg.team, "player_lookup": pg.player.lookup,
                 "player_full_name": pg.player.name, "injury_status": status, "reason": pg.listing.reason,
                 "reason_category": pg.listing.category}
                for hour, status in sorted(pg.listing.status_by_hour.items())]

    def _predict(self, day: date, player_games: list[PlayerGame]) -> None:
        edge = self.edge
        old_model_keys = set()
        if day in edge.old_model_days:
            lined = [pg.key for pg in player_games if pg.line]
            old_model_keys = set(lined[:edge.old_model_players])
        pools = build_pools(self.rng, day, player_games, old_model_keys)
        leak_keys = set()
        if day in edge.two_active_days:
            moved = [c for c in pools[CHAMPION] if c.game.line.moved]
            if moved:
                leak_keys = {(CHAMPION, moved[0].game.player.lookup, moved[0].game.game.game_id)}
                self.data.notes.setdefault("two_active_rows", []).append(
                    {"game_date": day.isoformat(), "player_lookup": moved[0].game.player.lookup})
        runs = runs_for_day(day, self.params.as_of_date, self.as_of_time)
        day_rows = self.predictions.run_day(day, runs, pools, leak_keys)
        self._record_versions(day, runs)
        if day >= self.params.as_of_date:
            return
        next_morning = et_to_utc(day + timedelta(days=1), time(6, 0))
        if edge.holds:
            mark_holds(self.rng, day_rows, next_morning)
        if day == edge.no_champion_day:
            deactivate_system(day_rows, CHAMPION, next_morning)
        if day in edge.placeholder_days:
            estimated = [row for row in day_rows
                         if row["is_active"] and row["system_id"] == V8 and row["line_source"] == "ESTIMATED_AVG"]
            if estimated:
                make_placeholder(estimated[0])

    def _record_versions(self, day: date, runs: list[Run]) -> None:
        for run in runs:
            if run.subset_trigger:
                self.data.versions.append(SubsetVersion(day, run.instant + timedelta(minutes=5), run.subset_trigger))

    def _props(self, day: date, player_games: list[PlayerGame]) -> None:
        bogus = day in self.edge.bogus_odds_days
        cutoff = et_to_utc(day, self.as_of_time) if day == self.params.as_of_date else None
        for pg in player_games:
            if not pg.line:
                continue
            updated = pg.game.tip_utc - timedelta(minutes=30)
            if cutoff and cutoff < updated:
                updated = cutoff - timedelta(minutes=5)
            for row in bettingpros_rows(self.rng, day, pg.player.lookup, pg.player.name, pg.team, pg.line,
                                        updated, bogus):
                self.data.rows["nba_raw.bettingpros_player_points_props"].append(row)
            bogus = False

    def _play(self, day: date, games: list[Game], player_games: list[PlayerGame]) -> None:
        rows = self.data.rows
        by_game = defaultdict(list)
        for pg in player_games:
            by_game[pg.game.game_id].append(pg)
        for game in games:
            result = play_game(self.rng, game, by_game[game.game_id])
            self.results[game.game_id] = result
            summaries = summary_rows(result, self._starters(result))
            rows["nba_analytics.player_game_summary"].extend(summaries)
            rows["nba_raw.bdl_player_boxscores"].extend(boxscore_rows(result, game.tip_utc + timedelta(hours=3)))
            for team in (game.away, game.home):
                self.defense.games_played[team] += 1
            self._update_histories(by_game[game.game_id], {row["player_lookup"]: row for row in summaries})

    def _starters(self, result: GameResult) -> set[str]:
        starters = set()
        for team in (result.game.away, result.game.home):
            playing = [pg for pg in result.players if pg.team == team and pg.plays]
            playing.sort(key=lambda pg: (-pg.player.season_mean, pg.player.lookup))
            starters.update(pg.player.lookup for pg in playing[:5])
        return starters

    def _update_histories(self, player_games: list[PlayerGame], summaries: dict[str, dict]) -> None:
        for pg in player_games:
            history = self.histories[pg.player.lookup]
            history.scheduled.append(pg.game.game_date)
            summary = summaries.get(pg.player.lookup)
            history.logs.append(GameLog(pg.game.game_date, pg.opponent, pg.points, pg.minutes, pg.plays,
                                        summary["over_under_result"] if summary else None))
            if pg.plays:
                pg.player.games_by_team[pg.team] = pg.player.games_by_team.get(pg.team, 0) + 1

    def _live_snapshot(self, day: date, games: list[Game], player_games: list[PlayerGame]) -> None:
        snapshot = et_to_utc(day, parse_hhmm(self.params.live_snapshot_et))
        by_game = defaultdict(list)
        for pg in player_games:
            by_game[pg.game.game_id].append(pg)
        for game in games:
            if game.tip_utc > snapshot:
                continue
            result = play_game(self.rng, game, by_game[game.game_id])
            fraction = min(1.0, (snapshot - game.tip_utc) / GAME_LENGTH)
            self.results[game.game_id] = result
            self.data.rows["nba_raw.bdl_player_boxscores"].extend(boxscore_rows(result, snapshot, fraction))
            self.data.notes.setdefault("live_fraction", {})[game.game_id] = fraction

    def _schedule_rows(self) -> list[dict]:
        rows = []
        live = self.data.notes.get("live_fraction", {})
        for game in self.schedule:
            result = self.results.get(game.game_id)
            fraction = live.get(game.game_id, 1.0)
            status = 3 if result and fraction >= 1.0 else 2 if result else 1
            final = status == 3
            row = {
                "game_id": game.official_id, "game_date": game.game_date, "game_date_est": game.tip_utc,
                "game_status": status, "game_status_text": {1: "Scheduled", 2: "In Progress", 3: "Final"}[status],
                "home_team_tricode": game.home, "away_team_tricode": game.away,
                "home_team_score": result.score(game.home) if final else None,
                "away_team_score": result.score(game.away) if final else None,
                "season_year": season_year(game.game_date), "season_nba_format": season_label(game.game_date),
                "is_regular_season": True, "data_source": "api_stats",
            }
            rows.append(row)
            if self.rng.random() < 0.30:
                rows.append(dict(row, data_source="cdn_static"))
        return rows

    def _record_notes(self) -> None:
        edge = self.edge
        notes = self.data.notes
        notes.pop("live_fraction", None)
        notes.update({
            "no_champion_day": edge.no_champion_day,
            "old_model_days": list(edge.old_model_days),
            "placeholder_line_days": list(edge.placeholder_days),
            "missing_defense_dates": list(edge.missing_defense_days),
            "bogus_odds_dates": list(edge.bogus_odds_days),
            "no_lines_day": edge.no_lines_day,
            "traded_players": sorted(p.lookup for p in self.players if p.trade),
            "stale_out_players": [{"player_lookup": lookup, "returned": day}
                                  for lookup, day in self.injuries.returned[:5]],
            "off_days": [day for day in sorted(set(self._all_days()) - set(self.days))],
            "all_star_break": [day for day in ALL_STAR_BREAK if self.params.season_start <= day <= self.params.season_end],
        })

    def _all_days(self) -> list[date]:
        first, last = self.params.season_start, self.params.season_end
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
