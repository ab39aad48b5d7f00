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
from rich.console import Console
from rich.table import Table

from exporters import export_types

from .config import Settings
from .formats import ts
from .state import open_state
from .state.base import Breaker, is_stale

console = Console()
err = Console(stderr=True)


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str  # the run record's status, else the heartbeat's; "stale" for a running run gone quiet
    target_date: str
    export_types: str
    started_at: str
    last_beat: str
    progress: str
    current_export: str
    deferred: str
    breakers_open: str


def run_rows(runs: list[dict[str, Any]], heartbeats: list[dict[str, Any]], now: datetime, limit: int) -> list[RunRow]:
    """Run records joined with their heartbeats; a heartbeat without a record is a run still going (or dead)."""
    records = {run["run_id"]: run for run in runs}
    beats = {beat["run_id"]: beat for beat in heartbeats}
    rows = [_row(records.get(run_id), beats.get(run_id), now) for run_id in {*records, *beats}]
    return sorted(rows, key=lambda row: (row.started_at, row.run_id), reverse=True)[:limit]


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
        target_date=request.get("target_date") or beat.get("target_date", ""),
        export_types=",".join(request.get("export_types") or beat.get("export_types") or []),
        started_at=record.get("started_at") or _time(beat.get("started_at")),
        last_beat=_time(beat.get("last_beat")),
        progress=_progress(progress) + (f" ({_progress(entities)} entities)" if entities else ""),
        current_export=beat.get("current_export") or "",
        deferred=",".join(record.get("deferred", [])),
        breakers_open=",".join(record.get("breakers_open", [])),
    )


def _progress(progress: dict[str, Any]) -> str:
    return f"{progress['done']}/{progress['total']}" if progress else ""


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return ts(value) or ""
    return "" if value is None else str(value)


def runs(limit: int = typer.Option(20, min=1, help="How many runs to show.")) -> None:
    """Recent runs with their heartbeats; a running run with no beat for 5 minutes is flagged stale."""
    settings = Settings()
    state = open_state(settings)
    try:
        rows = run_rows(state.recent_runs(limit), state.heartbeats(limit), datetime.now(timezone.utc), limit)
    finally:
        state.close()
    table = Table("run", "status", "target", "types", "started", "last beat", "progress", "current", "deferred",
                  "breakers open", title=f"recent runs ({settings.state_url})")
    for row in rows:
        style = {"success": "green", "failed": "red", "stale": "bold red", "running": "cyan"}.get(row.status, "yellow")
        table.add_row(row.run_id, f"[{style}]{row.status}[/{style}]", row.target_date, row.export_types,
                      row.started_at, row.last_beat, row.progress, row.current_export, row.deferred, row.breakers_open)
    console.print(table)


def breakers(
    reset: Optional[str] = typer.Option(None, "--reset", metavar="TYPE", help="Close the breaker of this export type."),
) -> None:
    """Circuit breakers per export type; --reset TYPE closes one."""
    settings = Settings()
    if reset is not None and reset not in export_types():
        err.print(f"unknown export type {reset!r}; known: {', '.join(export_types())}")
        raise typer.Exit(2)
    state = open_state(settings)
    try:
        if reset is not None:
            state.reset_breaker(reset)
            console.print(f"breaker {reset} reset (closed)")
        found = state.breakers(datetime.now(timezone.utc))
    finally:
        state.close()
    console.print(breaker_table(found))


def breaker_table(found: list[Breaker]) -> Table:
    table = Table("export type", "status", "consecutive failures", "trips", "opened", "retry after", title="breakers")
    for breaker in found:
        style = {"closed": "green", "open": "red"}.get(breaker.status, "yellow")
        table.add_row(breaker.export_type, f"[{style}]{breaker.status}[/{style}]", str(breaker.consecutive_failures),
                      str(breaker.trips), ts(breaker.opened_at) or "", ts(breaker.retry_after) or "")
    if not found:
        table.caption = "no breaker has recorded a failure"
    return table
