"""An estimate of the bytes BigQuery bills for each query of a live run, at production's volumes.

BigQuery bills the columns a query references, in the partitions its filters leave (clustering can only lower the
figure). Per statement a run sends (once each, as the per-run cache sends it):

    bytes = Σ over the tables it reads of  partitions touched × production rows per partition
                                           × bytes per row of the columns it reads (measured on the demo)

- Columns read: resolved from the SQL against the production definitions (phase6/warehouse/preflight.py); a query
  on the view counts the columns the view reads from its base tables.
- Partitions touched: the game days inside the query's date window (phase6/warehouse/snapshot.py: from its smallest
  to its largest date parameter, or from the table's oldest partition when it reads all history). A game day of any
  season is a day of the demo schedule on the same day of its season, or a playoff day (April 13 to June 20). The
  oldest partition is the season window's start (PHASE6_SEASON_WINDOW_START) or the table's partition expiry.
- Bytes per row: BigQuery's sizes (INT64, FLOAT64, DATE, TIMESTAMP 8; NUMERIC 16; BOOL 1; STRING 2 + UTF-8 bytes;
  NULL 0; arrays the sum of their elements), averaged over the demo's rows.
- Production rows per partition: PRODUCTION_ROWS below; an unpartitioned table is read whole.

A year at the scheduled cadence multiplies each Cloud Scheduler job's run (scheduler/jobs.yaml, its export types and
target date) by the times its cron fires in a year. BigQuery's result cache is assumed to never answer: the tables
these queries read take streaming inserts, which disable it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from croniter import croniter

from phase6.catalog import ExportContext, ExportSpec
from phase6.clock import Clock
from phase6.config import season_window_start
from phase6.formats import EASTERN
from phase6.messages import Accepted, Envelope, ExportRequest, parse
from phase6.plan import order
from phase6.schedules import ScheduledJob
from phase6.warehouse.duckdb_backend import DuckDBWarehouse
from phase6.warehouse.preflight import columns_read, declared_queries
from phase6.warehouse.schema import SUBSET_PERFORMANCE_VIEW, SUBSET_PERFORMANCE_VIEW_SQL, TABLES
from phase6.warehouse.snapshot import query_window

PLAYOFFS = ((4, 13), (6, 20))  # (month, day) of the first and last playoff days
# Production rows per partition (per game day; the whole table when unpartitioned), from the warehouse team's
# volumes: an average game day has about 7.5 games.
PRODUCTION_ROWS: dict[str, float] = {
    "nba_predictions.player_prop_predictions": 3300,  # 8-11 systems, 2-2.5 raw rows per active one
    "nba_predictions.prediction_accuracy": 420,  # 420k rows in the seasons since 2021-22 (about 1,000 game days)
    "nba_predictions.ml_feature_store_v2": 225,
    "nba_predictions.system_daily_performance": 8.5,
    "nba_predictions.daily_prediction_signals": 8,
    "nba_predictions.dynamic_subset_definitions": 31,
    "nba_predictions.current_subset_picks": 300,  # 20-90 rows per version, 4-6 versions a day
    "nba_analytics.player_game_summary": 235,
    "nba_analytics.upcoming_player_game_context": 225,
    "nba_precompute.player_composite_factors": 225,
    "nba_precompute.team_defense_zone_analysis": 30,
    "nba_raw.nbac_schedule": 10,  # with duplicate rows per data source
    "nba_raw.nbac_injury_report": 300,  # 4 reports of about 75 players
    "nba_raw.bettingpros_player_points_props": 1800,
    "nba_raw.bdl_player_boxscores": 225,
    "nba_reference.nba_players_registry": 2750,  # 500-600 rows per season since 2021-22
}
PARTITION_EXPIRY_DAYS = {
    "nba_predictions.player_prop_predictions": 365,
    "nba_precompute.team_defense_zone_analysis": 90,
    "nba_analytics.upcoming_player_game_context": 7,
}
_FIXED_SIZE = {"INT64": 8, "FLOAT64": 8, "DATE": 8, "TIMESTAMP": 8, "DATETIME": 8, "BOOL": 1}


@dataclass(frozen=True)
class Estimate:
    export: str
    query: str
    bytes: float
    partitions: float  # the largest count among its tables
    all_history: bool = False  # it reads partitions from the oldest one kept


class DemoSizes:
    """What the demo warehouse says about sizes: bytes per row of a column, partition dates of a table."""

    def __init__(self, path: Path):
        self.warehouse = DuckDBWarehouse(path, read_only=True)

    def close(self) -> None:
        self.warehouse.close()

    @lru_cache(maxsize=None)
    def bytes_per_row(self, table: str, column: str) -> float:
        bq_type = next(c.bq_type for c in TABLES[table].columns if c.name == column)
        rows = self.warehouse.query(f"SELECT AVG({_size_sql(column, bq_type)}) AS size FROM {table}")
        return float(rows[0]["size"] or 0.0)

    @lru_cache(maxsize=None)
    def season_game_days(self) -> frozenset[tuple[int, int]]:
        """(month, day) of the demo schedule's game days."""
        rows = self.warehouse.query("SELECT DISTINCT game_date FROM nba_raw.nbac_schedule")
        return frozenset((row["game_date"].month, row["game_date"].day) for row in rows)

    def is_game_day(self, day: date) -> bool:
        month_day = (day.month, day.day)
        return month_day in self.season_game_days() or PLAYOFFS[0] <= month_day <= PLAYOFFS[1]


def _size_sql(column: str, bq_type: str) -> str:
    if bq_type.startswith("ARRAY<"):
        element = bq_type[len("ARRAY<"):-1]
        each = f"2 + strlen(x)" if element == "STRING" else str(_FIXED_SIZE.get(element, 8))
        return f"COALESCE(list_sum(list_transform({column}, x -> {each})), 0)"
    if bq_type == "STRING" or bq_type == "JSON":
        return f"COALESCE(2 + strlen(CAST({column} AS VARCHAR)), 0)"
    if bq_type.startswith("NUMERIC"):
        return f"CASE WHEN {column} IS NULL THEN 0 ELSE 16 END"
    return f"CASE WHEN {column} IS NULL THEN 0 ELSE {_FIXED_SIZE[bq_type]} END"


def partitions(sizes: DemoSizes, table: str, window: tuple[date | None, date | None], game_day: date) -> int:
    """Production partitions of `table` inside the window: its game days, from the oldest partition kept."""
    oldest = season_window_start()
    if table in PARTITION_EXPIRY_DAYS:
        oldest = max(oldest, game_day - timedelta(days=PARTITION_EXPIRY_DAYS[table]))
    lower = max(window[0] or oldest, oldest)
    upper = window[1] or game_day
    return sum(1 for offset in range((upper - lower).days + 1) if sizes.is_game_day(lower + timedelta(days=offset)))


def view_columns() -> frozenset[tuple[str, str]]:
    return columns_read(SUBSET_PERFORMANCE_VIEW_SQL.split(" AS\n", 1)[1])


def statement_bytes(sizes: DemoSizes, sql: str, window: tuple[date | None, date | None],
                    game_day: date) -> tuple[float, float]:
    """(bytes, partitions of its most partitioned table) for one statement."""
    read = set(columns_read(sql))
    if any(table == SUBSET_PERFORMANCE_VIEW.name for table, _ in read):
        read = {item for item in read if item[0] != SUBSET_PERFORMANCE_VIEW.name} | view_columns()
    per_table: dict[str, float] = {}
    for table, column in read:
        per_table[table] = per_table.get(table, 0.0) + sizes.bytes_per_row(table, column)
    total, most = 0.0, 0.0
    for table, row_bytes in per_table.items():
        count = partitions(sizes, table, window, game_day) if TABLES[table].partition_column else 1.0
        most = max(most, count)
        total += count * PRODUCTION_ROWS[table] * row_bytes
    return total, most


def estimate_run(sizes: DemoSizes, specs: Iterable[ExportSpec], ctx: ExportContext) -> list[Estimate]:
    """One Estimate per distinct statement a live run of `specs` sends, attributed to the first export sending it."""
    seen: set[tuple] = set()
    estimates = []
    for spec in order(specs):
        for query in declared_queries(spec):
            params = dict(query.params(ctx))
            key = (query.sql, tuple(sorted(params.items(), key=lambda item: item[0])))
            if key in seen:
                continue
            seen.add(key)
            window = query_window(params, query.reads_all_history)
            scanned, count = statement_bytes(sizes, query.sql, window, ctx.game_day)
            all_history = count > 1 and (window[0] is None or window[0] <= season_window_start())
            estimates.append(Estimate(spec.name, query.name, scanned, count, all_history))
    return estimates


def by_export(estimates: Iterable[Estimate]) -> Mapping[str, float]:
    totals: dict[str, float] = {}
    for item in estimates:
        totals[item.export] = totals.get(item.export, 0.0) + item.bytes
    return totals


def fires_per_year(job: ScheduledJob, start: date) -> int:
    """How often the job's cron fires in the 365 days from `start`, read in its time zone."""
    begin = datetime.combine(start, time(0), ZoneInfo(job.time_zone))
    end = begin + timedelta(days=365)
    fires = croniter(job.schedule, begin)
    count = 0
    while fires.get_next(datetime) < end:
        count += 1
    return count


@dataclass(frozen=True)
class JobCost:
    job: str
    runs_per_year: int
    bytes_per_run: float


def job_request(job: ScheduledJob, game_day: date) -> ExportRequest:
    """What the function makes of the job's message on `game_day` (its own parser: groups, "yesterday")."""
    noon = datetime.combine(game_day, time(12), EASTERN)
    outcome = parse(Envelope.of_bytes(job.data(), job.name), Clock(noon))
    if not isinstance(outcome, Accepted):
        raise ValueError(f"{job.name}: the function would not run this job's message: {outcome}")
    return outcome.request


def job_costs(sizes: DemoSizes, specs: Mapping[str, ExportSpec], jobs: Iterable[ScheduledJob],
              ctx: ExportContext) -> list[JobCost]:
    """Bytes billed by one run of each job on `ctx`'s game day, and its runs in a year."""
    costs = []
    for job in jobs:
        request = job_request(job, ctx.game_day)
        run_ctx = replace(ctx, target_date=request.target_date, min_games=request.min_games)
        runs = estimate_run(sizes, [specs[name] for name in request.export_types], run_ctx)
        costs.append(JobCost(job.name, fires_per_year(job, ctx.game_day), sum(item.bytes for item in runs)))
    return costs
