"""Backfill: replay the dated exports of every day of a date range, oldest first.

Each day is one replay run (phase6/runner.py): dated files only, never pointers, fixed paths or global files, and
unchanged files are counted, not uploaded. One run per day keeps each file built by exactly the code of a live
run; the day's queries are set-based, so a day costs a fixed number of warehouse queries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable, Mapping

from .catalog import ExportSpec
from .runner import RunRecord, RunRequest, Runner


def dated_export_types(catalog: Mapping[str, ExportSpec]) -> tuple[str, ...]:
    """The export types that write dated files (a `{date}` in a path): the only ones a replay writes."""
    return tuple(name for name, spec in catalog.items() if any("{date}" in path for path in spec.paths))


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


@dataclass
class BackfillSummary:
    days: int = 0
    files: int = 0
    bytes: int = 0
    unchanged: int = 0
    queries: int = 0
    rows_read: int = 0
    failed: list[str] = field(default_factory=list)  # "date export: error"

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


def backfill(
    runner: Runner,
    start: date,
    end: date,
    export_types: Iterable[str],
    on_day: Callable[[date, RunRecord], None] = lambda day, record: None,
) -> BackfillSummary:
    """Replay `export_types` (only their dated files are written) for every day from start to end inclusive."""
    types = tuple(export_types)
    summary = BackfillSummary()
    for day in days_between(start, end):
        record = runner.run(RunRequest(types, day, mode="replay", update_latest=False, trigger_source="backfill"))
        summary.add(record)
        on_day(day, record)
    return summary


def replay_messages(start: date, end: date, export_types: Iterable[str]) -> list[dict]:
    """One replay export request (messages.md §1) per day, for `backfill --via pubsub`."""
    types = list(export_types)
    return [
        {"export_types": types, "target_date": day.isoformat(), "mode": "replay", "trigger_source": "backfill"}
        for day in days_between(start, end)
    ]
