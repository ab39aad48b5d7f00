"""Prediction systems, runs and rows of `player_prop_predictions`."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytz

from phase6.demo.clock import et_to_utc
from phase6.demo.injuries import status_at
from phase6.demo.state import PlayerGame

CHAMPION = "catboost_v9"
V8 = "catboost_v8"
Q43 = "catboost_v9_q43_train1102_0131"
Q45 = "catboost_v9_q45_train1102_0131"
MOVING_AVERAGE = "moving_average"
SIMILARITY = "similarity_balanced_v1"
SYSTEM_ORDER = (CHAMPION, V8, Q43, Q45, MOVING_AVERAGE, SIMILARITY)
CATBOOST_SYSTEMS = (CHAMPION, V8, Q43, Q45)
LIVE_FROM = date(2026, 1, 9)
QUANTILE_FROM = date(2026, 2, 2)
MODEL_B_FROM = date(2026, 2, 1)
QUANTILE_SHIFT = {Q43: -2.0, Q45: -1.4}
CHAMPION_DAY_BIAS = (-0.1, 0.3)
CHAMPION_NOISE = 2.6
# On a few "cold" days the champion under-predicts across the board and is noisier: the RED days.
COLD_DAY_SHARE = 0.12
COLD_DAY_BIAS = (-2.8, 0.4)
COLD_DAY_NOISE = 3.0
V8_DAY_BIAS = (-0.3, 0.6)
V8_NOISE = 4.5
LINE_ANCHOR = 0.1  # weight of the line itself in the CatBoost predictions (features[25])
STAR_AVERAGE = 22.0
STAR_BIAS = -2.0
CHAMPION_GATE = 0.6


@dataclass(frozen=True)
class Model:
    model_version: str
    file_name: str | None
    training_start: date | None
    training_end: date | None
    expected_mae: float | None
    expected_hit_rate: float | None
    trained_at: datetime | None


def _trained(text: str) -> datetime:
    return pytz.utc.localize(datetime.strptime(text, "%Y%m%d_%H%M%S"))


MODEL_A = Model("v9_20260108_120000", "catboost_v9_33features_20260108_120000.cbm", date(2025, 11, 2),
                date(2026, 1, 6), 4.82, 61.8, _trained("20260108_120000"))
MODEL_B = Model("v9_20260201_011018", "catboost_v9_33features_20260201_011018.cbm", date(2025, 11, 2),
                date(2026, 1, 31), 4.71, 62.4, _trained("20260201_011018"))
MODELS = {
    V8: Model("v8_20250930_090000", "catboost_v8_33features_20250930_090000.cbm", date(2021, 11, 1),
              date(2025, 6, 22), 5.05, 57.9, _trained("20250930_090000")),
    Q43: Model(Q43, "catboost_v9_33f_q0.43_train20251102-20260131_20260201_094854.cbm", date(2025, 11, 2),
               date(2026, 1, 31), 4.95, 60.1, _trained("20260201_094854")),
    Q45: Model(Q45, "catboost_v9_33f_q0.45_train20251102-20260131_20260201_103216.cbm", date(2025, 11, 2),
               date(2026, 1, 31), 4.90, 59.3, _trained("20260201_103216")),
    MOVING_AVERAGE: Model("v1", None, None, None, None, None, None),
    SIMILARITY: Model("v1", None, None, None, None, None, None),
}


@dataclass(frozen=True)
class Run:
    mode: str
    instant: datetime
    status_hour: int
    scope: float
    subset_trigger: str | None


LIVE_RUNS = (("OVERNIGHT", time(2, 30), 1.0, "overnight"), ("EARLY", time(8, 0), 0.0, None),
             ("SAME_DAY", time(11, 30), 1.0, "same_day"), ("LINE_CHECK", time(15, 0), 0.15, None),
             ("PRE_GAME", time(17, 30), 0.15, "line_check"), ("LAST_CALL", time(18, 45), 0.10, "export"))
EARLY_EXTRA_SHARE = 0.08


def runs_for_day(day: date, as_of_date: date, as_of_time: time) -> list[Run]:
    if day < LIVE_FROM and day != as_of_date:
        return [Run("BACKFILL", et_to_utc(day + timedelta(days=1), time(5, 0)), 24, 1.0, "backfill")]
    runs = []
    for mode, clock, scope, trigger in LIVE_RUNS:
        if day == as_of_date and clock >= as_of_time:
            continue
        status_hour = max([h for h in (1, 13, 17, 19) if h <= clock.hour], default=0)
        runs.append(Run(mode, et_to_utc(day, clock), status_hour, scope, trigger))
    return runs


@dataclass
class Candidate:
    game: PlayerGame
    line_kind: str  # real, estimated, none, placeholder
    line: float | None
    base_prediction: float
    confidence: float
    similar_games: int | None = None
    model: Model | None = None


@dataclass(frozen=True)
class Deploy:
    commit_sha: str
    revision: str


def draw_deploys(rng: random.Random, count: int) -> list[Deploy]:
    deploys = []
    for index in range(count):
        suffix = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3))
        deploys.append(Deploy(f"{rng.getrandbits(160):040x}", f"prediction-worker-{42 + index:05d}-{suffix}"))
    return deploys


def draw_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def catboost_confidence(rng: random.Random, quality: float | None, std_last_10: float) -> float:
    if rng.random() < 0.01:
        return 50.0
    quality_bonus = 2 if quality is None or quality < 85 else 5 if quality < 90 else 7 if quality < 95 else 10
    std_bonus = 10 if std_last_10 < 4 else 7 if std_last_10 < 6 else 5 if std_last_10 < 8 else 2
    return 75.0 + quality_bonus + std_bonus


def recommend(predicted: float, line: float | None, line_kind: str, confidence: float, catboost: bool) -> str:
    if line is None:
        return "NO_LINE"
    margin = round(predicted - line, 2)
    if line_kind == "estimated":
        return "OVER" if margin > 0 else "UNDER" if margin < 0 else "PASS"
    if catboost and confidence < 60:
        return "PASS"
    return "OVER" if margin >= 1.0 else "UNDER" if margin <= -1.0 else "PASS"


def _estimated_line(game: PlayerGame) -> float:
    return round(game.features[1] * 2) / 2


def _clip(value: float) -> float:
    return round(min(60.0, max(0.0, value)), 1)


@dataclass(frozen=True)
class DayModel:
    """The day's draws shared by all of a system's predictions."""
    champion_bias: float
    champion_noise: float
    champion_model: Model
    v8_bias: float


def _draw_day(rng: random.Random, day: date) -> DayModel:
    cold_day = rng.random() < COLD_DAY_SHARE
    champion_bias = rng.gauss(*(COLD_DAY_BIAS if cold_day else CHAMPION_DAY_BIAS))
    champion_noise = COLD_DAY_NOISE if cold_day else CHAMPION_NOISE
    return DayModel(champion_bias, champion_noise, MODEL_B if day >= MODEL_B_FROM else MODEL_A,
                    rng.gauss(*V8_DAY_BIAS))


def build_pools(rng: random.Random, day: date, games: list[PlayerGame],
                old_model_games: set[tuple[str, str]]) -> dict[str, list[Candidate]]:
    """Who each system predicts today, with each candidate's base prediction."""
    day_model = _draw_day(rng, day)
    pools: dict[str, list[Candidate]] = {system: [] for system in SYSTEM_ORDER}
    for game in games:
        eligible = status_at(game.listing, 1) != "out" and game.features[1] > 0
        model = MODEL_A if game.key in old_model_games else day_model.champion_model
        if game.line:
            _add_lined_catboost(rng, pools, game, day, day_model, model)
        elif eligible and rng.random() < 0.16:
            pools[V8].append(Candidate(game, "estimated", _estimated_line(game),
                                       _clip(game.mean + day_model.v8_bias + rng.gauss(0.0, V8_NOISE)),
                                       catboost_confidence(rng, game.quality, game.features[3]), model=MODELS[V8]))
        if eligible:
            _add_rule_based(rng, pools, game)
    return pools


def _add_lined_catboost(rng: random.Random, pools: dict[str, list[Candidate]], game: PlayerGame, day: date,
                        day_model: DayModel, champion_model: Model) -> None:
    line = game.line.closing
    std10 = game.features[3]
    star_bias = STAR_BIAS if game.features[2] >= STAR_AVERAGE else 0.0
    champion_value = (_anchored(game.mean + rng.gauss(0.0, day_model.champion_noise), line)
                      + day_model.champion_bias + star_bias)
    if rng.random() < CHAMPION_GATE:
        pools[CHAMPION].append(Candidate(game, "real", line, _clip(champion_value),
                                         catboost_confidence(rng, game.quality, std10), model=champion_model))
        if day >= QUANTILE_FROM:
            for system in (Q43, Q45):
                pools[system].append(Candidate(game, "real", line, _clip(champion_value + QUANTILE_SHIFT[system]),
                                               catboost_confidence(rng, game.quality, std10), model=MODELS[system]))
    v8_value = _anchored(game.mean + rng.gauss(0.0, V8_NOISE), line) + day_model.v8_bias
    pools[V8].append(Candidate(game, "real", line, _clip(v8_value), catboost_confidence(rng, game.quality, std10),
                               model=MODELS[V8]))


def _add_rule_based(rng: random.Random, pools: dict[str, list[Candidate]], game: PlayerGame) -> None:
    line_kind, line = _rule_based_line(rng, game)
    moving_average = _clip(_moving_average(rng, game, line_kind, line))
    pools[MOVING_AVERAGE].append(Candidate(game, line_kind, line, moving_average, round(rng.uniform(45.0, 75.0), 2),
                                           model=MODELS[MOVING_AVERAGE]))
    if rng.random() < 0.75:
        value = 0.5 * game.features[1] + 0.5 * game.features[2] + rng.gauss(0.0, 1.5)
        pools[SIMILARITY].append(Candidate(game, line_kind, line, _clip(value), round(rng.uniform(40.0, 80.0), 2),
                                           similar_games=rng.randint(5, 40), model=MODELS[SIMILARITY]))


def _anchored(value: float, line: float) -> float:
    return (1 - LINE_ANCHOR) * value + LINE_ANCHOR * line


def _moving_average(rng: random.Random, game: PlayerGame, line_kind: str, line: float | None) -> float:
    """Last-10 average; against a real line it mostly echoes the market, so it has almost no edge."""
    if line_kind != "real":
        return game.features[1] + rng.gauss(0.0, 0.5)
    return line + 0.04 * (game.features[1] - line) + rng.gauss(0.0, 2.2)


def _rule_based_line(rng: random.Random, game: PlayerGame) -> tuple[str, float | None]:
    if game.line:
        return "real", game.line.closing
    if rng.random() < 0.7:
        return "estimated", _estimated_line(game)
    return "none", None


class PredictionWriter:
    """Executes the day's runs: writes rows and supersedes earlier rows for the same key."""

    def __init__(self, rng: random.Random, deploys: list[Deploy], deploy_start: date):
        self.rng = rng
        self.deploys = deploys
        self.deploy_start = deploy_start
        self.rows: list[dict] = []

    def run_day(self, day: date, runs: list[Run], pools: dict[str, list[Candidate]],
                leak_keys: set[tuple[str, str, str]]) -> list[dict]:
        latest: dict[tuple[str, str, str], dict] = {}
        day_rows: list[dict] = []
        deploy = self.deploys[min(len(self.deploys) - 1, (day - self.deploy_start).days // 14)]
        for run in runs:
            for system in SYSTEM_ORDER:
                for candidate in pools.get(system, []):
                    if not self._selected(run, candidate):
                        continue
                    key = (system, candidate.game.player.lookup, candidate.game.game.game_id)
                    previous = latest.get(key)
                    row = self._row(system, candidate, run, deploy, previous is not None)
                    if previous is not None and not (key in leak_keys and previous["current_points_line"]
                                                     != row["current_points_line"]):
                        previous.update(is_active=False, superseded_by=row["prediction_id"], updated_at=run.instant)
                    latest[key] = row
                    day_rows.append(row)
        self.rows.extend(day_rows)
        return day_rows

    def _selected(self, run: Run, candidate: Candidate) -> bool:
        game = candidate.game
        if run.mode != "BACKFILL" and run.instant >= game.game.tip_utc:
            return False
        if status_at(game.listing, run.status_hour) == "out":
            return False
        if run.scope >= 1.0:
            return True
        if run.mode == "EARLY":
            moved = candidate.line_kind == "real" and game.line is not None and game.line.moved
            return moved or self.rng.random() < EARLY_EXTRA_SHARE
        return self.rng.random() < run.scope

    def _row(self, system: str, candidate: Candidate, run: Run, deploy: Deploy, rerun: bool) -> dict:
        rng = self.rng
        game = candidate.game
        line = candidate.line
        if candidate.line_kind == "real" and run.mode == "OVERNIGHT":
            line = game.line.opening
        predicted = candidate.base_prediction
        if rerun:
            predicted = _clip(predicted + rng.uniform(-0.3, 0.3))
        catboost = system in CATBOOST_SYSTEMS
        recommendation = recommend(predicted, line, candidate.line_kind, candidate.confidence, catboost)
        created = run.instant + timedelta(seconds=rng.randint(5, 180))
        status = status_at(game.listing, run.status_hour)
        status = None if status == "available" else status
        edge = abs(predicted - line) if line is not None else None
        model = candidate.model
        quality = game.quality
        return {
            "prediction_id": draw_uuid(rng),
            "system_id": system,
            "player_lookup": game.player.lookup,
            "universal_player_id": game.player.universal_id,
            "game_id": game.game.game_id,
            "game_date": game.game.game_date,
            "prediction_version": 1,
            "predicted_points": predicted,
            "confidence_score": candidate.confidence,
            "recommendation": recommendation,
            "has_prop_line": candidate.line_kind in ("real", "placeholder"),
            "current_points_line": line,
            "line_margin": round(predicted - line, 2) if line is not None else None,
            "line_source": {"real": "ACTUAL_PROP", "placeholder": "ACTUAL_PROP", "estimated": "ESTIMATED_AVG",
                            "none": "NO_PROP_LINE"}[candidate.line_kind],
            "line_source_api": (("ODDS_API" if rng.random() < 0.8 else "BETTINGPROS")
                                if candidate.line_kind == "real" else "ESTIMATED" if line is not None else None),
            "sportsbook": rng.choice(("DRAFTKINGS", "FANDUEL", "BETMGM")) if candidate.line_kind == "real" else None,
            "pace_adjustment": 0.0 if catboost else round(rng.uniform(-2.0, 2.0), 2),
            "similar_games_count": candidate.similar_games,
            "is_active": True,
            "superseded_by": None,
            "invalidation_reason": None,
            "is_actionable": edge is not None and edge >= 3,
            "filter_reason": None if edge is not None and edge >= 3 else "low_edge",
            "injury_status_at_prediction": status.upper() if status else None,
            "injury_flag_at_prediction": status is not None,
            "model_version": model.model_version if system not in (Q43, Q45) else system,
            "feature_quality_score": quality,
            "default_feature_count": 0,
            "is_quality_ready": quality is not None and quality >= 85,
            "quality_alert_level": "green" if quality is not None and quality >= 85 else
                                   "yellow" if quality is not None else "red",
            "prediction_made_before_game": run.mode != "BACKFILL",
            "prediction_run_mode": run.mode,
            "model_file_name": model.file_name,
            "model_training_start_date": model.training_start,
            "model_training_end_date": model.training_end,
            "model_expected_mae": model.expected_mae,
            "model_expected_hit_rate": model.expected_hit_rate,
            "model_trained_at": model.trained_at,
            "build_commit_sha": deploy.commit_sha,
            "deployment_revision": deploy.revision,
            "predicted_at": created,
            "created_at": created,
            "updated_at": None,
        }


def mark_holds(rng: random.Random, day_rows: list[dict], update_time: datetime) -> None:
    """A later line-backfill update turns a few non-champion rows into HOLD (≤ 1 %)."""
    for row in day_rows:
        if (row["is_active"] and row["system_id"] != CHAMPION and row["line_source"] == "ACTUAL_PROP"
                and abs(row["line_margin"]) <= 2 and rng.random() < 0.006):
            row.update(recommendation="HOLD", updated_at=update_time)


def deactivate_system(day_rows: list[dict], system: str, update_time: datetime) -> None:
    for row in day_rows:
        if row["system_id"] == system and row["is_active"]:
            row.update(is_active=False, superseded_by=None, updated_at=update_time)


def make_placeholder(row: dict) -> None:
    """Turns an estimated-line row into a legacy 20.0 placeholder line (excluded from grading)."""
    row.update(current_points_line=20.0, line_source="ACTUAL_PROP", has_prop_line=True, line_source_api="ODDS_API",
               sportsbook="DRAFTKINGS", line_margin=round(row["predicted_points"] - 20.0, 2),
               recommendation=recommend(row["predicted_points"], 20.0, "real", row["confidence_score"], True))
