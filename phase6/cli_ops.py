"""`report` and `status`: what operators look at (registered in phase6/cli.py).

`report` opens only the state store and the bucket, never the warehouse. `status` opens the app for the game-day
clock (frozen in the demo) and measures ages on the wall clock, on which the objects were written.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from exporters import catalog

from . import status as status_json
from .status import HOUR
from .app import open_app
from .config import DATA_DIR, Settings
from .jsonio import dumps
from .report import REPORTS_PREFIX, cost_class, load_game_day, render_report
from .state import open_state
from .storage import open_bucket

console = Console()
err = Console(stderr=True)
REPORT_CONTENT_TYPE = "text/html; charset=utf-8"


def report(
    run_id: Optional[str] = typer.Argument(None, help="The run to report on (see `runs`)."),
    latest: bool = typer.Option(False, "--latest", help="Report on the most recent run."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the page to this file."),
) -> None:
    """Write the self-contained HTML run report: into a local bucket's reports/ and to --out."""
    if (run_id is None) == (not latest):
        err.print("give either a RUN_ID or --latest")
        raise typer.Exit(2)
    settings = Settings()
    run = find_run(settings, run_id)
    bucket = open_bucket(settings)
    classes = {name: cost_class(spec.critical, spec.cost) for name, spec in catalog().items()}
    game_day = load_game_day(bucket, settings.object_prefix, date.fromisoformat(str(run["request"]["target_date"])))
    page = render_report(run, classes=classes, budget_seconds=settings.budget_seconds, game_day=game_day,
                         generated_at=datetime.now(timezone.utc)).encode()
    for written in save_report(settings, bucket, run["run_id"], page, out):
        console.print(f"wrote {written}")


def find_run(settings: Settings, run_id: str | None) -> dict[str, Any]:
    state = open_state(settings)
    try:
        run = state.get_run(run_id) if run_id else next(iter(state.recent_runs(1)), None)
    finally:
        state.close()
    if run is None:
        err.print(f"no run {run_id!r} in {settings.state_url}" if run_id else f"no run recorded in {settings.state_url}")
        raise typer.Exit(1)
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
    application = open_app()
    try:
        body = current_status(application)
    finally:
        application.close()
    if as_json:
        print(dumps(body).decode(), end="")
    else:
        console.print(status_table(body))
    if any(entry["status"] != "ok" for entry in body["endpoints"]):
        raise typer.Exit(1)


def current_status(application: Any) -> dict[str, Any]:
    """status.json's body for the app's game day, with ages measured now on the wall clock."""
    settings, backends = application.settings, application.backends
    game_day = application.clock.game_day()
    probes = status_json.collect_probes(backends.bucket, settings.object_prefix, game_day)
    run = next(iter(backends.state.recent_runs(1)), None)
    return status_json.build_status(
        generated_at=datetime.now(timezone.utc), game_day=game_day, publisher_build=settings.build_commit,
        run=run or no_run(game_day), probes=probes,
    )


def no_run(game_day: date) -> dict[str, Any]:
    return {"run_id": "", "request": {"mode": "", "target_date": game_day}, "status": "none", "started_at": None,
            "finished_at": None, "exports": {}}


def status_table(body: dict[str, Any]) -> Table:
    run = body["run"]
    table = Table("endpoint", "path", "last written", "age", "SLA", "status",
                  title=f"status · game day {body['game_day']} · {body['overall_status']}",
                  caption=f"last run {run['run_id'] or '(none)'}: {run['status']}, target {run['target_date']}")
    for entry in body["endpoints"]:
        style = "green" if entry["status"] == "ok" else "bold red"
        written = entry["last_written_at"]
        table.add_row(entry["export_type"], entry["path"], written.strftime("%Y-%m-%d %H:%M:%S") if written else "never",
                      age_text(entry["age_seconds"]), f"{entry['sla_seconds'] / HOUR:.1f} h",
                      f"[{style}]{entry['status']}[/{style}]")
    return table


def age_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds / 60:.0f} min" if seconds < 2 * HOUR else f"{seconds / HOUR:.1f} h"
