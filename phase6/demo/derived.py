"""Derived tables computed in DuckDB from the base tables, by the rules the production pipeline applies."""
from __future__ import annotations

from datetime import date, datetime

import duckdb

from phase6.demo.predictions import CHAMPION

ET = "'America/New_York'"

GRADING_SELECT = f"""
WITH eligible AS (
  SELECT *
  FROM nba_predictions.player_prop_predictions
  WHERE game_date >= $first_date AND game_date < $as_of_date
    AND is_active = TRUE
    AND current_points_line IS NOT NULL AND current_points_line != 20.0
    AND line_source IN ('ACTUAL_PROP', 'ODDS_API', 'BETTINGPROS')
    AND invalidation_reason IS NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup, game_id, system_id, CAST(current_points_line AS VARCHAR)
                             ORDER BY created_at DESC, prediction_id DESC) = 1
),
latest_report AS (
  SELECT player_lookup, report_date, injury_status
  FROM nba_raw.nbac_injury_report
  WHERE report_date >= $first_date AND report_date < $as_of_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup, report_date ORDER BY report_hour DESC) = 1
),
joined AS (
  SELECT e.*, s.team_abbr AS actual_team, s.opponent_team_abbr AS actual_opponent, s.points AS actual,
         s.minutes_played AS actual_minutes,
         CAST(CASE WHEN e.confidence_score > 1 THEN e.confidence_score / 100 ELSE e.confidence_score END
              AS DECIMAL(4,3)) AS confidence01,
         s.points = 0 AND (s.minutes_played IS NULL OR s.minutes_played = 0) AS voided,
         COALESCE(e.injury_status_at_prediction, UPPER(r.injury_status)) AS void_status
  FROM eligible e
  JOIN nba_analytics.player_game_summary s
    ON s.player_lookup = e.player_lookup AND s.game_date = e.game_date
   AND s.game_date >= $first_date AND s.game_date < $as_of_date
  LEFT JOIN latest_report r ON r.player_lookup = e.player_lookup AND r.report_date = e.game_date
  WHERE s.points IS NOT NULL
)
SELECT player_lookup, game_id, system_id, game_date,
       actual_team AS team_abbr, actual_opponent AS opponent_team_abbr, predicted_points,
       confidence01 AS confidence_score,
       LEAST(10, CAST(FLOOR(confidence01 * 10) AS BIGINT) + 1) AS confidence_decile,
       recommendation, current_points_line AS line_value, actual AS actual_points, actual_minutes AS minutes_played,
       ABS(predicted_points - actual) AS absolute_error, predicted_points - actual AS signed_error,
       CASE WHEN voided OR recommendation NOT IN ('OVER', 'UNDER') OR actual = current_points_line THEN NULL
            ELSE (actual > current_points_line) = (recommendation = 'OVER') END AS prediction_correct,
       predicted_points - current_points_line AS predicted_margin, actual - current_points_line AS actual_margin,
       ABS(predicted_points - actual) <= 3 AS within_3_points, ABS(predicted_points - actual) <= 5 AS within_5_points,
       COALESCE(has_prop_line, TRUE) AS has_prop_line, COALESCE(line_source, 'ACTUAL_PROP') AS line_source,
       line_source_api, sportsbook AS line_bookmaker, COALESCE(is_actionable, TRUE) AS is_actionable, filter_reason,
       voided AS is_voided,
       CASE WHEN NOT voided THEN NULL
            WHEN void_status IN ('OUT', 'DOUBTFUL') THEN 'dnp_injury_confirmed'
            WHEN void_status IN ('QUESTIONABLE', 'PROBABLE') THEN 'dnp_late_scratch'
            ELSE 'dnp_unknown' END AS void_reason,
       COALESCE(injury_flag_at_prediction, FALSE) AS pre_game_injury_flag,
       injury_status_at_prediction AS pre_game_injury_status,
       voided AND COALESCE(injury_flag_at_prediction, FALSE) AS injury_confirmed_postgame,
       model_version, ROUND(feature_quality_score, 2) AS feature_quality_score,
       timezone({ET}, CAST(game_date + 1 AS TIMESTAMP) + INTERVAL 450 MINUTE) AS graded_at
FROM joined
"""

DAILY_PERFORMANCE_SELECT = f"""
SELECT game_date, system_id,
       COUNT(*) AS predictions_count,
       COUNT_IF(recommendation IN ('OVER', 'UNDER')) AS recommendations_count,
       COUNT_IF(prediction_correct = TRUE) AS correct_count,
       COUNT_IF(prediction_correct = FALSE) AS incorrect_count,
       COUNT_IF(recommendation = 'PASS') AS pass_count,
       ROUND(COUNT_IF(prediction_correct = TRUE) / NULLIF(COUNT_IF(recommendation IN ('OVER', 'UNDER')), 0), 3)
         AS win_rate,
       ROUND(AVG(absolute_error), 2) AS mae,
       ROUND(AVG(signed_error), 2) AS avg_bias,
       COUNT_IF(recommendation = 'OVER') AS over_count,
       COUNT_IF(prediction_correct AND recommendation = 'OVER') AS over_correct,
       COUNT_IF(recommendation = 'UNDER') AS under_count,
       COUNT_IF(prediction_correct AND recommendation = 'UNDER') AS under_correct,
       ROUND(COUNT_IF(prediction_correct AND recommendation = 'OVER') / NULLIF(COUNT_IF(recommendation = 'OVER'), 0), 3)
         AS over_win_rate,
       ROUND(COUNT_IF(prediction_correct AND recommendation = 'UNDER')
             / NULLIF(COUNT_IF(recommendation = 'UNDER'), 0), 3) AS under_win_rate,
       COUNT_IF(within_3_points) AS within_3_count,
       COUNT_IF(within_5_points) AS within_5_count,
       ROUND(COUNT_IF(within_3_points) / COUNT(*), 3) AS within_3_pct,
       ROUND(COUNT_IF(within_5_points) / COUNT(*), 3) AS within_5_pct,
       ROUND(AVG(confidence_score), 3) AS avg_confidence,
       COUNT_IF(confidence_score >= 0.70) AS high_confidence_count,
       COUNT_IF(confidence_score >= 0.70 AND prediction_correct) AS high_confidence_correct,
       ROUND(COUNT_IF(confidence_score >= 0.70 AND prediction_correct)
             / NULLIF(COUNT_IF(confidence_score >= 0.70 AND recommendation IN ('OVER', 'UNDER')), 0), 3)
         AS high_confidence_win_rate,
       timezone({ET}, CAST(game_date + 1 AS TIMESTAMP) + INTERVAL 455 MINUTE) AS computed_at
FROM nba_predictions.prediction_accuracy
WHERE game_date >= $first_date AND game_date < $as_of_date
GROUP BY game_date, system_id
"""


def signals_select(source: str, group_columns: str) -> str:
    """Daily system performance over `source` (active rows), one row per (group_columns, system_id) with ≥ 10 lined
    rows."""
    return f"""
SELECT {group_columns}, system_id, total_picks, high_edge_picks, premium_picks, pct_over, pct_under, avg_confidence,
       avg_edge,
       CASE WHEN pct_over < 25 THEN 'UNDER_HEAVY' WHEN pct_over > 40 THEN 'OVER_HEAVY' ELSE 'BALANCED' END
         AS skew_category,
       CASE WHEN high_edge_picks < 3 THEN 'LOW' WHEN high_edge_picks > 8 THEN 'HIGH' ELSE 'NORMAL' END
         AS volume_category,
       CASE WHEN pct_over < 25 THEN 'RED' WHEN high_edge_picks < 3 THEN 'YELLOW' WHEN pct_over > 45 THEN 'YELLOW'
            ELSE 'GREEN' END AS daily_signal,
       CASE WHEN pct_over < 25 THEN 'Heavy UNDER skew - historically 54% hit rate vs 82% on balanced days'
            WHEN high_edge_picks < 3 THEN 'Low pick volume - high variance expected'
            WHEN pct_over > 45 THEN 'Heavy OVER skew - monitor for potential underperformance'
            ELSE 'Balanced signals - historical 82% hit rate on high-edge picks' END AS signal_explanation,
       calculated_at, optimal_over_count, optimal_under_count, ultra_high_edge_count, anti_pattern_count, avg_pvl
FROM (
  SELECT {group_columns}, system_id,
         COUNT(*) AS total_picks,
         COUNT_IF(edge >= 5) AS high_edge_picks,
         COUNT_IF(confidence_score >= 0.92 AND edge >= 3) AS premium_picks,
         ROUND(CAST(100.0 * COUNT_IF(recommendation = 'OVER') / COUNT(*) AS DOUBLE), 1) AS pct_over,
         ROUND(CAST(100.0 * COUNT_IF(recommendation = 'UNDER') / COUNT(*) AS DOUBLE), 1) AS pct_under,
         ROUND(CAST(AVG(confidence_score) * 100 AS DOUBLE), 2) AS avg_confidence,
         ROUND(CAST(AVG(edge) AS DOUBLE), 2) AS avg_edge,
         MAX(created_at) + INTERVAL 60 SECOND AS calculated_at,
         COUNT_IF(recommendation = 'OVER' AND current_points_line < 12 AND edge >= 5) AS optimal_over_count,
         COUNT_IF(recommendation = 'UNDER' AND current_points_line >= 25 AND edge >= 3) AS optimal_under_count,
         COUNT_IF(recommendation = 'OVER' AND edge >= 7) AS ultra_high_edge_count,
         COUNT_IF(recommendation = 'UNDER' AND current_points_line < 15 AND edge >= 3) AS anti_pattern_count,
         ROUND(CAST(AVG(predicted_points - current_points_line) AS DOUBLE), 2) AS avg_pvl
  FROM (SELECT *, ABS(predicted_points - current_points_line) AS edge FROM {source}
        WHERE current_points_line IS NOT NULL)
  GROUP BY {group_columns}, system_id
  HAVING COUNT(*) >= 10
)
"""


FINAL_SIGNALS_SELECT = signals_select(
    "(SELECT * FROM nba_predictions.player_prop_predictions "
    "WHERE game_date >= $first_date AND game_date <= $as_of_date AND is_active = TRUE)",
    "game_date")

SNAPSHOT_SQL = """
SELECT v.version_id, v.computed_at AS version_computed_at, v.trigger_source, p.*
FROM {versions} v
JOIN nba_predictions.player_prop_predictions p
  ON p.game_date = v.game_date AND p.created_at <= v.computed_at
 AND (p.is_active = TRUE OR p.updated_at > v.computed_at)
WHERE p.game_date >= $first_date AND p.game_date <= $as_of_date
"""



def subset_picks_select(versions: str) -> str:
    """Subset picks for every version in `versions(game_date, version_id, computed_at, trigger_source)` at once."""
    return SUBSET_PICKS_TEMPLATE.replace("{snapshot}", SNAPSHOT_SQL.replace("{versions}", versions))


SUBSET_PICKS_TEMPLATE = f"""
WITH snapshot AS ({{snapshot}}),
signals AS ({signals_select("snapshot", "version_id, game_date")}),
champion_signal AS (SELECT version_id, daily_signal, pct_over FROM signals WHERE system_id = $champion_system_id),
modal AS (
  SELECT version_id, system_id, model_version
  FROM (SELECT version_id, system_id, model_version, COUNT(*) AS rows_count FROM snapshot
        WHERE current_points_line IS NOT NULL GROUP BY version_id, system_id, model_version)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY version_id, system_id
                             ORDER BY rows_count DESC, model_version NULLS LAST) = 1
),
teams AS (
  SELECT player_lookup, game_date, team_abbr, opponent_team_abbr
  FROM (
    SELECT player_lookup, game_date, team_abbr, opponent_team_abbr, 1 AS priority
    FROM nba_analytics.player_game_summary WHERE game_date >= $first_date AND game_date <= $as_of_date
    UNION ALL
    SELECT player_lookup, game_date, team_abbr, opponent_team_abbr, 2 AS priority
    FROM nba_analytics.upcoming_player_game_context WHERE game_date >= $first_date AND game_date <= $as_of_date
  )
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup, game_date ORDER BY priority) = 1
),
names AS (
  SELECT player_lookup, player_name FROM nba_reference.nba_players_registry
  QUALIFY ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY season DESC, games_played DESC, team_abbr) = 1
),
candidates AS (
  SELECT s.*, t.team_abbr AS team, t.opponent_team_abbr AS opponent,
         CAST(f.feature_quality_score AS DOUBLE) AS store_quality,
         CAST(ABS(s.predicted_points - s.current_points_line) AS DOUBLE) AS edge,
         CAST(ABS(s.predicted_points - s.current_points_line) * 10 + s.confidence_score * 0.5 AS DOUBLE)
           AS composite_score,
         COUNT(*) OVER (PARTITION BY s.version_id, s.system_id) AS total_predictions_available
  FROM snapshot s
  JOIN modal m ON m.version_id = s.version_id AND m.system_id = s.system_id AND m.model_version = s.model_version
  JOIN teams t ON t.player_lookup = s.player_lookup AND t.game_date = s.game_date
  LEFT JOIN nba_predictions.ml_feature_store_v2 f
    ON f.player_lookup = s.player_lookup AND f.game_date = s.game_date
   AND f.game_date >= $first_date AND f.game_date <= $as_of_date
  WHERE s.recommendation IN ('OVER', 'UNDER') AND s.current_points_line IS NOT NULL
    AND COALESCE(f.feature_quality_score, 0) >= 85
),
filtered AS (
  SELECT c.*, d.subset_id, d.subset_name, d.min_edge, d.min_confidence, d.top_n,
         cs.daily_signal AS champion_signal, cs.pct_over AS champion_pct_over
  FROM candidates c
  JOIN nba_predictions.dynamic_subset_definitions d ON d.system_id = c.system_id AND d.is_active = TRUE
  LEFT JOIN champion_signal cs ON cs.version_id = c.version_id
  WHERE (d.min_edge IS NULL OR d.min_edge = 0 OR c.edge >= d.min_edge)
    AND (d.min_confidence IS NULL OR c.confidence_score >= d.min_confidence)
    AND (d.direction IS NULL OR d.direction = 'ANY' OR d.direction = c.recommendation)
    AND (d.signal_condition IS NULL OR d.signal_condition = 'ANY' OR cs.daily_signal IS NULL
         OR (d.signal_condition = 'GREEN_OR_YELLOW' AND cs.daily_signal IN ('GREEN', 'YELLOW'))
         OR d.signal_condition = cs.daily_signal)
    AND (cs.pct_over IS NULL OR ((d.pct_over_min IS NULL OR cs.pct_over >= d.pct_over_min)
                                 AND (d.pct_over_max IS NULL OR cs.pct_over <= d.pct_over_max)))
),
ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY version_id, subset_id
                               ORDER BY composite_score DESC, edge DESC, player_lookup, prediction_id) AS rank_in_subset
  FROM filtered
)
SELECT r.game_date, r.subset_id, r.player_lookup, r.system_id, r.prediction_id, r.game_id, r.rank_in_subset,
       r.version_id, r.version_computed_at AS computed_at, r.trigger_source, CAST(NULL AS VARCHAR) AS batch_id,
       COALESCE(n.player_name, r.player_lookup) AS player_name, r.team, r.opponent,
       CAST(r.predicted_points AS DOUBLE) AS predicted_points,
       CAST(r.current_points_line AS DOUBLE) AS current_points_line, r.recommendation,
       CAST(r.confidence_score AS DOUBLE) AS confidence_score, r.edge, r.composite_score,
       r.store_quality AS feature_quality_score, r.default_feature_count, r.line_source, r.prediction_run_mode,
       r.quality_alert_level, r.prediction_made_before_game, r.subset_name, r.min_edge, r.min_confidence, r.top_n,
       r.champion_signal AS daily_signal, r.champion_pct_over AS pct_over, r.total_predictions_available
FROM ranked r
LEFT JOIN names n ON n.player_lookup = r.player_lookup
WHERE r.top_n IS NULL OR r.rank_in_subset <= r.top_n
"""

# Definitions: (subset_id, name, system_id, min_edge, direction, signal_condition, use_ranking, top_n, description)
ACTIVE_DEFINITIONS = (
    ("top_pick", "Top Pick", CHAMPION, 5.0, "OVER", "GREEN_OR_YELLOW", True, 1, "Single best bet of the day"),
    ("top_3", "Top 3", CHAMPION, 5.0, "OVER", "GREEN_OR_YELLOW", True, 3, "Small focused set"),
    ("top_5", "Top 5", CHAMPION, 5.0, "ANY", "GREEN_OR_YELLOW", True, 5, "Balanced quality/volume"),
    ("high_edge_over", "High Edge OVER", CHAMPION, 5.0, "OVER", "ANY", False, None, "All OVER high-edge picks"),
    ("high_edge_all", "High Edge All", CHAMPION, 5.0, "ANY", "ANY", False, None, "Broad high-edge pool"),
    ("ultra_high_edge", "Ultra High Edge", CHAMPION, 7.0, "ANY", "ANY", False, None,
     "Highest conviction, low volume"),
    ("green_light", "Green Light", CHAMPION, 5.0, "ANY", "GREEN_OR_YELLOW", False, None,
     "Signal-filtered high edge"),
    ("all_picks", "All Picks", CHAMPION, 3.0, "ANY", "ANY", False, None, "Everything profitable (edge 3+)"),
    ("q43_under_top3", "UNDER Top 3", "catboost_v9_q43_train1102_0131", 5.0, "UNDER", "ANY", True, 3,
     "Top 3 UNDER picks"),
    ("q43_under_all", "UNDER All", "catboost_v9_q43_train1102_0131", 5.0, "UNDER", "ANY", False, None,
     "All UNDER picks"),
    ("q43_all_picks", "Q43 All Picks", "catboost_v9_q43_train1102_0131", 3.0, "ANY", "ANY", False, None,
     "All picks"),
    ("q45_under_top3", "Q45 UNDER Top 3", "catboost_v9_q45_train1102_0131", 5.0, "UNDER", "ANY", True, 3,
     "Top 3 UNDER picks"),
    ("q45_all_picks", "Q45 All Picks", "catboost_v9_q45_train1102_0131", 3.0, "ANY", "ANY", False, None,
     "All picks"),
)
# (subset_id, name, min_edge, min_confidence, signal_condition, pct_over_min, pct_over_max, use_ranking, top_n, notes)
INACTIVE_DEFINITIONS = (
    ("v9_high_edge_balanced", "V9 High Edge Balanced", 5.0, None, "GREEN", 25.0, 40.0, False, None,
     "Historical 82% HR"),
    ("v9_high_edge_any", "V9 High Edge Any", 5.0, None, "ANY", None, None, False, None, "Baseline/control"),
    ("v9_high_edge_warning", "V9 High Edge Warning", 5.0, None, "RED", None, 25.0, False, None,
     "54% HR, shadow tracking"),
    ("v9_premium_safe", "V9 Premium Safe", 3.0, 0.92, "GREEN_OR_YELLOW", None, None, False, None,
     "High conf + edge, avoid RED"),
    ("v9_high_edge_top1", "V9 Best Pick", 5.0, None, "ANY", None, None, True, 1, "Lock of the day"),
    ("v9_high_edge_top3", "V9 Top 3", 5.0, None, "ANY", None, None, True, 3, None),
    ("v9_high_edge_top5", "V9 Top 5", 5.0, None, "ANY", None, None, True, 5, "Recommended default"),
    ("v9_high_edge_top10", "V9 Top 10", 5.0, None, "ANY", None, None, True, 10, None),
    ("v9_high_edge_top5_balanced", "V9 Top 5 Balanced", 5.0, None, "GREEN", 25.0, 40.0, True, 5, None),
)


def definition_rows(created_at: datetime) -> list[dict]:
    rows = []
    for subset_id, name, system, min_edge, direction, signal, ranking, top_n, description in ACTIVE_DEFINITIONS:
        rows.append({"subset_id": subset_id, "subset_name": name, "subset_description": description,
                     "system_id": system, "min_edge": min_edge, "min_confidence": None, "signal_condition": signal,
                     "pct_over_min": None, "pct_over_max": None, "use_ranking": ranking, "top_n": top_n,
                     "direction": direction, "is_active": True, "created_at": created_at, "notes": None})
    for subset_id, name, min_edge, min_conf, signal, low, high, ranking, top_n, notes in INACTIVE_DEFINITIONS:
        rows.append({"subset_id": subset_id, "subset_name": name, "subset_description": None,
                     "system_id": CHAMPION, "min_edge": min_edge, "min_confidence": min_conf,
                     "signal_condition": signal, "pct_over_min": low, "pct_over_max": high, "use_ranking": ranking,
                     "top_n": top_n, "direction": None, "is_active": False, "created_at": created_at,
                     "notes": notes})
    return rows


def derivation_params(first_date: date, as_of_date: date) -> dict:
    return {"first_date": first_date, "as_of_date": as_of_date}


def derive_tables(con: duckdb.DuckDBPyConnection, first_date: date, as_of_date: date, versions: str) -> None:
    """Fills accuracy, daily performance, signals and subset picks (for the `versions` relation)."""
    window = derivation_params(first_date, as_of_date)
    con.execute(f"INSERT INTO nba_predictions.prediction_accuracy BY NAME {GRADING_SELECT}", window)
    con.execute(f"INSERT INTO nba_predictions.system_daily_performance BY NAME {DAILY_PERFORMANCE_SELECT}", window)
    con.execute(f"INSERT INTO nba_predictions.daily_prediction_signals BY NAME {FINAL_SIGNALS_SELECT}", window)
    con.execute(f"INSERT INTO nba_predictions.current_subset_picks BY NAME {subset_picks_select(versions)}",
                {**window, "champion_system_id": CHAMPION})
