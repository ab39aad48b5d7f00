"""Builds the demo warehouse file: simulate, load, derive, self-test, then atomically replace."""
from __future__ import annotations

import json
import os
import tempfile
import time as wall_time
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import duckdb

from phase6.demo import derived, selftest
from phase6.demo.clock import et_to_utc, parse_hhmm
from phase6.demo.params import DemoParams, DemoReport
from phase6.demo.season import Season, SeasonData
from phase6.demo.writer import load_rows
from phase6.warehouse.schema import SETTINGS_TABLE, TABLES, create_schema

Progress = Callable[[str, int, int], None]
LATEST_SUBSET_VERSION_ET = "11:35"
VERSIONS = "seeded_subset_versions"


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def validate_params(params: DemoParams) -> None:
    if parse_hhmm(params.as_of_time_et) <= parse_hhmm(LATEST_SUBSET_VERSION_ET):
        raise ValueError("as_of_time_et must be later than 11:35 ET (the last seeded subset version)")
    if not params.season_start <= params.predictions_start <= params.as_of_date <= params.season_end:
        raise ValueError("need season_start <= predictions_start <= as_of_date <= season_end")


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {value!r}")


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def build_demo(path: Path, params: DemoParams = DemoParams(), progress: Progress | None = None) -> DemoReport:
    started = wall_time.monotonic()
    progress = progress or _no_progress
    validate_params(params)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.building")
    _remove(building)
    try:
        data = Season(params, progress).simulate()
        con = duckdb.connect(str(building))
        try:
            con.execute("SET TimeZone='UTC'")
            create_schema(con)
            _load(con, data, params, progress)
            _derive(con, data, params, progress)
            notes = {**data.notes, **selftest.notable_examples(con, params)}
            _write_settings(con, params, notes)
            progress("self-test", 0, 1)
            calibration = selftest.run_self_test(con, params)
            progress("self-test", 1, 1)
            row_counts = {name: con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in TABLES}
        finally:
            con.close()
        os.replace(building, path)
    finally:
        _remove(building)
    edge_cases = json.loads(json.dumps(notes, default=_json_default))
    return DemoReport(str(path), row_counts, calibration, edge_cases, wall_time.monotonic() - started)


def _load(con: duckdb.DuckDBPyConnection, data: SeasonData, params: DemoParams, progress: Progress) -> None:
    tables = [TABLES[name] for name in sorted(data.rows)]
    with tempfile.TemporaryDirectory(prefix="phase6-demo-") as scratch:
        for index, table in enumerate(tables):
            load_rows(con, table, data.rows[table.name], Path(scratch))
            progress("load tables", index + 1, len(tables))
        created = et_to_utc(params.predictions_start, parse_hhmm("09:00"))
        load_rows(con, TABLES["nba_predictions.dynamic_subset_definitions"], derived.definition_rows(created),
                  Path(scratch))


def _derive(con: duckdb.DuckDBPyConnection, data: SeasonData, params: DemoParams, progress: Progress) -> None:
    progress("derive tables", 0, 1)
    con.execute(f"CREATE TEMP TABLE {VERSIONS} (game_date DATE, version_id VARCHAR, computed_at TIMESTAMPTZ, "
                "trigger_source VARCHAR)")
    con.executemany(f"INSERT INTO {VERSIONS} VALUES (?, ?, ?, ?)",
                    [(v.game_date, v.version_id, v.computed_at, v.trigger_source) for v in data.versions])
    derived.derive_tables(con, params.predictions_start, params.as_of_date, VERSIONS)
    progress("derive tables", 1, 1)


def _write_settings(con: duckdb.DuckDBPyConnection, params: DemoParams, notes: dict) -> None:
    demo_now = et_to_utc(params.as_of_date, parse_hhmm(params.as_of_time_et))
    described = {"params": {name: getattr(params, name) for name in params.__dataclass_fields__},
                 "edge_cases": notes}
    con.execute(f"INSERT INTO {SETTINGS_TABLE.name} VALUES (?, ?, ?, ?, ?)",
                [params.seed, params.as_of_date, params.as_of_time_et, demo_now,
                 json.dumps(described, sort_keys=True, default=_json_default)])
