"""Backfill: replay the dated exports of every day of a date range, oldest first.

Each day is one replay run (phase6/runner.py): dated files only, never pointers, fixed paths or global files, and
unchanged files are counted, not uploaded. One run per day keeps each file built by exactly the code of a live
run. The warehouse is read once per chunk of days: each table the chunk's queries name is copied once into an
in-memory snapshot (phase6/warehouse/snapshot.py), and the days' unchanged SQL runs against the snapshot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable, Mapping

from .catalog import ExportSpec
from .runner import RunRecord, RunRequest, Runner
from .warehouse.preflight import range_read_columns, schema_preflight
from .warehouse.slices import Extract, TableSlice
from .warehouse.snapshot import plan_slices, take_snapshot

DEFAULT_CHUNK_DAYS = 31


def dated_export_types(catalog: Mapping[str, ExportSpec]) -> tuple[str, ...]:
    """The export types that write dated files (a `{date}` in a path): the only ones a replay writes."""
    return tuple(name for name, spec in catalog.items() if any("{date}" in path for path in spec.paths))


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def chunks(days: list[date], size: int) -> list[list[date]]:
    return [days[index:index + size] for index in range(0, len(days), size)]


@dataclass
class BackfillSummary:
    days: int = 0
    files: int = 0
    bytes: int = 0
    unchanged: int = 0
    queries: int = 0  # the days' queries, answered by the chunk snapshots
    rows_read: int = 0
    warehouse_reads: int = 0  # range reads of the configured warehouse: one per table per chunk
    warehouse_rows: int = 0
    chunks: int = 0
    failed: list[str] = field(default_factory=list)  # "date export: error"
    skipped: dict[str, str] = field(default_factory=dict)  # export type → why the preflight left it out

    def add_chunk(self, extracts: list[Extract]) -> None:
        self.chunks += 1
        self.warehouse_reads += len(extracts)
        self.warehouse_rows += sum(extract.rows for extract in extracts)

    def add(self, record: RunRecord) -> None:
        self.days += 1
        for name, result in record.exports.items():
            self.files += result.files
            self.bytes += result.bytes
            self.unchanged += result.unchanged
            self.queries += result.queries
            self.rows_read += result.rows_read
            if result.status == "failed":
                self.failed.append(f"{record.request.target_date} {name}: {result.error}")


def replay_request(types: tuple[str, ...], day: date) -> RunRequest:
    return RunRequest(types, day, mode="replay", update_latest=False, trigger_source="backfill")


def chunk_slices(runner: Runner, types: tuple[str, ...], days: list[date]) -> list[TableSlice]:
    """The table slices that answer every query of `types` on every day of the chunk."""
    reads = []
    for day in days:
        ctx = runner.context(replay_request(types, day))
        for name in types:
            spec = runner.catalog[name]
            queries = (*spec.queries, *(spec.materialization.queries if spec.materialization else ()))
            reads.extend((query.sql, query.params(ctx), query.reads_all_history) for query in queries)
    return plan_slices(reads)


def replay_preflight(runner: Runner, export_types: Iterable[str]) -> dict[str, str]:
    """The export types whose range reads would copy a column the warehouse lacks (or has with another type), and
    why: they are left out of the whole backfill, the others go on. Snapshots skip the per-run preflight, as they
    are made from the definitions it compares with."""
    if runner.schema_preflight is None:
        return {}
    specs = [runner.catalog[name] for name in export_types]
    return schema_preflight(runner.backends.warehouse, specs, range_read_columns)


def backfill(
    runner: Runner,
    start: date,
    end: date,
    export_types: Iterable[str],
    on_day: Callable[[date, RunRecord], None] = lambda day, record: None,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
) -> BackfillSummary:
    """Replay `export_types` (only their dated files are written) for every day from start to end inclusive,
    reading the warehouse once per table per chunk of `chunk_days` days; the types `replay_preflight` names are
    left out (`summary.skipped`)."""
    if chunk_days < 1:
        raise ValueError(f"chunk_days must be at least 1, not {chunk_days}")
    requested = tuple(export_types)
    summary = BackfillSummary(skipped=replay_preflight(runner, requested))
    types = tuple(name for name in requested if name not in summary.skipped)
    if not types:
        return summary
    for days in chunks(days_between(start, end), chunk_days):
        snapshot, extracts = take_snapshot(runner.backends.warehouse, chunk_slices(runner, types, days))
        summary.add_chunk(extracts)
        try:
            chunk_runner = runner.with_warehouse(snapshot)
            for day in days:
                record = chunk_runner.run(replay_request(types, day))
                summary.add(record)
                on_day(day, record)
        finally:
            snapshot.close()
    return summary


def replay_messages(start: date, end: date, export_types: Iterable[str]) -> list[dict]:
    """One replay export request per day, for `backfill --via pubsub`."""
    types = list(export_types)
    return [
        {"export_types": types, "target_date": day.isoformat(), "mode": "replay", "trigger_source": "backfill"}
        for day in days_between(start, end)
    ]
