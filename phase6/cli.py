"""The command line: `python -m phase6 COMMAND`. Run `python -m phase6 --help` for the list.

Every command is registered on `app`, whose group class (phase6/cli_errors.py) ends each one the same way: a user
mistake or an unavailable backend is one line on stderr and a non-zero exit, a bug its traceback.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from .app import open_app, read_clock
from .cli_console import err, keep_whole, operator_table, out
from .cli_errors import HandledGroup, UsageMistake
from .cli_requests import (
    DATE_HELP, DATE_METAVAR, MODE_HELP, MODE_METAVAR, TYPES_HELP, accepted, day_option, request_fields, run_request,
)
from .config import Settings, local_path
from .progress import stage_progress
from .runner import RunRecord

app = typer.Typer(cls=HandledGroup, add_completion=False, no_args_is_help=True,
                  help="Publish the prediction warehouse as a static JSON API.")


@app.command()
def demo(
    path: Optional[Path] = typer.Option(None, help="DuckDB file to build (default: the configured warehouse)."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing when the file already exists."),
    seed: int = typer.Option(20251021, help="PRNG seed; the same parameters give identical tables."),
    teams: int = typer.Option(30, min=2, max=30, help="Number of teams."),
    players_per_team: int = typer.Option(15, min=5, max=20, help="Players per team."),
    as_of: str = typer.Option("2026-03-04", metavar="YYYY-MM-DD", help="The demo's as-of game day (the frozen 'today')."),
    season_end: str = typer.Option("2026-04-12", metavar="YYYY-MM-DD", help="Last day of the generated schedule."),
) -> None:
    """Build (or rebuild) the demo warehouse: a deterministic 2025-26 season in DuckDB."""
    from .demo import DemoParams, build_demo, validate_params

    params = DemoParams(seed=seed, teams=teams, players_per_team=players_per_team,
                        as_of_date=day_option("--as-of", as_of), season_end=day_option("--season-end", season_end))
    try:
        validate_params(params)
    except ValueError as error:
        raise UsageMistake(f"--as-of, --season-end: {error}") from error
    target = path or local_path(Settings().warehouse_url, "duckdb")
    if if_missing and target.exists():
        out().print(f"demo warehouse {target} exists; keeping it")
        return
    console = out()
    with stage_progress(console) as progress:
        report = build_demo(target, params, progress=progress)
    console.print(f"built {target} in {report.seconds:.1f} s")
    table = operator_table("table", "rows", whole=("table",), numbers=("rows",), title="demo warehouse")
    for name, count in sorted(report.row_counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(keep_whole(table))


@app.command()
def run(
    date_text: str = typer.Option("today", "--date", metavar=DATE_METAVAR, help=DATE_HELP),
    types: str = typer.Option("all", help=TYPES_HELP),
    mode: str = typer.Option("live", metavar=MODE_METAVAR, help=MODE_HELP),
    update_latest: Optional[bool] = typer.Option(
        None, "--update-latest/--no-update-latest",
        help="Write the live pointers (latest.json, today.json); by default only a live run for today does."),
    min_games: int = typer.Option(5, help="Profile threshold for the players export, 1 to 82."),
    force: bool = typer.Option(False, "--force", help="Replace published files even where a content guard would keep them."),
) -> None:
    """Run export types for one game date and print a summary. The request is checked as the function checks
    a message: what it would refuse is refused here, with its words, before anything is opened or written."""
    settings = Settings()
    fields = request_fields(types, date_text, mode, update_latest, min_games, trigger_source="manual", force=force)
    request = run_request(accepted(fields, read_clock(settings).clock))
    application = open_app(settings)
    try:
        if force:
            err().print("[yellow]--force: content guards are overridden for this run[/yellow]")
        started = time.perf_counter()
        with stage_progress(out()) as progress:
            record = application.runner.run(request, progress=progress)
        print_summary(record, time.perf_counter() - started, application.clock.game_day())
    finally:
        application.close()
    if record.status == "failed":
        raise typer.Exit(1)


@app.command()
def preview(
    port: int = typer.Option(8000, help="Port on 127.0.0.1."),
    root: Optional[Path] = typer.Option(None, help="Local bucket folder (default: the configured file:// bucket)."),
) -> None:
    """Serve the local bucket over HTTP with the recorded Cache-Control and content types."""
    from .cli_runtime import cannot_listen
    from .preview import make_server

    folder = root or local_path(Settings().bucket_url, "file")
    try:
        server = make_server(folder, port=port)
    except OSError as error:
        raise cannot_listen("127.0.0.1", port, error) from error
    out().print(f"serving {folder} at http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


EXPORT_STYLES = {"ok": "green", "failed": "red"}


def print_summary(record: RunRecord, seconds: float, game_day) -> None:
    title = (f"run {record.run_id} · {record.request.mode} · target {record.request.target_date} · "
             f"game day {game_day} · {record.status}")
    numbers = ("files", "unchanged", "bytes", "queries", "seconds")
    table = operator_table("export type", "status", *numbers, whole=("export type", "status"), numbers=numbers)
    for name, result in record.exports.items():
        table.add_row(name, Text(result.status, style=EXPORT_STYLES.get(result.status, "yellow")), str(result.files),
                      str(result.unchanged), f"{result.bytes:,}", str(result.queries), f"{result.duration_seconds:.2f}")
    totals = record.exports.values()
    table.add_section()
    table.add_row("total", record.status, str(sum(r.files for r in totals)), str(sum(r.unchanged for r in totals)),
                  f"{sum(r.bytes for r in totals):,}", str(sum(r.queries for r in totals)), f"{seconds:.2f}")
    console = out()
    console.print(Text(title, style="bold"))
    console.print(keep_whole(table))
    notes = err()
    for name, result in record.exports.items():
        if result.error:
            notes.print(Text.assemble((name, "red"), f": {result.error}"))
        for warning in result.warnings[:5]:
            notes.print(Text.assemble((name, "yellow"), f": {warning}"))


from .cli_deploy import schedules as schedules_app  # noqa: E402  (registered after the core commands)
from .cli_monitoring import monitoring as monitoring_app  # noqa: E402
from .cli_backfill import backfill  # noqa: E402
from .cli_runtime import publish, serve  # noqa: E402
from .cli_ops import report, status  # noqa: E402
from .cli_state import breakers, runs  # noqa: E402
from .cli_preflight import preflight  # noqa: E402

app.command()(serve)
app.command()(publish)
app.command()(runs)
app.command()(breakers)
app.command()(status)
app.command()(report)
app.command()(backfill)
app.command()(preflight)
app.add_typer(schedules_app, name="schedules")
app.add_typer(monitoring_app, name="monitoring")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
