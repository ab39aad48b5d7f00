"""`python -m phase6 backfill`: replay the dated exports over a date range, with a progress bar and a summary.

Both ends of the range are checked as the function checks a replay request for that day (phase6/cli_requests.py).
"""
from __future__ import annotations

import json
import time
from datetime import date

import typer
from rich.text import Text

from exporters import catalog

from .app import open_app, read_clock
from .backfill import (
    DEFAULT_CHUNK_DAYS, BackfillSummary, backfill as run_backfill, dated_export_types, days_between, replay_messages,
)
from .cli_console import err, out, pairs_table
from .cli_errors import UsageMistake
from .cli_requests import DATE_METAVAR, TYPES_HELP, accepted, split_types
from .cli_runtime import publish_to_topic, target_clock
from .config import Settings
from .messages import GameDayClock
from .progress import stage_progress


def backfill(
    start: str = typer.Option(..., "--start", metavar=DATE_METAVAR, help="First game date."),
    end: str = typer.Option(..., "--end", metavar=DATE_METAVAR, help="Last game date (inclusive)."),
    types: str = typer.Option("all", help=f"{TYPES_HELP} Only the types that write dated files are replayed."),
    via: str = typer.Option("local", help="local: replay here; pubsub: publish one replay message per day to --to."),
    to: str = typer.Option("", help="With --via pubsub: the export trigger topic, pubsub://PROJECT/TOPIC."),
    chunk_days: int = typer.Option(DEFAULT_CHUNK_DAYS, "--chunk-days",
                                   help="Local replay: days per warehouse read (each table is read once per chunk)."),
) -> None:
    """Replay dated exports for every day from --start to --end (dated files only; never pointers).

    Locally, each table is read once per chunk of --chunk-days days into an in-memory snapshot that answers the
    days' queries. With --via pubsub every day is a separate replay request, answered by the function."""
    if chunk_days < 1:
        raise UsageMistake(f"--chunk-days must be at least 1, not {chunk_days}")
    if via not in ("local", "pubsub") or (via == "pubsub") != bool(to):
        raise UsageMistake("--via is local or pubsub, and --via pubsub needs --to pubsub://PROJECT/TOPIC (and only then)")
    settings = Settings()
    clock = target_clock(to, settings) if via == "pubsub" else read_clock(settings).clock
    first, last, chosen = replay_range(start, end, types, clock)
    if via == "pubsub":
        publish_replays(to, first, last, chosen)
        return
    application = open_app(settings)
    try:
        total = len(days_between(first, last))
        started = time.perf_counter()
        with stage_progress(out()) as progress:
            summary = run_backfill(
                application.runner, first, last, chosen,
                on_day=lambda day, record: progress("replaying days", (day - first).days + 1, total),
                chunk_days=chunk_days,
            )
        print_summary(summary, chosen, time.perf_counter() - started)
    finally:
        application.close()
    if summary.failed or summary.skipped:
        raise typer.Exit(1)


def replay_range(start: str, end: str, types: str, clock: GameDayClock) -> tuple[date, date, list[str]]:
    """The first and last day and the dated types to replay, each end accepted as the function would accept a
    replay request for it."""
    requests, problems = [], []
    for option, day in (("--start", start), ("--end", end)):
        fields = {"export_types": split_types(types), "target_date": day, "mode": "replay"}
        try:
            requests.append(accepted(fields, clock, {"target_date": option, "export_types": "--types"}))
        except UsageMistake as mistake:
            problems += [problem for problem in mistake.problems if problem not in problems]
    if problems:
        raise UsageMistake(*problems)
    first, last = requests[0].target_date, requests[1].target_date
    if last < first:
        raise UsageMistake(f"--end {last} is before --start {first}")
    dated = dated_export_types(catalog())
    chosen = [name for name in requests[0].export_types if name in dated]
    if not chosen:
        raise UsageMistake(f"none of {', '.join(requests[0].export_types)} writes dated files; nothing to replay")
    return first, last, chosen


def publish_replays(to: str, first: date, last: date, types: list[str]) -> None:
    """Fan the range out to Cloud Functions instances: one replay request per day on the trigger topic."""
    messages = replay_messages(first, last, types)
    ids = publish_to_topic(to, *(json.dumps(message).encode() for message in messages))
    out().print(pairs_table(f"backfill via {to} · {', '.join(types)}", [
        ("first day", str(first)), ("last day", str(last)), ("messages", str(len(ids))),
        ("first message id", ids[0]), ("last message id", ids[-1])]))


def print_summary(summary: BackfillSummary, types: list[str], seconds: float) -> None:
    out().print(pairs_table(f"backfill · {', '.join(types)}", [
        ("days", str(summary.days)),
        ("files written", f"{summary.files:,}"),
        ("unchanged", f"{summary.unchanged:,}"),
        ("bytes", f"{summary.bytes:,}"),
        ("warehouse reads", f"{summary.warehouse_reads} ({summary.chunks} chunk{'' if summary.chunks == 1 else 's'})"),
        ("rows copied", f"{summary.warehouse_rows:,}"),
        ("day queries (on the copies)", f"{summary.queries:,}"),
        ("seconds", f"{seconds:.1f}"),
    ]))
    notes = err()
    for name, reason in summary.skipped.items():
        notes.print(Text.assemble(("skipped", "red"), f" {name} on every day: {reason}"))
    for failure in summary.failed[:20]:
        notes.print(Text.assemble(("failed", "red"), f" {failure}"))
