"""The generator self-test and its calibration metrics."""
from __future__ import annotations

import json

import duckdb

from phase6.demo import derived
from phase6.demo.params import DemoParams
from phase6.demo.predictions import CHAMPION, MOVING_AVERAGE, Q43, Q45, V8
from phase6.warehouse.schema import TABLES


class DemoSelfTestError(RuntimeError):
    def __init__(self, failures: list[str]):
        self.failures = failures
        super().__init__("demo self-test failed:\n" + "\n".join(f"- {failure}" for failure in failures))


SCHEDULE_GAMES = """
SELECT DISTINCT game_date, home_team_tricode AS home, away_team_tricode AS away,
       strftime(game_date, '%Y%m%d') || '_' || away_team_tricode || '_' || home_team_tricode AS game_id
FROM nba_raw.nbac_schedule WHERE game_date >= $season_start AND game_date <= $season_end
"""
GAME_ID_TABLES = (
    "nba_predictions.player_prop_predictions", "nba_predictions.prediction_accuracy",
    "nba_predictions.ml_feature_store_v2", "nba_predictions.current_subset_picks",
    "nba_analytics.player_game_summary", "nba_analytics.upcoming_player_game_context",
    "nba_precompute.player_composite_factors", "nba_raw.nbac_injury_report", "nba_raw.bdl_player_boxscores",
)


def _in_season(alias: str = "", column: str = "game_date") -> str:
    qualified = f"{alias}.{column}" if alias else column
    return f"{qualified} >= $season_start AND {qualified} <= $season_end"


SEASON_FILTER = _in_season()


def _game_id_checks() -> dict[str, str]:
    checks = {}
    for table in GAME_ID_TABLES:
        checks[f"{table}: game_id matches a schedule game on its date"] = f"""
            SELECT COUNT(*) FROM {table} t
            LEFT JOIN ({SCHEDULE_GAMES}) g ON g.game_id = t.game_id AND g.game_date = t.game_date
            WHERE t.{TABLES[table].partition_column} >= $season_start
              AND t.{TABLES[table].partition_column} <= $season_end AND g.game_id IS NULL"""
    for table in ("nba_analytics.player_game_summary", "nba_analytics.upcoming_player_game_context"):
        checks[f"{table}: team and opponent agree with the schedule"] = f"""
            SELECT COUNT(*) FROM {table} t JOIN ({SCHEDULE_GAMES}) g ON g.game_id = t.game_id
            WHERE {_in_season('t')} AND NOT ((t.team_abbr = g.home AND t.opponent_team_abbr = g.away)
                                             OR (t.team_abbr = g.away AND t.opponent_team_abbr = g.home))"""
    checks["nbac_schedule: one official id per game and one game per official id"] = f"""
        SELECT (SELECT COUNT(*) FROM (SELECT game_id FROM nba_raw.nbac_schedule WHERE {SEASON_FILTER}
                GROUP BY game_id HAVING COUNT(DISTINCT (game_date, home_team_tricode, away_team_tricode)) > 1))
             + (SELECT COUNT(*) FROM (SELECT game_date, home_team_tricode FROM nba_raw.nbac_schedule
                WHERE {SEASON_FILTER} GROUP BY ALL HAVING COUNT(DISTINCT game_id) > 1))"""
    return checks


PREDICTION_CHECKS = {
    "superseded_by points to a newer row with the same key": f"""
        SELECT COUNT(*) FROM nba_predictions.player_prop_predictions p
        LEFT JOIN nba_predictions.player_prop_predictions n
          ON n.prediction_id = p.superseded_by AND {_in_season('n')}
        WHERE {_in_season('p')} AND p.superseded_by IS NOT NULL
          AND (n.prediction_id IS NULL OR n.system_id != p.system_id OR n.player_lookup != p.player_lookup
               OR n.game_id != p.game_id OR n.created_at <= p.created_at OR p.is_active)""",
    "no predictions for players who were out at run time": f"""
        WITH runs AS (
          SELECT prediction_id, player_lookup, game_date,
                 CASE WHEN CAST(timezone('America/New_York', created_at) AS DATE) > game_date THEN 24
                      ELSE hour(timezone('America/New_York', created_at)) END AS cutoff_hour
          FROM nba_predictions.player_prop_predictions WHERE {SEASON_FILTER}
        )
        SELECT COUNT(*) FROM (
          SELECT r.prediction_id, arg_max(i.injury_status, i.report_hour) AS status
          FROM runs r JOIN nba_raw.nbac_injury_report i
            ON i.player_lookup = r.player_lookup AND i.report_date = r.game_date AND i.report_hour <= r.cutoff_hour
           AND i.report_date >= $season_start AND i.report_date <= $season_end
          GROUP BY r.prediction_id
        ) WHERE status = 'out'""",
    "injury_status_at_prediction is uppercase": f"""
        SELECT COUNT(*) FROM nba_predictions.player_prop_predictions
        WHERE {SEASON_FILTER} AND injury_status_at_prediction != UPPER(injury_status_at_prediction)""",
    "OVER/UNDER agree with the sign of predicted - line": f"""
        SELECT COUNT(*) FROM nba_predictions.player_prop_predictions
        WHERE {SEASON_FILTER} AND current_points_line IS NOT NULL
          AND ((recommendation = 'OVER' AND predicted_points <= current_points_line)
               OR (recommendation = 'UNDER' AND predicted_points >= current_points_line))""",
}

IDENTITY_CHECKS = {
    "summary over_under_result and margin follow points_line": f"""
        SELECT COUNT(*) FROM nba_analytics.player_game_summary WHERE {SEASON_FILTER} AND (
          (points_line IS NULL AND (over_under_result IS NOT NULL OR margin IS NOT NULL))
          OR (points_line IS NOT NULL AND (margin != points - points_line
              OR over_under_result != CASE WHEN points >= points_line THEN 'OVER' ELSE 'UNDER' END)))""",
    "schedule final scores are the sums of summary points": f"""
        WITH team_points AS (
          SELECT game_id, team_abbr, SUM(points) AS points FROM nba_analytics.player_game_summary
          WHERE {SEASON_FILTER} GROUP BY game_id, team_abbr)
        SELECT COUNT(*) FROM nba_raw.nbac_schedule s
        LEFT JOIN team_points h ON h.game_id = strftime(s.game_date, '%Y%m%d') || '_' || s.away_team_tricode
             || '_' || s.home_team_tricode AND h.team_abbr = s.home_team_tricode
        LEFT JOIN team_points a ON a.game_id = h.game_id AND a.team_abbr = s.away_team_tricode
        WHERE {_in_season('s')} AND s.game_status = 3
          AND (h.points IS DISTINCT FROM s.home_team_score OR a.points IS DISTINCT FROM s.away_team_score)""",
    "win_flag agrees with the team scores": f"""
        WITH team_points AS (
          SELECT game_id, team_abbr, SUM(points) AS points FROM nba_analytics.player_game_summary
          WHERE {SEASON_FILTER} GROUP BY game_id, team_abbr)
        SELECT COUNT(*) FROM nba_analytics.player_game_summary s
        JOIN team_points mine ON mine.game_id = s.game_id AND mine.team_abbr = s.team_abbr
        JOIN team_points theirs ON theirs.game_id = s.game_id AND theirs.team_abbr = s.opponent_team_abbr
        WHERE {_in_season('s')} AND s.win_flag != (mine.points > theirs.points)""",
    "final box scores mirror the summary": f"""
        SELECT COUNT(*) FROM nba_analytics.player_game_summary s
        FULL JOIN (SELECT * FROM nba_raw.bdl_player_boxscores WHERE {SEASON_FILTER} AND game_status = 'Final') b
          ON b.game_id = s.game_id AND b.player_lookup = s.player_lookup
        WHERE (s.game_date IS NULL OR ({_in_season('s')}))
          AND (b.points IS DISTINCT FROM s.points)""",
    "best bettingpros lines sit at the context line on both sides": f"""
        SELECT COUNT(*) FROM nba_analytics.upcoming_player_game_context c
        WHERE {_in_season('c')} AND c.current_points_line IS NOT NULL AND 2 != (
          SELECT COUNT(DISTINCT bet_side) FROM nba_raw.bettingpros_player_points_props b
          WHERE {_in_season('b')} AND b.game_date = c.game_date AND b.player_lookup = c.player_lookup
            AND b.is_best_line AND ROUND(b.points_line, 1) = c.current_points_line)""",
    "active real-line predictions use the day's opening or closing line": f"""
        SELECT COUNT(*) FROM nba_predictions.player_prop_predictions p
        JOIN nba_analytics.upcoming_player_game_context c
          ON c.player_lookup = p.player_lookup AND c.game_date = p.game_date AND {_in_season('c')}
        WHERE {_in_season('p')} AND p.is_active AND p.line_source = 'ACTUAL_PROP' AND p.current_points_line != 20.0
          AND p.current_points_line NOT IN (c.current_points_line, c.opening_points_line)""",
    "feature store indices 2, 5, 16, 25, 28 and is_home/days_rest agree": f"""
        WITH season_average AS (
          SELECT f.player_lookup, f.game_date, COALESCE(ROUND(AVG(s.points), 2), 0) AS average
          FROM nba_predictions.ml_feature_store_v2 f
          LEFT JOIN nba_analytics.player_game_summary s
            ON s.player_lookup = f.player_lookup AND s.game_date < f.game_date AND s.is_active
           AND {_in_season('s')}
          WHERE {_in_season('f')} GROUP BY f.player_lookup, f.game_date)
        SELECT COUNT(*) FROM nba_predictions.ml_feature_store_v2 f
        JOIN nba_analytics.upcoming_player_game_context c
          ON c.player_lookup = f.player_lookup AND c.game_date = f.game_date AND {_in_season('c')}
        JOIN nba_precompute.player_composite_factors k
          ON k.player_lookup = f.player_lookup AND k.game_date = f.game_date AND {_in_season('k')}
        JOIN season_average a ON a.player_lookup = f.player_lookup AND a.game_date = f.game_date
        WHERE {_in_season('f')} AND (
          ABS(f.features[3] - a.average) > 0.011
          OR f.features[6] != k.fatigue_score
          OR f.features[17] != CASE WHEN c.back_to_back THEN 1.0 ELSE 0.0 END
          OR f.features[26] != COALESCE(c.current_points_line, 0)
          OR f.features[29] != CASE WHEN c.has_prop_line THEN 1.0 ELSE 0.0 END
          OR f.is_home != c.home_game OR f.days_rest IS DISTINCT FROM c.days_rest
          OR len(f.features) != 37)""",
    "fatigue_score equals fatigue_context_json.final_score": f"""
        SELECT COUNT(*) FROM nba_precompute.player_composite_factors WHERE {SEASON_FILTER}
          AND fatigue_score IS DISTINCT FROM CAST(json_extract(fatigue_context_json, '$.final_score') AS BIGINT)""",
    "context home_game agrees with game_id and back_to_back with days_rest": f"""
        SELECT COUNT(*) FROM nba_analytics.upcoming_player_game_context WHERE {SEASON_FILTER}
          AND (home_game != ends_with(game_id, '_' || team_abbr) OR back_to_back != COALESCE(days_rest = 1, FALSE))""",
}


def _lookup_checks() -> dict[str, str]:
    checks = {}
    for name, table in TABLES.items():
        if "player_lookup" not in table.column_names or name == "nba_reference.nba_players_registry":
            continue
        where = (f"{table.partition_column} >= $season_start AND {table.partition_column} <= $season_end"
                 if table.partition_column else "TRUE")
        checks[f"{name}: every player_lookup is normalized and in the registry"] = f"""
            SELECT COUNT(*) FROM {name} t
            WHERE {where} AND (NOT regexp_full_match(t.player_lookup, '[a-z0-9]+')
              OR t.player_lookup NOT IN (SELECT player_lookup FROM nba_reference.nba_players_registry))"""
    checks["registry player_lookup values are normalized"] = """
        SELECT COUNT(*) FROM nba_reference.nba_players_registry
        WHERE NOT regexp_full_match(player_lookup, '[a-z0-9]+')"""
    return checks


def _window(params: DemoParams) -> dict:
    return {"season_start": params.season_start, "season_end": params.season_end}


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> int:
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    return con.execute(sql, used).fetchone()[0]


def _flagged_two_active_keys(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    notes = json.loads(con.execute("SELECT params FROM phase6_demo.settings").fetchone()[0])["edge_cases"]
    return {(item["game_date"], item["player_lookup"]) for item in notes.get("two_active_rows", [])}


def _duplicate_active_failures(con: duckdb.DuckDBPyConnection, params: DemoParams) -> list[str]:
    duplicates = con.execute(f"""
        SELECT CAST(game_date AS VARCHAR), player_lookup, system_id
        FROM nba_predictions.player_prop_predictions WHERE {SEASON_FILTER} AND is_active
        GROUP BY game_date, player_lookup, system_id, game_id HAVING COUNT(*) > 1""", _window(params)).fetchall()
    flagged = _flagged_two_active_keys(con)
    unexpected = [row for row in duplicates if (row[0], row[1]) not in flagged or row[2] != CHAMPION]
    return [f"{len(unexpected)} unflagged keys with more than one active prediction"] if unexpected else []


def rederivation_mismatches(con: duckdb.DuckDBPyConnection, params: DemoParams) -> dict[str, int]:
    """Recomputes the derived tables from the base tables; returns differing row counts per table."""
    window = derived.derivation_params(params.predictions_start, params.as_of_date)
    con.execute("""CREATE OR REPLACE TEMP VIEW selftest_versions AS
                   SELECT DISTINCT game_date, version_id, computed_at, trigger_source
                   FROM nba_predictions.current_subset_picks
                   WHERE game_date >= $first_date AND game_date <= $as_of_date""".replace(
        "$first_date", f"DATE '{params.predictions_start}'").replace("$as_of_date", f"DATE '{params.as_of_date}'"))
    fresh = {
        "nba_predictions.prediction_accuracy": (derived.GRADING_SELECT, window),
        "nba_predictions.system_daily_performance": (derived.DAILY_PERFORMANCE_SELECT, window),
        "nba_predictions.daily_prediction_signals": (derived.FINAL_SIGNALS_SELECT, window),
        "nba_predictions.current_subset_picks": (derived.subset_picks_select("selftest_versions"),
                                                 {**window, "champion_system_id": CHAMPION}),
    }
    mismatches = {}
    for table, (select, values) in fresh.items():
        columns = ", ".join(TABLES[table].column_names)
        con.execute(f"CREATE OR REPLACE TEMP TABLE selftest_fresh AS SELECT {columns} FROM ({select})", values)
        partition = TABLES[table].partition_column
        stored = (f"SELECT {columns} FROM {table} WHERE {partition} >= $first_date AND {partition} <= $as_of_date")
        mismatches[table] = con.execute(f"""
            SELECT (SELECT COUNT(*) FROM ({stored} EXCEPT ALL SELECT {columns} FROM selftest_fresh))
                 + (SELECT COUNT(*) FROM (SELECT {columns} FROM selftest_fresh EXCEPT ALL {stored}))""",
                                        window).fetchone()[0]
    con.execute("DROP TABLE selftest_fresh")
    return mismatches


CALIBRATION_SQL = """
WITH champion AS (
  SELECT a.*, ABS(a.predicted_points - a.line_value) AS edge, s.daily_signal
  FROM nba_predictions.prediction_accuracy a
  LEFT JOIN nba_predictions.daily_prediction_signals s
    ON s.game_date = a.game_date AND s.system_id = a.system_id AND s.game_date >= $first_date
   AND s.game_date < $as_of_date
  WHERE a.game_date >= $first_date AND a.game_date < $as_of_date AND a.system_id = $champion
),
decided AS (SELECT * FROM champion WHERE prediction_correct IS NOT NULL)
SELECT
  100.0 * COUNT_IF(prediction_correct) / NULLIF(COUNT(*), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 3) / NULLIF(COUNT_IF(edge >= 3), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 5) / NULLIF(COUNT_IF(edge >= 5), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 7) / NULLIF(COUNT_IF(edge >= 7), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 5 AND recommendation = 'OVER')
    / NULLIF(COUNT_IF(edge >= 5 AND recommendation = 'OVER'), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 5 AND recommendation = 'UNDER')
    / NULLIF(COUNT_IF(edge >= 5 AND recommendation = 'UNDER'), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 5 AND daily_signal = 'RED')
    / NULLIF(COUNT_IF(edge >= 5 AND daily_signal = 'RED'), 0),
  100.0 * COUNT_IF(prediction_correct AND edge >= 5 AND daily_signal = 'GREEN')
    / NULLIF(COUNT_IF(edge >= 5 AND daily_signal = 'GREEN'), 0),
  (SELECT AVG(absolute_error) FROM champion),
  (SELECT 100.0 * COUNT_IF(edge < 3) / NULLIF(COUNT(*), 0) FROM champion),
  (SELECT 100.0 * COUNT_IF(recommendation = 'PASS') / NULLIF(COUNT(*), 0) FROM champion)
FROM decided
"""
CALIBRATION_NAMES = ("hit_rate_all", "hit_rate_edge3", "hit_rate_edge5", "hit_rate_edge7", "hit_rate_over_edge5",
                     "hit_rate_under_edge5", "hit_rate_red_edge5", "hit_rate_green_edge5", "mae", "share_edge_lt3",
                     "share_pass")

SIGNAL_SQL = """
SELECT AVG(high_edge_picks), MIN(high_edge_picks), MAX(high_edge_picks), COUNT_IF(high_edge_picks < 3),
       AVG(pct_over), MIN(pct_over), MAX(pct_over),
       100.0 * COUNT_IF(daily_signal = 'GREEN') / COUNT(*), 100.0 * COUNT_IF(daily_signal = 'YELLOW') / COUNT(*),
       100.0 * COUNT_IF(daily_signal = 'RED') / COUNT(*),
       COUNT_IF(daily_signal = 'GREEN'), COUNT_IF(daily_signal = 'YELLOW'), COUNT_IF(daily_signal = 'RED'),
       quantile_cont(high_edge_picks, 0.5)
FROM nba_predictions.daily_prediction_signals
WHERE game_date >= $first_date AND game_date < $as_of_date AND system_id = $champion
"""
SIGNAL_NAMES = ("high_edge_picks_mean", "high_edge_picks_min", "high_edge_picks_max", "days_high_edge_lt3",
                "pct_over_mean", "pct_over_min", "pct_over_max", "share_green", "share_yellow", "share_red",
                "days_green", "days_yellow", "days_red", "high_edge_picks_median")

SYSTEM_HIT_SQL = """
SELECT 100.0 * COUNT_IF(prediction_correct) / NULLIF(COUNT_IF(prediction_correct IS NOT NULL), 0),
       100.0 * COUNT_IF(recommendation = 'UNDER') / NULLIF(COUNT_IF(recommendation IN ('OVER', 'UNDER')), 0)
FROM nba_predictions.prediction_accuracy
WHERE game_date >= $first_date AND game_date < $as_of_date AND system_id IN (SELECT UNNEST($systems))
"""
SUMMARY_OVER_SQL = """
SELECT 100.0 * COUNT_IF(over_under_result = 'OVER') / NULLIF(COUNT(*), 0)
FROM nba_analytics.player_game_summary
WHERE game_date >= $first_date AND game_date < $as_of_date AND points_line IS NOT NULL
"""

# metric -> (low, high), inclusive
TARGETS = {
    "hit_rate_all": (53, 58), "hit_rate_edge3": (57, 63), "hit_rate_edge5": (63, 72), "hit_rate_edge7": (68, 80),
    "over_minus_under_edge5": (3, 100), "green_minus_red_edge5": (4, 100), "mae": (4.5, 5.0),
    "share_edge_lt3": (64, 78), "share_pass": (22, 35), "high_edge_picks_median": (3, 15),
    "days_high_edge_lt3": (1, 1000), "pct_over_mean": (24, 36), "pct_over_min": (0, 15), "pct_over_max": (45, 100),
    "share_green": (55, 80), "share_yellow": (5, 25), "share_red": (10, 25), "days_green": (5, 1000),
    "days_yellow": (5, 1000), "days_red": (5, 1000), "hit_rate_catboost_v8": (51, 55),
    "hit_rate_quantile": (52, 58), "share_under_quantile": (75, 100), "hit_rate_moving_average": (48, 52),
    "summary_over_share": (47, 53),
}


def calibration_metrics(con: duckdb.DuckDBPyConnection, params: DemoParams) -> dict[str, float | None]:
    window = {"first_date": params.predictions_start, "as_of_date": params.as_of_date}
    champion = {**window, "champion": CHAMPION}
    metrics: dict[str, float | None] = dict(zip(CALIBRATION_NAMES, con.execute(CALIBRATION_SQL, champion).fetchone()))
    metrics.update(zip(SIGNAL_NAMES, con.execute(SIGNAL_SQL, champion).fetchone()))
    for name, systems in (("catboost_v8", [V8]), ("quantile", [Q43, Q45]), ("moving_average", [MOVING_AVERAGE])):
        hit_rate, share_under = con.execute(SYSTEM_HIT_SQL, {**window, "systems": systems}).fetchone()
        metrics[f"hit_rate_{name}"] = hit_rate
        if name == "quantile":
            metrics["share_under_quantile"] = share_under
    metrics["summary_over_share"] = con.execute(SUMMARY_OVER_SQL, window).fetchone()[0]
    metrics["over_minus_under_edge5"] = _difference(metrics["hit_rate_over_edge5"], metrics["hit_rate_under_edge5"])
    metrics["green_minus_red_edge5"] = _difference(metrics["hit_rate_green_edge5"], metrics["hit_rate_red_edge5"])
    return {name: None if value is None else round(float(value), 2) for name, value in metrics.items()}


def _difference(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first - second


def calibration_failures(metrics: dict[str, float | None]) -> list[str]:
    failures = []
    for name, (low, high) in TARGETS.items():
        value = metrics.get(name)
        if value is None or not low <= value <= high:
            failures.append(f"calibration {name} = {value}, target {low}..{high}")
    return failures


def structural_failures(con: duckdb.DuckDBPyConnection, params: DemoParams) -> list[str]:
    failures = []
    checks = {**_game_id_checks(), **PREDICTION_CHECKS, **IDENTITY_CHECKS, **_lookup_checks()}
    for description, sql in checks.items():
        violations = _count(con, sql, _window(params))
        if violations:
            failures.append(f"{description}: {violations} violations")
    failures.extend(_duplicate_active_failures(con, params))
    for table, mismatched in rederivation_mismatches(con, params).items():
        if mismatched:
            failures.append(f"{table} differs from a fresh derivation by {mismatched} rows")
    return failures


def run_self_test(con: duckdb.DuckDBPyConnection, params: DemoParams) -> dict[str, float | None]:
    """Raises DemoSelfTestError listing every failed check; returns the calibration metrics."""
    failures = structural_failures(con, params)
    metrics = calibration_metrics(con, params)
    if params.is_default_size:
        failures.extend(calibration_failures(metrics))
    if failures:
        raise DemoSelfTestError(failures)
    return metrics


def notable_examples(con: duckdb.DuckDBPyConnection, params: DemoParams) -> dict[str, object]:
    """Dates and keys of notable cases found in the built tables, recorded for tests and exporters."""
    window = {"first_date": params.predictions_start, "as_of_date": params.as_of_date, "champion": CHAMPION}
    push = con.execute("""
        SELECT game_date, player_lookup, system_id FROM nba_predictions.prediction_accuracy
        WHERE game_date >= $first_date AND game_date < $as_of_date AND actual_points = line_value
          AND recommendation IN ('OVER', 'UNDER') AND NOT is_voided
        ORDER BY system_id = $champion DESC, game_date, player_lookup, system_id, line_value LIMIT 1""", window).fetchone()
    void = con.execute("""
        SELECT game_date, player_lookup, system_id, void_reason FROM nba_predictions.prediction_accuracy
        WHERE game_date >= $first_date AND game_date < $as_of_date AND is_voided
        ORDER BY system_id = $champion DESC, game_date, player_lookup, system_id, line_value LIMIT 1""", window).fetchone()
    light_days = con.execute("""
        SELECT DISTINCT p.game_date FROM nba_predictions.player_prop_predictions p
        LEFT JOIN nba_predictions.daily_prediction_signals s
          ON s.game_date = p.game_date AND s.system_id = p.system_id
         AND s.game_date >= $first_date AND s.game_date <= $as_of_date
        WHERE p.game_date >= $first_date AND p.game_date <= $as_of_date AND p.is_active
          AND p.current_points_line IS NOT NULL AND s.system_id IS NULL
        ORDER BY 1""", {"first_date": params.predictions_start, "as_of_date": params.as_of_date}).fetchall()
    return {
        "push_example": _keyed(push, ("game_date", "player_lookup", "system_id")),
        "void_example": _keyed(void, ("game_date", "player_lookup", "system_id", "void_reason")),
        "days_with_a_system_missing_its_signal_row": [row[0] for row in light_days],
    }


def _keyed(row: tuple | None, names: tuple[str, ...]) -> dict | None:
    return dict(zip(names, row)) if row else None
