"""Requests built on the command line (run, backfill, publish) go through the function's own parser
(phase6/messages.py): the CLI accepts and refuses exactly what the function does, in the same words, naming the
option where the function names the message's field."""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Mapping

from exporters import export_types, groups

from .cli_errors import UsageMistake
from .messages import ISO_DATE, Accepted, Envelope, ExportRequest, GameDayClock, Ignored, Rejected, parse
from .runner import RunRequest

OPTIONS = {"export_types": "--types", "target_date": "--date", "mode": "--mode", "update_latest": "--update-latest",
           "min_games": "--min-games", "correlation_id": "--correlation-id", "trigger_source": "--trigger-source",
           "force": "--force"}

TYPES_HELP = (f"Comma-separated export types or groups. Types: {', '.join(export_types())}. "
              f"Groups: {', '.join(groups())}.")
DATE_HELP = ("today, yesterday or YYYY-MM-DD on the game-day clock (America/New_York), from "
             "PHASE6_SEASON_WINDOW_START (2021-10-01) to two days after today.")
DATE_METAVAR = "DATE"
MODE_HELP = "live (dated files and the latest pointers) or replay (dated files only)."
MODE_METAVAR = "[live|replay]"


def split_types(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def request_fields(types: str | None = None, date_text: str | None = None, mode: str | None = None,
                   update_latest: bool | None = None, min_games: int | None = None,
                   correlation_id: str | None = None, trigger_source: str | None = None,
                   force: bool = False) -> dict[str, Any]:
    """An export request with only the fields given; the function applies the defaults."""
    fields = {
        "export_types": split_types(types) if types is not None else None,
        "target_date": date_text,
        "mode": mode,
        "update_latest": update_latest,
        "min_games": min_games,
        "correlation_id": correlation_id,
        "trigger_source": trigger_source,
        "force": force or None,
    }
    return {name: value for name, value in fields.items() if value is not None}


def checked(data: bytes, clock: GameDayClock, options: Mapping[str, str] = OPTIONS) -> Accepted | Ignored:
    """The function's verdict on a message body; a rejection ends the command with the function's problems."""
    outcome = parse(Envelope.of_bytes(data), clock)
    if isinstance(outcome, Rejected):
        raise UsageMistake(*(named(problem, options) for problem in outcome.problems))
    return outcome


def accepted(fields: Mapping[str, Any], clock: GameDayClock, options: Mapping[str, str] = OPTIONS) -> ExportRequest:
    outcome = checked(json.dumps(fields).encode(), clock, options)
    assert isinstance(outcome, Accepted), outcome  # only a predictions-complete event can be ignored
    return outcome.request


def named(problem: str, options: Mapping[str, str]) -> str:
    """`target_date: expected ...` becomes `--date: expected ...`."""
    field, separator, rest = problem.partition(": ")
    return f"{options[field]}: {rest}" if separator and field in options else problem


def run_request(request: ExportRequest) -> RunRequest:
    return RunRequest(export_types=request.export_types, target_date=request.target_date, mode=request.mode,
                      update_latest=request.update_latest, min_games=request.min_games,
                      correlation_id=request.correlation_id, trigger_source=request.trigger_source,
                      force=request.force)


def day_option(option: str, text: str) -> date:
    """A YYYY-MM-DD option that is not a request field (the demo's dates)."""
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise UsageMistake(f"{option}: expected a date YYYY-MM-DD, found {text!r}")
