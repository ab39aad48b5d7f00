"""`runs` and `breakers`: what operators read from the state store.

Registered in the main command line (phase6/cli.py) as `python -m phase6 runs` and `python -m phase6 breakers`.
They open only the state store, never the warehouse, so they work while a run holds the DuckDB file. The state
store's times are on the wall clock (see Runner), so "now" is the real time even for the frozen demo clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

import typer
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from exporters import export_types, groups

from .app import open_state_for_view
from .cli_console import TIME_ZONE_NOTE, age_text, keep_whole, noted_table, operator_table, out, short_time
from .cli_errors import UsageMistake
from .config import Settings
from .state.base import Breaker, is_stale

EPOCH = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str  # the run record's status, else the heartbeat's; "stale" for a running run gone quiet
    target_date: str
    export_types: str
    started_at: datetime | None
    last_beat: datetime | None
    progress: str
    entities: str  # a fan-out's progress: players done / total
    current_export: str
    deferred: str
    breakers_open: str


def run_rows(runs: list[dict[str, Any]], heartbeats: list[dict[str, Any]], now: datetime, limit: int) -> list[RunRow]:
    """Run records joined with their heartbeats; a heartbeat without a record is a run still going (or dead)."""
    records = {run["run_id"]: run for run in runs}
    beats = {beat["run_id"]: beat for beat in heartbeats}
    rows = [_row(records.get(run_id), beats.get(run_id), now) for run_id in {*records, *beats}]
    return sorted(rows, key=lambda row: (row.started_at or EPOCH, row.run_id), reverse=True)[:limit]


def _row(record: dict[str, Any] | None, beat: dict[str, Any] | None, now: datetime) -> RunRow:
    record, beat = record or {}, beat or {}
    request = record.get("request", {})
    status = record.get("status") or beat.get("status", "?")
    if not record and is_stale(beat, now):
        status = "stale"
    progress = beat.get("progress") or {}
    entities = beat.get("entities") or {}
    return RunRow(
        run_id=record.get("run_id") or beat["run_id"],
        status=status,
        target_date=str(request.get("target_date") or beat.get("target_date", "")),
        export_types=compact_types(request.get("export_types") or beat.get("export_types") or []),
        started_at=_time(record.get("started_at") or beat.get("started_at")),
        last_beat=_time(beat.get("last_beat")),
        progress=_progress(progress),
        entities=_progress(entities),
        current_export=beat.get("current_export") or "",
        deferred=", ".join(record.get("deferred", [])),
        breakers_open=", ".join(record.get("breakers_open", [])),
    )


def compact_types(export_types: list[str]) -> str:
    """A group's name when the types are exactly that group (`all`, `tonight-set`, `results-set`)."""
    for group, members in groups().items():
        if set(export_types) == set(members):
            return group
    return ", ".join(export_types)


def _progress(progress: dict[str, Any]) -> str:
    return f"{progress['done']}/{progress['total']}" if progress else ""


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else None


def runs(limit: int = typer.Option(20, min=1, help="How many runs to show.")) -> None:
    """Recent runs with their heartbeats; a running run with no beat for 5 minutes is flagged stale."""
    settings = Settings()
    state = open_state_for_view(settings)
    now = datetime.now(timezone.utc)
    try:
        rows = run_rows(state.recent_runs(limit), state.heartbeats(limit), now, limit)
    finally:
        state.close()
    out().print(runs_view(rows, now, title=f"recent runs · {settings.state_url} · {TIME_ZONE_NOTE}"))


RUN_STYLES = {"success": "green", "failed": "red", "stale": "bold red", "running": "cyan"}


def runs_view(rows: list[RunRow], now: datetime, title: str) -> RenderableType:
    """One line per run (its id whole); what does not fit on it goes on an indented line below."""
    lines = []
    for row in rows:
        beat_age = f"{age_text((now - row.last_beat).total_seconds())} ago" if row.last_beat else ""
        cells = [Text(row.run_id), Text(row.status, style=RUN_STYLES.get(row.status, "yellow")), Text(row.target_date),
                 Text(short_time(row.started_at, now)), Text(beat_age), Text(row.progress)]
        notes = {"types": row.export_types, "current": row.current_export, "entities": row.entities,
                 "deferred": row.deferred, "breakers open": row.breakers_open}
        lines.append((cells, " · ".join(f"{label} {value}" for label, value in notes.items() if value)))
    table = noted_table(("run", "status", "target", "started", "last beat", "progress"), lines, title)
    if not rows:
        table.renderables.append(Text("no run recorded yet", style="italic"))
    return table


def breakers(
    reset: Optional[str] = typer.Option(None, "--reset", metavar="TYPE", help="Close the breaker of this export type."),
) -> None:
    """Circuit breakers per export type; --reset TYPE closes one."""
    if reset is not None and reset not in export_types():
        raise UsageMistake(f"unknown export type {reset!r}; known: {', '.join(export_types())}")
    state = open_state_for_view(Settings())
    now = datetime.now(timezone.utc)
    try:
        if reset is not None:
            state.reset_breaker(reset)
            out().print(f"breaker {reset} reset (closed)")
        found = state.breakers(now)
    finally:
        state.close()
    out().print(breaker_table(found, now))


def breaker_table(found: list[Breaker], now: datetime) -> Table:
    table = operator_table("export type", "status", "failures in a row", "trips", "opened", "retry after",
                           whole=("export type", "status"), numbers=("failures in a row", "trips"),
                           title=f"breakers · {TIME_ZONE_NOTE}")
    for breaker in found:
        style = {"closed": "green", "open": "red"}.get(breaker.status, "yellow")
        table.add_row(breaker.export_type, Text(breaker.status, style=style), str(breaker.consecutive_failures),
                      str(breaker.trips), short_time(breaker.opened_at, now), short_time(breaker.retry_after, now))
    if not found:
        table.caption = "no breaker has recorded a failure"
    return keep_whole(table)
