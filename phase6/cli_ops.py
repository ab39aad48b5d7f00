"""`report` and `status`: what operators look at (registered in phase6/cli.py).

Neither takes a write lock on the warehouse, so both work while a run holds it: `report` opens only the state store
and the bucket; `status` reads the game-day clock without a write lock (phase6/app.py `read_clock`) and measures
ages on the wall clock, on which the objects were written.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from exporters import catalog

from . import status as status_json
from .app import open_bucket_store, open_state_for_view, read_clock
from .cli_console import TIME_ZONE_NOTE, age_text, keep_whole, operator_table, out, short_time
from .cli_errors import CommandError, UsageMistake
from .config import DATA_DIR, Settings
from .events import UNPUBLISHED
from .jsonio import dumps
from .report import REPORTS_PREFIX, cost_class, load_game_day, render_report
from .status import HOUR

REPORT_CONTENT_TYPE = "text/html; charset=utf-8"


def report(
    run_id: Optional[str] = typer.Argument(None, help="The run to report on (see `runs`)."),
    latest: bool = typer.Option(False, "--latest", help="Report on the most recent run."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the page to this file."),
) -> None:
    """Write the self-contained HTML run report: into a local bucket's reports/ and to --out."""
    if (run_id is None) == (not latest):
        raise UsageMistake("give either a RUN_ID or --latest")
    settings = Settings()
    run = find_run(settings, run_id)
    bucket = open_bucket_store(settings)
    classes = {name: cost_class(spec.critical, spec.cost) for name, spec in catalog().items()}
    game_day = load_game_day(bucket, settings.object_prefix, date.fromisoformat(str(run["request"]["target_date"])))
    page = render_report(run, classes=classes, budget_seconds=settings.budget_seconds, game_day=game_day,
                         generated_at=datetime.now(timezone.utc)).encode()
    for written in save_report(settings, bucket, run["run_id"], page, out):
        typer.echo(f"wrote {written}")


def find_run(settings: Settings, run_id: str | None) -> dict[str, Any]:
    state = open_state_for_view(settings)
    try:
        run = state.get_run(run_id) if run_id else next(iter(state.recent_runs(1)), None)
    finally:
        state.close()
    if run is None:
        raise CommandError(f"no run {run_id!r} in {settings.state_url}" if run_id else f"no run recorded in {settings.state_url}")
    return run


def save_report(settings: Settings, bucket: Any, run_id: str, page: bytes, out: Path | None) -> list[str]:
    """A local bucket gets reports/<run_id>.html (the preview links the newest); a cloud bucket is public, so it
    never gets one: the page goes to --out, else to the data folder."""
    written = []
    if settings.bucket_url.startswith("file://"):
        name = f"{REPORTS_PREFIX}{run_id}.html"
        bucket.write(name, page, cache_control="no-store", content_type=REPORT_CONTENT_TYPE)
        written.append(f"{settings.bucket_url}/{name}")
    if out is None and not written:
        out = DATA_DIR / "reports" / f"{run_id}.html"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(page)
        written.append(str(out))
    return written


def status(
    as_json: bool = typer.Option(False, "--json", help="Print the status.json body, as of now, instead of a table."),
) -> None:
    """Per endpoint: last write, age against its freshness SLA, ok/stale. Exits 1 when an endpoint is stale."""
    settings = Settings()
    reading = read_clock(settings)
    state = open_state_for_view(settings)
    try:
        body = current_status(settings, open_bucket_store(settings), state, reading.clock.game_day())
        lost = unpublished_events(state.recent_runs(RECENT_RUNS))
    finally:
        state.close()
    if as_json:
        print(dumps(body).decode(), end="")
    else:
        out().print(status_table(body, "\n".join(filter(None, [reading.note, lost]))))
    if any(entry["status"] != "ok" for entry in body["endpoints"]):
        raise typer.Exit(1)


def current_status(settings: Settings, bucket: Any, state: Any, game_day: date) -> dict[str, Any]:
    """status.json's body for the game day, with ages measured now on the wall clock."""
    probes = status_json.collect_probes(bucket, settings.object_prefix, game_day)
    run = next(iter(state.recent_runs(1)), None)
    return status_json.build_status(
        generated_at=datetime.now(timezone.utc), game_day=game_day, publisher_build=settings.build_commit,
        run=run or no_run(game_day), probes=probes,
    )


RECENT_RUNS = 50


def unpublished_events(runs: list[dict[str, Any]]) -> str:
    """A note counting the recent runs whose completion event exists only in the log (empty when there is none)."""
    lost = [run["run_id"] for run in runs if run.get("completion_event") == UNPUBLISHED]
    if not lost:
        return ""
    return (f"{len(lost)} of the last {len(runs)} runs' completion events were not published and exist only in the "
            f"log (`completion_event`; republish them): {', '.join(lost)}")


def no_run(game_day: date) -> dict[str, Any]:
    return {"run_id": "", "request": {"mode": "", "target_date": game_day}, "status": "none", "started_at": None,
            "finished_at": None, "exports": {}}


def status_table(body: dict[str, Any], clock_note: str = "") -> Table:
    run = body["run"]
    caption = f"last run {run['run_id'] or '(none)'}: {run['status']}, target {run['target_date']}"
    title = f"status · game day {body['game_day']} · {body['overall_status']} · {TIME_ZONE_NOTE}"
    table = operator_table("endpoint", "path", "written", "age", "SLA", "status", whole=("endpoint", "status"),
                           numbers=("age", "SLA"), title=title, caption="\n".join(filter(None, [caption, clock_note])))
    for entry in body["endpoints"]:
        style = "green" if entry["status"] == "ok" else "bold red"
        table.add_row(entry["export_type"], entry["path"], short_time(entry["last_written_at"]) or "never",
                      age_text(entry["age_seconds"]), f"{entry['sla_seconds'] / HOUR:g} h",
                      Text(entry["status"], style=style))
    return keep_whole(table)
