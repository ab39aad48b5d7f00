"""A backfill reads each table once per chunk of days into a snapshot, and writes exactly the files that
day-by-day replays reading the warehouse directly would write."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from exporters import catalog
from exporters.best_bets import UNDER_HISTORY
from phase6.backfill import backfill, chunk_slices, dated_export_types, days_between
from phase6.runner import RunRequest, Runner
from phase6.warehouse.slices import TableSlice, extract_by_query
from phase6.warehouse.snapshot import build_snapshot, plan_slices, take_snapshot
from phase6.warehouse.tables_read import VIEW_BASE_TABLES
from phase6.warehouse.base import WarehouseError
from phase6.storage.local import LocalBucket
from tests.conftest import open_small, small_season

SMALL = small_season()
DATED = dated_export_types(catalog())
FIRST, AS_OF = SMALL.season_start, SMALL.as_of_date


class CountingWarehouse:
    """The source warehouse, counting what the backfill asks of it."""

    def __init__(self, inner):
        self.inner, self.queries, self.extracts = inner, 0, []

    def query(self, sql, params=None, *, label=""):
        self.queries += 1
        return self.inner.query(sql, params, label=label)

    def extract(self, table_slice, folder):
        self.extracts.append(table_slice)
        return self.inner.extract(table_slice, folder)

    def insert_rows(self, table, rows):
        self.inner.insert_rows(table, rows)

    def columns(self, tables):
        return self.inner.columns(tables)

    def close(self):
        self.inner.close()


def published(root: Path) -> dict[str, bytes]:
    """Dated files by name, their build times blanked."""
    bucket = LocalBucket(root / "bucket")
    return {
        info.name[len("v1/"):]: re.sub(rb'"(generated_at|updated_at)": "[^"]*"', b'"time": ""', bucket.read(info.name))
        for info in bucket.list("v1/")
        if info.name != "v1/status.json"
    }


def replay_directly(demo: Path, root: Path, first: date, last: date, runner_catalog=None, types=DATED):
    """Day-by-day replay runs reading the warehouse itself (no snapshot)."""
    application = open_small(demo, root)
    runner = Runner(application.settings, application.backends, application.clock, runner_catalog or catalog())
    for day in days_between(first, last):
        runner.run(RunRequest(types, day, mode="replay", update_latest=False))
    application.close()
    return published(root)


def replay_in_chunks(demo: Path, root: Path, first: date, last: date, chunk_days: int, runner_catalog=None,
                     types=DATED):
    application = open_small(demo, root)
    source = CountingWarehouse(application.backends.warehouse)
    runner = Runner(application.settings, replace(application.backends, warehouse=source), application.clock,
                    runner_catalog or catalog())
    summary = backfill(runner, first, last, types, chunk_days=chunk_days)
    application.close()
    return summary, source, published(root)


def test_chunked_replay_writes_the_same_files_as_direct_replay_from_season_start_past_today(small_demos, tmp_path):
    last = date(2026, 1, 18)  # two days after the as-of day: scheduled games, no results yet
    summary, source, files = replay_in_chunks(small_demos[5], tmp_path / "chunked", FIRST, last, chunk_days=6)
    direct = replay_directly(small_demos[5], tmp_path / "direct", FIRST, last)
    assert summary.days == 21 and not summary.failed
    assert len(files) > 200
    assert files == direct
    assert any(name.startswith("best-bets/") for name in files) and any("tonight/player/" in name for name in files)


def test_each_table_is_read_once_per_chunk_whatever_the_number_of_days(small_demos, tmp_path):
    counts = {}
    for chunk_days in (4, 8, 16):
        summary, source, _ = replay_in_chunks(small_demos[5], tmp_path / str(chunk_days), date(2026, 1, 3),
                                              date(2026, 1, 18), chunk_days)
        tables = {table_slice.table for table_slice in source.extracts}
        assert source.queries == 0  # every day's query ran against the snapshot
        assert summary.chunks == 16 // chunk_days
        assert len(source.extracts) == summary.warehouse_reads == summary.chunks * len(tables)
        counts[chunk_days] = len(source.extracts)
        assert summary.queries == 16 * 25  # each day's own queries, answered by the snapshot
    assert counts[4] == 2 * counts[8] == 4 * counts[16]


def test_a_query_that_hides_its_history_reads_is_caught_by_the_comparison(small_demos, tmp_path):
    """Without `reads_all_history`, a best-bets replay's snapshot would hold only the chunk's own grades, and the
    players' UNDER sample sizes would shrink: the equivalence above can fail."""
    hiding = replace(UNDER_HISTORY, reads_all_history=False)
    specs = dict(catalog())
    specs["best-bets"] = replace(specs["best-bets"], queries=tuple(
        hiding if query is UNDER_HISTORY else query for query in specs["best-bets"].queries))
    first, last = date(2026, 1, 12), date(2026, 1, 14)
    _, _, files = replay_in_chunks(small_demos[5], tmp_path / "chunked", first, last, 3, specs, ("best-bets",))
    direct = replay_directly(small_demos[5], tmp_path / "direct", first, last, specs, ("best-bets",))
    assert sorted(files) == sorted(direct) == [f"best-bets/2026-01-1{day}.json" for day in (2, 3, 4)]
    assert files != direct
    assert b"player_sample_size" in files["best-bets/2026-01-14.json"]
    _, _, declared = replay_in_chunks(small_demos[5], tmp_path / "declared", first, last, 3, types=("best-bets",))
    assert declared == replay_directly(small_demos[5], tmp_path / "direct-declared", first, last, types=("best-bets",))


def test_slices_cover_each_querys_dates_and_history(small_demos, tmp_path):
    application = open_small(small_demos[5], tmp_path)
    slices = {s.table: s for s in chunk_slices(application.runner, DATED, days_between(date(2026, 1, 10),
                                                                                        date(2026, 1, 12)))}
    application.close()
    assert slices["nba_predictions.prediction_accuracy"].lower is None  # best-bets' UNDER history
    assert slices["nba_predictions.prediction_accuracy"].upper == date(2026, 1, 12)
    assert slices["nba_raw.nbac_schedule"] == TableSlice("nba_raw.nbac_schedule", date(2026, 1, 10), date(2026, 1, 12))
    assert slices["nba_raw.nbac_injury_report"].lower == date(2026, 1, 3)  # tonight's 7-day injury look-back
    assert slices["nba_reference.nba_players_registry"] == TableSlice("nba_reference.nba_players_registry")
    assert VIEW_BASE_TABLES <= set(slices)  # subset-picks reads the view: its tables come along


def test_plan_slices_unions_windows_and_widens_to_whole_tables():
    daily = "SELECT 1 FROM nba_raw.nbac_schedule WHERE game_date = @target_date"
    undated = "SELECT 1 FROM nba_raw.nbac_schedule WHERE game_status = 3"
    jan = lambda day: {"target_date": date(2026, 1, day)}  # noqa: E731
    assert plan_slices([(daily, jan(5), False), (daily, jan(2), False)]) == [
        TableSlice("nba_raw.nbac_schedule", date(2026, 1, 2), date(2026, 1, 5))]
    assert plan_slices([(daily, jan(5), True)]) == [TableSlice("nba_raw.nbac_schedule", None, date(2026, 1, 5))]
    assert plan_slices([(daily, jan(5), False), (undated, {}, False)]) == [TableSlice("nba_raw.nbac_schedule")]
    with pytest.raises(WarehouseError, match="not a known production table"):
        plan_slices([("SELECT 1 FROM nba_raw.mystery WHERE game_date = @d", {"d": date(2026, 1, 1)}, False)])


def test_the_portable_extract_loads_the_same_snapshot_as_the_native_one(small_demos, tmp_path):
    """BigQuery's extract (a query, rows to NDJSON) and DuckDB's (Parquet) give equal snapshot tables."""
    application = open_small(small_demos[5], tmp_path)
    source = application.backends.warehouse
    slices = [TableSlice("nba_predictions.player_prop_predictions", date(2026, 1, 10), date(2026, 1, 12)),
              TableSlice("nba_raw.nbac_injury_report", date(2026, 1, 5), date(2026, 1, 12)),
              TableSlice("nba_reference.nba_players_registry")]
    native, extracts = take_snapshot(source, slices)
    folder = tmp_path / "ndjson"
    folder.mkdir()
    portable = build_snapshot([extract_by_query(source, item, folder) for item in slices])
    for item in slices:
        order = ", ".join(f"{column} NULLS FIRST" for column in item.select_sql()[7:].split(" FROM ")[0].split(", "))
        sql = f"{item.select_sql()} ORDER BY {order}"
        expected = native.query(sql, item.params())
        assert expected and portable.query(sql, item.params()) == expected
    assert [extract.rows for extract in extracts] == [len(native.query(item.select_sql(), item.params()))
                                                      for item in slices]
    native.close(), portable.close(), application.close()


def test_a_column_a_range_read_copies_missing_from_the_warehouse_leaves_out_only_the_exports_reading_its_table(
        small_demos, tmp_path):
    demo = tmp_path / "drifted.duckdb"
    shutil.copy(small_demos[5], demo)
    with duckdb.connect(str(demo)) as connection:  # a column no query of tonight's names, but its range read copies
        connection.execute("ALTER TABLE nba_raw.bettingpros_player_points_props DROP COLUMN opening_line")
    summary, source, files = replay_in_chunks(demo, tmp_path / "run", date(2026, 1, 14), AS_OF, chunk_days=31,
                                              types=("tonight", "results"))
    assert list(summary.skipped) == ["tonight"]
    assert "nba_raw.bettingpros_player_points_props.opening_line is missing" in summary.skipped["tonight"]
    assert not summary.failed and summary.days == 3
    assert not any(name.startswith("tonight/") for name in files)
    assert any(name.startswith("results/") for name in files)
    assert all(table_slice.table != "nba_raw.bettingpros_player_points_props" for table_slice in source.extracts)
