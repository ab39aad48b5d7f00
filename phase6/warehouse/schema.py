"""The production warehouse's tables and view as the project knows them, and the embedded DuckDB copy.

The definitions (columns and types, partitioning, clustering, require_partition_filter) live in one data
structure, `TABLES` (and `VIEWS`); the DuckDB DDL, the BigQuery emulator's tables in the tests, the SQL analyser's
catalog and the schema preflight (phase6/warehouse/preflight.py) are all derived from it.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

DATASETS = ("nba_predictions", "nba_analytics", "nba_precompute", "nba_raw", "nba_reference")
DEMO_SCHEMA = "phase6_demo"


@dataclass(frozen=True)
class Column:
    name: str
    bq_type: str
    not_null: bool = False


@dataclass(frozen=True)
class Table:
    name: str  # dataset.table
    columns: tuple[Column, ...]
    partition_column: str | None
    clustering: tuple[str, ...] = ()
    require_partition_filter: bool = False  # production rejects a query without a filter on the partition column

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def dataset(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[1]


def _columns(spec: str) -> tuple[Column, ...]:
    """Parses lines of the form `name BQ_TYPE [NOT NULL]`."""
    columns = []
    for line in spec.strip().splitlines():
        name, bq_type, *rest = line.split()
        columns.append(Column(name, bq_type, not_null=rest == ["NOT", "NULL"]))
    return tuple(columns)


_TABLE_SPECS: tuple[tuple[str, str | None, str], ...] = (
    ("nba_predictions.player_prop_predictions", "game_date", """
        prediction_id STRING NOT NULL
        system_id STRING NOT NULL
        player_lookup STRING NOT NULL
        universal_player_id STRING
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        prediction_version INT64 NOT NULL
        predicted_points NUMERIC(5,1) NOT NULL
        confidence_score NUMERIC(5,2) NOT NULL
        recommendation STRING NOT NULL
        has_prop_line BOOL
        current_points_line NUMERIC(4,1)
        line_margin NUMERIC(5,2)
        line_source STRING
        line_source_api STRING
        sportsbook STRING
        pace_adjustment NUMERIC(5,2)
        similar_games_count INT64
        is_active BOOL NOT NULL
        superseded_by STRING
        invalidation_reason STRING
        is_actionable BOOL
        filter_reason STRING
        injury_status_at_prediction STRING
        injury_flag_at_prediction BOOL
        model_version STRING
        feature_quality_score FLOAT64
        default_feature_count INT64
        is_quality_ready BOOL
        quality_alert_level STRING
        prediction_made_before_game BOOL
        prediction_run_mode STRING
        model_file_name STRING
        model_training_start_date DATE
        model_training_end_date DATE
        model_expected_mae FLOAT64
        model_expected_hit_rate FLOAT64
        model_trained_at TIMESTAMP
        build_commit_sha STRING
        deployment_revision STRING
        predicted_at TIMESTAMP
        created_at TIMESTAMP NOT NULL
        updated_at TIMESTAMP
    """),
    ("nba_predictions.prediction_accuracy", "game_date", """
        player_lookup STRING NOT NULL
        game_id STRING NOT NULL
        system_id STRING NOT NULL
        game_date DATE NOT NULL
        team_abbr STRING
        opponent_team_abbr STRING
        predicted_points NUMERIC(5,1)
        confidence_score NUMERIC(4,3)
        confidence_decile INT64
        recommendation STRING
        line_value NUMERIC(5,1)
        actual_points INT64
        minutes_played NUMERIC(5,1)
        absolute_error NUMERIC(5,1)
        signed_error NUMERIC(5,1)
        prediction_correct BOOL
        predicted_margin NUMERIC(5,1)
        actual_margin NUMERIC(5,1)
        within_3_points BOOL
        within_5_points BOOL
        has_prop_line BOOL
        line_source STRING
        line_source_api STRING
        line_bookmaker STRING
        is_actionable BOOL
        filter_reason STRING
        is_voided BOOL
        void_reason STRING
        pre_game_injury_flag BOOL
        pre_game_injury_status STRING
        injury_confirmed_postgame BOOL
        model_version STRING
        feature_quality_score NUMERIC(5,2)
        graded_at TIMESTAMP
    """),
    ("nba_predictions.ml_feature_store_v2", "game_date", """
        player_lookup STRING NOT NULL
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        features ARRAY<FLOAT64>
        feature_names ARRAY<STRING>
        feature_count INT64 NOT NULL
        feature_version STRING NOT NULL
        feature_quality_score NUMERIC(5,2)
        is_home BOOL
        days_rest INT64
        opponent_team_abbr STRING
        data_source STRING NOT NULL
    """),
    ("nba_predictions.system_daily_performance", "game_date", """
        game_date DATE NOT NULL
        system_id STRING NOT NULL
        predictions_count INT64
        recommendations_count INT64
        correct_count INT64
        incorrect_count INT64
        pass_count INT64
        win_rate NUMERIC(4,3)
        mae NUMERIC(5,2)
        avg_bias NUMERIC(5,2)
        over_count INT64
        over_correct INT64
        under_count INT64
        under_correct INT64
        over_win_rate NUMERIC(4,3)
        under_win_rate NUMERIC(4,3)
        within_3_count INT64
        within_5_count INT64
        within_3_pct NUMERIC(4,3)
        within_5_pct NUMERIC(4,3)
        avg_confidence NUMERIC(4,3)
        high_confidence_count INT64
        high_confidence_correct INT64
        high_confidence_win_rate NUMERIC(4,3)
        computed_at TIMESTAMP
    """),
    ("nba_predictions.daily_prediction_signals", "game_date", """
        game_date DATE NOT NULL
        system_id STRING NOT NULL
        total_picks INT64
        high_edge_picks INT64
        premium_picks INT64
        pct_over FLOAT64
        pct_under FLOAT64
        avg_confidence FLOAT64
        avg_edge FLOAT64
        skew_category STRING
        volume_category STRING
        daily_signal STRING
        signal_explanation STRING
        calculated_at TIMESTAMP
        optimal_over_count INT64
        optimal_under_count INT64
        ultra_high_edge_count INT64
        anti_pattern_count INT64
        avg_pvl FLOAT64
    """),
    ("nba_predictions.dynamic_subset_definitions", None, """
        subset_id STRING NOT NULL
        subset_name STRING NOT NULL
        subset_description STRING
        system_id STRING
        min_edge FLOAT64
        min_confidence FLOAT64
        signal_condition STRING
        pct_over_min FLOAT64
        pct_over_max FLOAT64
        use_ranking BOOL
        top_n INT64
        direction STRING
        is_active BOOL
        created_at TIMESTAMP
        notes STRING
    """),
    ("nba_predictions.current_subset_picks", "game_date", """
        game_date DATE NOT NULL
        subset_id STRING NOT NULL
        player_lookup STRING NOT NULL
        system_id STRING
        prediction_id STRING
        game_id STRING
        rank_in_subset INT64
        version_id STRING NOT NULL
        computed_at TIMESTAMP NOT NULL
        trigger_source STRING
        batch_id STRING
        player_name STRING
        team STRING
        opponent STRING
        predicted_points FLOAT64
        current_points_line FLOAT64
        recommendation STRING
        confidence_score FLOAT64
        edge FLOAT64
        composite_score FLOAT64
        feature_quality_score FLOAT64
        default_feature_count INT64
        line_source STRING
        prediction_run_mode STRING
        quality_alert_level STRING
        prediction_made_before_game BOOL
        subset_name STRING
        min_edge FLOAT64
        min_confidence FLOAT64
        top_n INT64
        daily_signal STRING
        pct_over FLOAT64
        total_predictions_available INT64
    """),
    ("nba_analytics.player_game_summary", "game_date", """
        player_lookup STRING NOT NULL
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        team_abbr STRING NOT NULL
        opponent_team_abbr STRING NOT NULL
        season_year INT64 NOT NULL
        player_full_name STRING
        points INT64
        minutes_played NUMERIC(5,1)
        fg_makes INT64
        fg_attempts INT64
        three_pt_makes INT64
        three_pt_attempts INT64
        ft_makes INT64
        ft_attempts INT64
        offensive_rebounds INT64
        defensive_rebounds INT64
        assists INT64
        steals INT64
        blocks INT64
        turnovers INT64
        starter_flag BOOL NOT NULL
        win_flag BOOL NOT NULL
        points_line NUMERIC(4,1)
        opening_line NUMERIC(4,1)
        over_under_result STRING
        margin NUMERIC(6,2)
        is_active BOOL NOT NULL
        is_dnp BOOL
        player_status STRING
    """),
    ("nba_analytics.upcoming_player_game_context", "game_date", """
        player_lookup STRING NOT NULL
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        team_abbr STRING NOT NULL
        opponent_team_abbr STRING NOT NULL
        home_game BOOL
        days_rest INT64
        back_to_back BOOL
        current_points_line NUMERIC(4,1)
        opening_points_line NUMERIC(4,1)
        has_prop_line BOOL
        player_status STRING
        game_start_time_local STRING
        points_avg_last_5 NUMERIC(5,1)
        points_avg_last_10 NUMERIC(5,1)
        prop_over_streak INT64
        prop_under_streak INT64
    """),
    ("nba_precompute.player_composite_factors", "game_date", """
        player_lookup STRING NOT NULL
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        fatigue_score INT64
        fatigue_context_json STRING
    """),
    ("nba_precompute.team_defense_zone_analysis", "analysis_date", """
        team_abbr STRING NOT NULL
        analysis_date DATE NOT NULL
        opponent_points_per_game NUMERIC(5,1)
        defensive_rating_last_15 NUMERIC(6,2)
        paint_pct_allowed_last_15 NUMERIC(5,3)
        mid_range_pct_allowed_last_15 NUMERIC(5,3)
        three_pt_pct_allowed_last_15 NUMERIC(5,3)
        opponent_pace NUMERIC(5,1)
        games_in_sample INT64
    """),
    ("nba_raw.nbac_schedule", "game_date", """
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        game_date_est TIMESTAMP
        game_status INT64
        game_status_text STRING
        home_team_tricode STRING NOT NULL
        away_team_tricode STRING NOT NULL
        home_team_score INT64
        away_team_score INT64
        season_year INT64 NOT NULL
        season_nba_format STRING NOT NULL
        is_regular_season BOOL
        data_source STRING
    """),
    ("nba_raw.nbac_injury_report", "report_date", """
        report_date DATE
        report_hour INT64
        game_date DATE
        game_id STRING
        team STRING
        player_lookup STRING
        player_full_name STRING
        injury_status STRING
        reason STRING
        reason_category STRING
    """),
    ("nba_raw.bettingpros_player_points_props", "game_date", """
        game_date DATE NOT NULL
        player_lookup STRING NOT NULL
        player_name STRING NOT NULL
        player_team STRING NOT NULL
        market_type STRING NOT NULL
        bookmaker STRING NOT NULL
        bet_side STRING NOT NULL
        points_line FLOAT64 NOT NULL
        odds_american INT64 NOT NULL
        is_active BOOL NOT NULL
        is_best_line BOOL NOT NULL
        opening_line FLOAT64
        bookmaker_last_update TIMESTAMP NOT NULL
    """),
    ("nba_raw.bdl_player_boxscores", "game_date", """
        game_id STRING NOT NULL
        game_date DATE NOT NULL
        season_year INT64 NOT NULL
        game_status STRING
        period INT64
        home_team_abbr STRING NOT NULL
        away_team_abbr STRING NOT NULL
        team_abbr STRING NOT NULL
        home_team_score INT64
        away_team_score INT64
        player_lookup STRING NOT NULL
        player_full_name STRING NOT NULL
        bdl_player_id INT64
        minutes STRING
        points INT64
        rebounds INT64
        assists INT64
        steals INT64
        blocks INT64
        turnovers INT64
        field_goals_made INT64
        field_goals_attempted INT64
        three_pointers_made INT64
        three_pointers_attempted INT64
        free_throws_made INT64
        free_throws_attempted INT64
        processed_at TIMESTAMP NOT NULL
    """),
    ("nba_reference.nba_players_registry", None, """
        player_lookup STRING NOT NULL
        player_name STRING NOT NULL
        team_abbr STRING NOT NULL
        season STRING NOT NULL
        position STRING
        universal_player_id STRING
        games_played INT64
        jersey_number INT64
    """),
)

# Production storage options: clustering columns and whether a query must filter on the partition column.
# Clustering also names production columns outside the subset declared here (universal_player_id,
# has_team_issues). BigQuery clusters on at most four columns and in ascending order only.
_STORAGE: dict[str, tuple[tuple[str, ...], bool]] = {
    "nba_predictions.player_prop_predictions": (("system_id", "player_lookup", "confidence_score", "game_date"), True),
    "nba_predictions.prediction_accuracy": (("system_id", "player_lookup"), True),
    "nba_predictions.ml_feature_store_v2": (("player_lookup", "feature_version", "game_date"), True),
    "nba_predictions.system_daily_performance": (("system_id",), True),
    "nba_predictions.daily_prediction_signals": ((), False),
    "nba_predictions.dynamic_subset_definitions": ((), False),
    "nba_predictions.current_subset_picks": (("version_id", "subset_id"), False),
    "nba_analytics.player_game_summary": (("universal_player_id", "player_lookup", "team_abbr", "game_date"), False),
    "nba_analytics.upcoming_player_game_context": (("player_lookup", "universal_player_id", "game_date"), False),
    "nba_precompute.player_composite_factors": (("player_lookup", "universal_player_id", "game_date"), False),
    "nba_precompute.team_defense_zone_analysis": (("team_abbr", "analysis_date"), False),
    "nba_raw.nbac_schedule": (("game_date", "data_source", "home_team_tricode", "away_team_tricode"), True),
    "nba_raw.nbac_injury_report": (("player_lookup", "game_id", "injury_status"), False),
    "nba_raw.bettingpros_player_points_props": (("player_lookup", "bookmaker", "has_team_issues", "bet_side"), True),
    "nba_raw.bdl_player_boxscores": (("player_lookup", "team_abbr", "game_date"), True),
    "nba_reference.nba_players_registry": (("universal_player_id", "player_lookup", "season", "team_abbr"), False),
}

TABLES: dict[str, Table] = {
    name: Table(name, _columns(spec), partition, *_STORAGE[name])
    for name, partition, spec in _TABLE_SPECS
}

PARTITION_COLUMNS: dict[str, str] = {
    name: table.partition_column for name, table in TABLES.items() if table.partition_column
}

SETTINGS_TABLE = Table(f"{DEMO_SCHEMA}.settings", _columns("""
    seed INT64 NOT NULL
    as_of_date DATE NOT NULL
    as_of_time_et STRING NOT NULL
    demo_now TIMESTAMP NOT NULL
    params STRING NOT NULL
"""), None)

_SIMPLE_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMPTZ",
    "DATE": "DATE",
    "JSON": "JSON",
}


_BIGQUERY_NAMES = {duckdb: bigquery for bigquery, duckdb in _SIMPLE_TYPES.items()} | {
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP"}  # how DuckDB's information_schema spells TIMESTAMPTZ


def duckdb_type(bq_type: str) -> str:
    if bq_type.startswith("ARRAY<") and bq_type.endswith(">"):
        return duckdb_type(bq_type[len("ARRAY<"):-1]) + "[]"
    if bq_type.startswith("NUMERIC("):
        return "DECIMAL" + bq_type[len("NUMERIC"):]
    return _SIMPLE_TYPES[bq_type]


def bigquery_type(duckdb_type_name: str) -> str:
    """The BigQuery name of an embedded column's DuckDB type (as DuckDB's information_schema spells it)."""
    if duckdb_type_name.endswith("[]"):
        return f"ARRAY<{bigquery_type(duckdb_type_name[:-2])}>"
    if duckdb_type_name.startswith("DECIMAL"):
        return "NUMERIC" + duckdb_type_name[len("DECIMAL"):]
    return _BIGQUERY_NAMES.get(duckdb_type_name, duckdb_type_name)


def create_table_sql(table: Table) -> str:
    column_sql = ",\n  ".join(
        f"{column.name} {duckdb_type(column.bq_type)}{' NOT NULL' if column.not_null else ''}"
        for column in table.columns
    )
    return f"CREATE TABLE {table.name} (\n  {column_sql}\n)"


SUBSET_PERFORMANCE_VIEW = Table("nba_predictions.v_dynamic_subset_performance", _columns("""
    subset_id STRING
    subset_name STRING
    game_date DATE
    daily_signal STRING
    pct_over FLOAT64
    signal_condition STRING
    use_ranking BOOL
    top_n INT64
    min_edge FLOAT64
    min_confidence FLOAT64
    picks INT64
    unique_players INT64
    graded_picks INT64
    wins INT64
    hit_rate FLOAT64
    avg_edge FLOAT64
    avg_confidence FLOAT64
    avg_composite_score FLOAT64
    mae FLOAT64
    overs INT64
    unders INT64
    pct_overs FLOAT64
"""), None)
VIEWS: dict[str, Table] = {SUBSET_PERFORMANCE_VIEW.name: SUBSET_PERFORMANCE_VIEW}

# The view as production defines it (BigQuery SQL); the embedded schema creates its DuckDB transpilation.
SUBSET_PERFORMANCE_VIEW_SQL = f"""
CREATE VIEW {SUBSET_PERFORMANCE_VIEW.name} AS
WITH definitions AS (
  SELECT subset_id, subset_name, system_id, use_ranking, top_n, signal_condition, min_edge, min_confidence
  FROM nba_predictions.dynamic_subset_definitions
  WHERE is_active = TRUE
),
base AS (
  SELECT p.prediction_id, p.game_date, p.system_id, p.player_lookup, p.recommendation,
         CAST(p.predicted_points AS FLOAT64) AS predicted_points,
         CAST(p.current_points_line AS FLOAT64) AS line_value,
         CAST(p.confidence_score AS FLOAT64) AS confidence_score,
         ABS(CAST(p.predicted_points AS FLOAT64) - CAST(p.current_points_line AS FLOAT64)) AS edge,
         ABS(CAST(p.predicted_points AS FLOAT64) - CAST(p.current_points_line AS FLOAT64)) * 10
           + CAST(p.confidence_score AS FLOAT64) * 0.5 AS composite_score,
         s.points AS actual_points,
         sig.daily_signal, sig.pct_over
  FROM nba_predictions.player_prop_predictions p
  LEFT JOIN nba_analytics.player_game_summary s
    ON s.player_lookup = p.player_lookup AND s.game_date = p.game_date
  LEFT JOIN nba_predictions.daily_prediction_signals sig
    ON sig.game_date = p.game_date AND sig.system_id = p.system_id
  WHERE p.is_active = TRUE AND p.current_points_line IS NOT NULL
),
ranked AS (
  SELECT d.subset_id, d.use_ranking, d.top_n, d.signal_condition, b.*,
         ROW_NUMBER() OVER (PARTITION BY d.subset_id, b.game_date
                            ORDER BY b.composite_score DESC, b.prediction_id) AS daily_rank
  FROM base b
  CROSS JOIN definitions d
  WHERE b.system_id = d.system_id
    AND b.edge >= COALESCE(d.min_edge, 0)
    AND (d.min_confidence IS NULL OR b.confidence_score >= d.min_confidence)
),
flagged AS (
  SELECT *,
         CASE
           WHEN signal_condition = 'ANY' THEN TRUE
           WHEN signal_condition = 'GREEN' AND daily_signal = 'GREEN' THEN TRUE
           WHEN signal_condition = 'GREEN_OR_YELLOW' AND daily_signal IN ('GREEN', 'YELLOW') THEN TRUE
           WHEN signal_condition = 'RED' AND daily_signal = 'RED' THEN TRUE
           ELSE FALSE
         END AS signal_match,
         CASE
           WHEN use_ranking = FALSE THEN TRUE
           WHEN use_ranking = TRUE AND daily_rank <= top_n THEN TRUE
           ELSE FALSE
         END AS rank_qualifies
  FROM ranked
),
aggregated AS (
  SELECT subset_id, game_date, daily_signal, pct_over,
         COUNT(*) AS picks,
         COUNT(DISTINCT player_lookup) AS unique_players,
         COUNTIF(actual_points IS NOT NULL AND actual_points != line_value) AS graded_picks,
         COUNTIF(actual_points IS NOT NULL AND actual_points != line_value
                 AND ((actual_points > line_value AND recommendation = 'OVER')
                      OR (actual_points < line_value AND recommendation = 'UNDER'))) AS wins,
         ROUND(AVG(edge), 2) AS avg_edge,
         ROUND(AVG(confidence_score), 2) AS avg_confidence,
         ROUND(AVG(composite_score), 1) AS avg_composite_score,
         ROUND(AVG(CASE WHEN actual_points IS NOT NULL THEN ABS(predicted_points - actual_points) END), 2) AS mae,
         COUNTIF(recommendation = 'OVER') AS overs,
         COUNTIF(recommendation = 'UNDER') AS unders
  FROM flagged
  WHERE signal_match AND rank_qualifies
  GROUP BY subset_id, game_date, daily_signal, pct_over
)
SELECT a.subset_id, d.subset_name, a.game_date, a.daily_signal, a.pct_over, d.signal_condition,
       d.use_ranking, d.top_n, d.min_edge, d.min_confidence, a.picks, a.unique_players, a.graded_picks, a.wins,
       ROUND(100.0 * a.wins / NULLIF(a.graded_picks, 0), 1) AS hit_rate,
       a.avg_edge, a.avg_confidence, a.avg_composite_score, a.mae, a.overs, a.unders,
       ROUND(100.0 * a.overs / NULLIF(a.picks, 0), 1) AS pct_overs
FROM aggregated a
JOIN definitions d ON d.subset_id = a.subset_id
ORDER BY a.game_date DESC, a.subset_id
"""


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Creates the five datasets, the 17 tables, the view and the demo metadata table."""
    for schema in (*DATASETS, DEMO_SCHEMA):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    from .duckdb_backend import to_duckdb  # the adapter's transpiler; it imports this module

    for table in (*TABLES.values(), SETTINGS_TABLE):
        con.execute(create_table_sql(table))
    con.execute(to_duckdb(SUBSET_PERFORMANCE_VIEW_SQL))
