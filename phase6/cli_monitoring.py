"""`monitoring plan|apply|drift|docs`: alerts, log-based metrics and uptime checks from `monitoring/alerts.yaml`
(see phase6/monitoring.py). Registered in the main command line as `python -m phase6 monitoring ...`; also runs
alone as `python -m phase6.cli_monitoring ...` (what cloudbuild.yaml calls).

The Cloud Monitoring and Logging clients are deploy tools (requirements-dev.txt), not part of the function's
runtime: they are imported only when a command runs.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console

from . import monitoring_config as config_file

monitoring = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Alerts, log-based metrics and uptime checks as config: plan, apply, drift, docs.")
console = Console(soft_wrap=True)

PROJECT = typer.Option(None, "--project", envvar="GOOGLE_CLOUD_PROJECT", help="Google Cloud project id.")
BUCKET = typer.Option(None, "--bucket", envvar="PHASE6_PUBLIC_BUCKET", help="The public bucket the uptime checks read, e.g. nba-props-platform-api.")
ALERTS_FILE = typer.Option(config_file.ALERTS_FILE, "--file", help="The monitoring file.")
PRUNE = typer.Option(False, "--prune", help="Also delete phase6's policies, uptime checks and log metrics that the file no longer declares.")


def make_clients():
    from .monitoring import Clients

    return Clients.default()


def say(text: str) -> None:
    console.print(text, markup=False, highlight=False)


def target_for(project: Optional[str], bucket: Optional[str], offline: bool = False):
    from .monitoring import Target

    if offline:
        return Target(project or "PROJECT", bucket or "BUCKET")
    if not project or not bucket:
        raise typer.BadParameter("--project and --bucket are required (or GOOGLE_CLOUD_PROJECT and PHASE6_PUBLIC_BUCKET)")
    return Target(project, bucket)


def load_or_exit(path: Path) -> config_file.MonitoringConfig:
    try:
        return config_file.load(path)
    except config_file.MonitoringConfigError as error:
        say(str(error))
        raise typer.Exit(2)


@contextmanager
def reported(prefix: str) -> Iterator[None]:
    """A missing channel or an ambiguous live name: one clear line and exit 1, never a traceback."""
    from .monitoring import MonitoringError

    try:
        yield
    except MonitoringError as error:
        say(f"{prefix}{error}")
        raise typer.Exit(1)


@monitoring.command("plan")
def plan_command(
    project: Optional[str] = PROJECT,
    bucket: Optional[str] = BUCKET,
    path: Path = ALERTS_FILE,
    prune: bool = PRUNE,
    offline: bool = typer.Option(False, "--offline", help="Plan against nothing live (everything is a create); needs no credentials."),
) -> None:
    """Print the exact API calls `apply` would make."""
    from . import monitoring as mon

    config = load_or_exit(path)
    target = target_for(project, bucket, offline)
    with reported("cannot plan: "):
        found = mon.plan(config, target, None if offline else mon.Live.read(make_clients(), target), prune=prune)
    for action in found.actions():
        say(mon.describe_call(action, target))
    say(mon.summary(found))


@monitoring.command("apply")
def apply_command(project: Optional[str] = PROJECT, bucket: Optional[str] = BUCKET, path: Path = ALERTS_FILE, prune: bool = PRUNE) -> None:
    """Create or update every declared metric, uptime check and policy in place; with --prune, delete what the file dropped."""
    from . import monitoring as mon

    config = load_or_exit(path)
    with reported("nothing applied: "):
        done = mon.apply(make_clients(), config, target_for(project, bucket), prune=prune)
    for action in done.actions():
        say(f"{action.kind:<10} {action.resource.label} {action.name!r} {' '.join(action.changed)}".rstrip())
    say(mon.summary(done))


@monitoring.command("drift")
def drift_command(project: Optional[str] = PROJECT, bucket: Optional[str] = BUCKET, path: Path = ALERTS_FILE) -> None:
    """Report differences between the file and what is live; exit 1 when there are any."""
    from . import monitoring as mon

    config = load_or_exit(path)
    target = target_for(project, bucket)
    with reported("cannot compare: "):
        lines = mon.drift(mon.plan(config, target, mon.Live.read(make_clients(), target), prune=True))
    for line in lines:
        say(line)
    if lines:
        raise typer.Exit(1)
    say("no drift: the live monitoring matches monitoring/alerts.yaml")


@monitoring.command("docs")
def docs_command(
    path: Path = ALERTS_FILE,
    write: bool = typer.Option(False, "--write", help="Rewrite the generated section of docs/operations.md instead of printing it."),
) -> None:
    """Print (or --write into docs/operations.md) the alert tables generated from the monitoring file."""
    section = config_file.docs_section(load_or_exit(path))
    if not write:
        say(section)
        return
    document = config_file.OPERATIONS_DOC.read_text(encoding="utf-8")
    config_file.OPERATIONS_DOC.write_text(config_file.with_docs_section(document, section), encoding="utf-8")
    say(f"wrote the alert section of {config_file.OPERATIONS_DOC}")


if __name__ == "__main__":
    monitoring()
