"""The deterministic demo-season generator and its DuckDB schema."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from pathlib import Path

import duckdb
import pytest

from phase6.demo import DemoParams, DemoSelfTestError, build_demo, selftest
from phase6.demo.clock import et_to_utc
from phase6.demo.players import normalize_lookup
from phase6.warehouse.schema import PARTITION_COLUMNS, TABLES

# Six teams of eight players over a short window that crosses the switch from backfill to live runs.
SMALL = DemoParams(teams=6, players_per_team=8, season_start=date(2025, 12, 29), season_end=date(2026, 1, 25),
                   predictions_start=date(2026, 1, 2), as_of_date=date(2026, 1, 16))


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone='UTC'")
    return con


@pytest.fixture(scope="module")
def small_builds(tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("demo")
    first, second = directory / "first.duckdb", directory / "second.duckdb"
    build_demo(first, SMALL)
    build_demo(second, SMALL)
    return first, second


@pytest.fixture(scope="module")
def small(small_builds) -> duckdb.DuckDBPyConnection:
    con = _connect(small_builds[0])
    yield con
    con.close()


def _edge_cases(con: duckdb.DuckDBPyConnection) -> dict:
    return json.loads(con.execute("SELECT params FROM phase6_demo.settings").fetchone()[0])["edge_cases"]


def _table_contents(path: Path) -> dict[str, list[tuple]]:
    con = _connect(path)
    try:
        contents = {}
        for name, table in (*TABLES.items(), ("phase6_demo.settings", None)):
            columns = ", ".join(table.column_names) if table else "*"
            contents[name] = con.execute(f"SELECT {columns} FROM {name} ORDER BY ALL").fetchall()
        return contents
    finally:
        con.close()


def test_two_builds_with_the_same_params_are_identical(small_builds):
    first, second = (_table_contents(path) for path in small_builds)
    for name in first:
        assert first[name] == second[name], name
    assert all(first[name] for name in TABLES), "every table has rows"


def test_structural_self_test_passes(small):
    assert selftest.structural_failures(small, SMALL) == []


def test_derived_tables_equal_a_fresh_derivation(small):
    assert set(selftest.rederivation_mismatches(small, SMALL).values()) == {0}


def test_every_game_id_matches_the_schedule(small):
    unmatched = small.execute("""
        WITH games AS (SELECT DISTINCT game_date, strftime(game_date, '%Y%m%d') || '_' || away_team_tricode || '_'
                              || home_team_tricode AS game_id FROM nba_raw.nbac_schedule WHERE game_date >= $d)
        SELECT COUNT(*) FROM nba_predictions.player_prop_predictions p
        LEFT JOIN games g ON g.game_id = p.game_id AND g.game_date = p.game_date
        WHERE p.game_date >= $d AND g.game_id IS NULL""", {"d": SMALL.season_start}).fetchone()[0]
    assert unmatched == 0


def test_one_active_row_per_key_except_flagged_cases(small):
    flagged = {(case["game_date"], case["player_lookup"]) for case in _edge_cases(small).get("two_active_rows", [])}
    duplicates = small.execute("""
        SELECT CAST(game_date AS VARCHAR), player_lookup FROM nba_predictions.player_prop_predictions
        WHERE game_date >= $d AND is_active GROUP BY game_date, system_id, player_lookup, game_id
        HAVING COUNT(*) > 1""", {"d": SMALL.season_start}).fetchall()
    assert set(duplicates) <= flagged


def test_superseded_rows_point_to_newer_rows_of_the_same_key(small):
    counts = small.execute("""
        SELECT COUNT(*), COUNT_IF(n.created_at > p.created_at AND n.system_id = p.system_id
                                  AND n.player_lookup = p.player_lookup AND n.game_id = p.game_id)
        FROM nba_predictions.player_prop_predictions p
        JOIN nba_predictions.player_prop_predictions n ON n.prediction_id = p.superseded_by AND n.game_date >= $d
        WHERE p.game_date >= $d AND p.superseded_by IS NOT NULL""", {"d": SMALL.season_start}).fetchone()
    assert counts[0] > 0
    assert counts[0] == counts[1]


def test_player_lookups_are_normalized_and_registered(small):
    registry = {row[0] for row in small.execute(
        "SELECT player_lookup FROM nba_reference.nba_players_registry").fetchall()}
    names = small.execute("SELECT DISTINCT player_lookup, player_name FROM nba_reference.nba_players_registry")
    for lookup, name in names.fetchall():
        assert lookup == normalize_lookup(name)
    for table, partition in PARTITION_COLUMNS.items():
        if "player_lookup" in TABLES[table].column_names:
            lookups = {row[0] for row in small.execute(
                f"SELECT DISTINCT player_lookup FROM {table} WHERE {partition} >= $d",
                {"d": SMALL.season_start}).fetchall()}
            assert lookups <= registry, table


@pytest.mark.parametrize("name, lookup", [
    ("D'Andre Núñez-Hall Jr.", "dandrenunezhalljr"), ("José Alvarado", "josealvarado"),
    ("Killian Hayes", "killianhayes"), ("LeBron James Jr.", "lebronjamesjr"), ("Dāvis Bertāns III", "davisbertansiii"),
])
def test_normalize_lookup(name, lookup):
    assert normalize_lookup(name) == lookup


def test_as_of_day_holds_only_what_exists_at_one_pm(small):
    as_of = {"d": SMALL.as_of_date}
    for table in ("nba_analytics.player_game_summary", "nba_predictions.prediction_accuracy",
                  "nba_predictions.system_daily_performance", "nba_raw.bdl_player_boxscores"):
        assert small.execute(f"SELECT COUNT(*) FROM {table} WHERE game_date = $d", as_of).fetchone()[0] == 0, table
    cutoff = et_to_utc(SMALL.as_of_date, time(13, 0))
    latest = small.execute("SELECT MAX(created_at) FROM nba_predictions.player_prop_predictions WHERE game_date = $d",
                           as_of).fetchone()[0]
    assert latest < cutoff
    assert small.execute("SELECT MAX(report_hour) FROM nba_raw.nbac_injury_report WHERE report_date = $d",
                         as_of).fetchone()[0] <= 13
    assert {row[0] for row in small.execute(
        "SELECT DISTINCT game_status FROM nba_raw.nbac_schedule WHERE game_date = $d", as_of).fetchall()} == {1}
    versions = small.execute("SELECT DISTINCT trigger_source FROM nba_predictions.current_subset_picks "
                             "WHERE game_date = $d", as_of).fetchall()
    assert 1 <= len(versions) <= 2
    for table in ("nba_analytics.upcoming_player_game_context", "nba_predictions.player_prop_predictions"):
        assert small.execute(f"SELECT COUNT(*) FROM {table} WHERE game_date > $d", as_of).fetchone()[0] == 0


def test_settings_freeze_the_demo_clock_after_the_last_seeded_version(small):
    seed, as_of, clock, demo_now = small.execute(
        "SELECT seed, as_of_date, as_of_time_et, demo_now FROM phase6_demo.settings").fetchone()
    assert (seed, as_of, clock) == (SMALL.seed, SMALL.as_of_date, "13:00")
    assert demo_now == datetime(2026, 1, 16, 18, 0, tzinfo=timezone.utc)
    latest_version = small.execute("SELECT MAX(computed_at) FROM nba_predictions.current_subset_picks "
                                   "WHERE game_date = $d", {"d": SMALL.as_of_date}).fetchone()[0]
    assert latest_version < demo_now


def test_tip_times_respect_daylight_saving():
    assert et_to_utc(date(2025, 10, 21), time(19, 0)) == datetime(2025, 10, 21, 23, 0, tzinfo=timezone.utc)
    assert et_to_utc(date(2025, 12, 1), time(19, 0)) == datetime(2025, 12, 2, 0, 0, tzinfo=timezone.utc)
    assert et_to_utc(date(2026, 3, 10), time(19, 30)) == datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc)


def test_failed_self_test_leaves_the_existing_file_untouched(tmp_path, monkeypatch):
    target = tmp_path / "demo.duckdb"
    target.write_bytes(b"previous build")
    monkeypatch.setattr(selftest, "structural_failures", lambda con, params: ["forced failure"])
    with pytest.raises(DemoSelfTestError, match="forced failure"):
        build_demo(target, SMALL)
    assert target.read_bytes() == b"previous build"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["demo.duckdb"]


def test_live_snapshot_has_box_scores_but_no_summary(tmp_path):
    params = DemoParams(**{**SMALL.__dict__, "live_snapshot_et": "21:15"})
    build_demo(tmp_path / "live.duckdb", params)
    con = _connect(tmp_path / "live.duckdb")
    try:
        as_of = {"d": params.as_of_date}
        statuses = con.execute("""
            SELECT s.game_status, COUNT(b.game_id) FROM nba_raw.nbac_schedule s
            LEFT JOIN nba_raw.bdl_player_boxscores b
              ON b.game_date = s.game_date AND b.game_id = strftime(s.game_date, '%Y%m%d') || '_'
                 || s.away_team_tricode || '_' || s.home_team_tricode
            WHERE s.game_date = $d GROUP BY s.game_status""", as_of).fetchall()
        by_status = dict(statuses)
        assert by_status.get(2, 0) + by_status.get(3, 0) > 0
        assert by_status.get(1, 0) == 0, "games not yet tipped have no box scores"
        assert con.execute("SELECT COUNT(*) FROM nba_analytics.player_game_summary WHERE game_date = $d",
                           as_of).fetchone()[0] == 0
    finally:
        con.close()


@pytest.mark.slow
def test_default_season_meets_calibration_targets(tmp_path):
    report = build_demo(tmp_path / "season.duckdb")
    assert selftest.calibration_failures(report.calibration) == []
    assert report.row_counts["nba_reference.nba_players_registry"] >= 460
    assert report.row_counts["nba_predictions.dynamic_subset_definitions"] == 22
    assert report.seconds < 120
