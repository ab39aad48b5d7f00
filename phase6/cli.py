"""The command line: `python -m phase6 COMMAND`. Run `python -m phase6 --help` for the list."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from exporters import EXPORT_MODULES, GROUPS, expand

from .app import open_app, resolve_date
from .config import Settings, local_path
from .progress import stage_progress
from .runner import RunRecord, RunRequest

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Publish the prediction warehouse as a static JSON API.")
console = Console()
err = Console(stderr=True)


@app.command()
def demo(
    path: Optional[Path] = typer.Option(None, help="DuckDB file to build (default: the configured warehouse)."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing when the file already exists."),
    seed: int = typer.Option(20251021, help="PRNG seed; the same parameters give identical tables."),
    teams: int = typer.Option(30, min=2, max=30, help="Number of teams."),
    players_per_team: int = typer.Option(15, min=5, max=20, help="Players per team."),
    as_of: str = typer.Option("2026-03-04", help="The demo's as-of game day (the frozen 'today')."),
    season_end: str = typer.Option("2026-04-12", help="Last day of the generated schedule."),
) -> None:
    """Build (or rebuild) the demo warehouse: a deterministic 2025-26 season in DuckDB."""
    from datetime import date

    from .demo import DemoParams, build_demo

    target = path or local_path(Settings().warehouse_url, "duckdb")
    if if_missing and target.exists():
        console.print(f"demo warehouse {target} exists; keeping it")
        return
    params = DemoParams(
        seed=seed,
        teams=teams,
        players_per_team=players_per_team,
        as_of_date=date.fromisoformat(as_of),
        season_end=date.fromisoformat(season_end),
    )
    with stage_progress(console) as progress:
        report = build_demo(target, params, progress=progress)
    console.print(f"built {target} in {report.seconds:.1f} s")
    table = Table("table", "rows", title="demo warehouse")
    for name, count in sorted(report.row_counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)


@app.command()
def run(
    date_text: str = typer.Option("today", "--date", help="today, yesterday or YYYY-MM-DD (game-day clock, America/New_York)."),
    types: str = typer.Option("all", help="Comma-separated export types or groups (all, tonight-set, results-set)."),
    mode: str = typer.Option("live", help="live or replay."),
    update_latest: Optional[bool] = typer.Option(None, "--update-latest/--no-update-latest", help="Write live pointers."),
    min_games: int = typer.Option(5, min=1, max=82, help="Profile threshold for the players export."),
    force: bool = typer.Option(False, "--force", help="Replace published files even where a content guard would keep them."),
) -> None:
    """Run export types for one game date and print a summary."""
    export_types = expand([name.strip() for name in types.split(",") if name.strip()])
    unknown = [name for name in export_types if name not in EXPORT_MODULES]
    if unknown or mode not in ("live", "replay"):
        problems = [f"unknown export type {name!r}" for name in unknown]
        if mode not in ("live", "replay"):
            problems.append(f"mode must be live or replay, got {mode!r}")
        known = ", ".join([*EXPORT_MODULES, *GROUPS])
        err.print("\n".join(problems) + f"\nknown: {known}")
        raise typer.Exit(2)
    if mode == "replay" and update_latest:
        err.print("--update-latest cannot be combined with --mode replay (replay never writes live pointers)")
        raise typer.Exit(2)
    application = open_app()
    try:
        target = resolve_date(date_text, application.clock.game_day())
        request = RunRequest(
            export_types=tuple(export_types),
            target_date=target,
            mode=mode,
            update_latest=update_latest,
            min_games=min_games,
            force=force,
        )
        if force:
            err.print("[yellow]--force: content guards are overridden for this run[/yellow]")
        started = time.perf_counter()
        with stage_progress(console) as progress:
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
    from .preview import make_server

    folder = root or local_path(Settings().bucket_url, "file")
    server = make_server(folder, port=port)
    console.print(f"serving {folder} at http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def print_summary(record: RunRecord, seconds: float, game_day) -> None:
    title = (
        f"run {record.run_id} · {record.request.mode} · target {record.request.target_date} · "
        f"game day {game_day} · {record.status}"
    )
    table = Table("export type", "status", "files", "unchanged", "bytes", "queries", "seconds", title=title)
    for name, result in record.exports.items():
        style = {"ok": "green", "failed": "red"}.get(result.status, "yellow")
        table.add_row(
            name,
            f"[{style}]{result.status}[/{style}]",
            str(result.files),
            str(result.unchanged),
            f"{result.bytes:,}",
            str(result.queries),
            f"{result.duration_seconds:.2f}",
        )
    totals = record.exports.values()
    table.add_section()
    table.add_row(
        "total", record.status, str(sum(r.files for r in totals)), str(sum(r.unchanged for r in totals)),
        f"{sum(r.bytes for r in totals):,}",
        str(sum(r.queries for r in totals)), f"{seconds:.2f}",
    )
    console.print(table)
    for name, result in record.exports.items():
        if result.error:
            err.print(f"[red]{name}[/red]: {result.error}")
        for warning in result.warnings[:5]:
            err.print(f"[yellow]{name}[/yellow]: {warning}")


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
