"""`python -m phase6 backfill`: replay the dated exports over a date range, with a progress bar and a summary."""
from __future__ import annotations

import json
import time
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from exporters import catalog, expand

from .app import open_app
from .backfill import (
    DEFAULT_CHUNK_DAYS, BackfillSummary, backfill as run_backfill, dated_export_types, days_between, replay_messages,
)
from .cli_runtime import publish_to_topic
from .progress import stage_progress

console = Console()
err = Console(stderr=True)


def backfill(
    start: str = typer.Option(..., "--start", help="First game date, YYYY-MM-DD."),
    end: str = typer.Option(..., "--end", help="Last game date, YYYY-MM-DD (inclusive)."),
    types: str = typer.Option("all", help="Export types or groups; only the dated ones are replayed."),
    via: str = typer.Option("local", help="local: replay here; pubsub: publish one replay message per day to --to."),
    to: str = typer.Option("", help="With --via pubsub: the export trigger topic, pubsub://PROJECT/TOPIC."),
    chunk_days: int = typer.Option(DEFAULT_CHUNK_DAYS, "--chunk-days",
                                   help="Local replay: days per warehouse read (each table is read once per chunk)."),
) -> None:
    """Replay dated exports for every day from --start to --end (dated files only; never pointers).

    Locally, each table is read once per chunk of --chunk-days days into an in-memory snapshot that answers the
    days' queries. With --via pubsub every day is a separate replay request, answered by the function."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        err.print(f"--start and --end must be dates YYYY-MM-DD: {error}")
        raise typer.Exit(2)
    if last < first:
        err.print(f"--end {last} is before --start {first}")
        raise typer.Exit(2)
    requested = expand([name.strip() for name in types.split(",") if name.strip()])
    unknown = [name for name in requested if name not in catalog()]
    if unknown:
        err.print(f"unknown export types: {', '.join(unknown)}")
        raise typer.Exit(2)
    if chunk_days < 1:
        err.print(f"--chunk-days must be at least 1, not {chunk_days}")
        raise typer.Exit(2)
    if via not in ("local", "pubsub") or (via == "pubsub") != bool(to):
        err.print("--via is local or pubsub, and --via pubsub needs --to pubsub://PROJECT/TOPIC (and only then)")
        raise typer.Exit(2)
    dated = dated_export_types(catalog())
    chosen = [name for name in requested if name in dated]
    if not chosen:
        err.print(f"none of {', '.join(requested)} writes dated files; nothing to replay")
        raise typer.Exit(2)
    if via == "pubsub":
        publish_replays(to, first, last, chosen)
        return
    application = open_app()
    try:
        total = len(days_between(first, last))
        started = time.perf_counter()
        with stage_progress(console) as progress:
            summary = run_backfill(
                application.runner, first, last, chosen,
                on_day=lambda day, record: progress("replaying days", (day - first).days + 1, total),
                chunk_days=chunk_days,
            )
        print_summary(summary, chosen, time.perf_counter() - started)
    finally:
        application.close()
    if summary.failed:
        raise typer.Exit(1)


def publish_replays(to: str, first: date, last: date, types: list[str]) -> None:
    """Fan the range out to Cloud Functions instances: one replay request per day on the trigger topic."""
    messages = replay_messages(first, last, types)
    ids = publish_to_topic(to, *(json.dumps(message).encode() for message in messages))
    table = Table("first day", "last day", "messages", "first message id", "last message id",
                  title=f"backfill via {to} · {', '.join(types)}")
    table.add_row(str(first), str(last), str(len(ids)), ids[0], ids[-1])
    console.print(table)


def print_summary(summary: BackfillSummary, types: list[str], seconds: float) -> None:
    table = Table("", "", title=f"backfill · {', '.join(types)}", show_header=False)
    for label, value in (
        ("days", str(summary.days)),
        ("files written", f"{summary.files:,}"),
        ("unchanged", f"{summary.unchanged:,}"),
        ("bytes", f"{summary.bytes:,}"),
        ("warehouse reads", f"{summary.warehouse_reads} ({summary.chunks} chunk{'' if summary.chunks == 1 else 's'})"),
        ("rows copied", f"{summary.warehouse_rows:,}"),
        ("day queries (on the copies)", f"{summary.queries:,}"),
        ("seconds", f"{seconds:.1f}"),
    ):
        table.add_row(label, value)
    console.print(table)
    for failure in summary.failed[:20]:
        err.print(f"[red]failed[/red] {failure}")
