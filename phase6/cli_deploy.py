"""`schedules plan|apply|drift`: Cloud Scheduler jobs from `scheduler/jobs.yaml` (see phase6/schedules.py).

Registered in the main command line as `python -m phase6 schedules ...`; also runs alone as
`python -m phase6.cli_deploy ...` (what cloudbuild.yaml calls).
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from . import schedules as sched

schedules = typer.Typer(add_completion=False, no_args_is_help=True, help="Cloud Scheduler jobs as config: plan, apply, drift.")
console = Console(soft_wrap=True)

PROJECT = typer.Option(..., "--project", envvar="GOOGLE_CLOUD_PROJECT", help="Google Cloud project id.")
LOCATION = typer.Option(..., "--location", envvar="PHASE6_REGION", help="Cloud Scheduler location, e.g. us-west2.")
JOBS_FILE = typer.Option(sched.JOBS_FILE, "--file", help="The jobs file.")
PRUNE = typer.Option(False, "--prune", help="Also delete live jobs labelled managed-by=phase6 that the file no longer declares.")


def make_client() -> sched.SchedulerClient:
    from google.cloud import scheduler_v1

    return scheduler_v1.CloudSchedulerClient()


def compute(project: str, location: str, path: Path, prune: bool, offline: bool = False):
    desired = [sched.render(job, project, location) for job in sched.load_jobs(path)]
    live = [] if offline else sched.live_jobs(make_client(), project, location)
    return sched.plan(desired, live, prune=prune), live


@schedules.command("plan")
def plan_command(
    project: str = PROJECT,
    location: str = LOCATION,
    path: Path = JOBS_FILE,
    prune: bool = PRUNE,
    offline: bool = typer.Option(False, "--offline", help="Plan against no live jobs (every job is a create); needs no credentials."),
) -> None:
    """Print the exact API calls `apply` would make."""
    actions, _ = compute(project, location, path, prune, offline)
    for action in actions:
        console.print(sched.describe_call(action, project, location), markup=False, highlight=False)
    console.print(summary(actions), markup=False, highlight=False)


@schedules.command("apply")
def apply_command(project: str = PROJECT, location: str = LOCATION, path: Path = JOBS_FILE, prune: bool = PRUNE) -> None:
    """Create or update every declared job in place; with --prune, delete labelled jobs the file dropped."""
    actions, _ = compute(project, location, path, prune)
    sched.apply(make_client(), project, location, actions)
    for action in actions:
        console.print(f"{action.kind:<10} {action.job.name} {' '.join(action.changed)}".rstrip(), markup=False, highlight=False)
    console.print(summary(actions), markup=False, highlight=False)


@schedules.command("drift")
def drift_command(project: str = PROJECT, location: str = LOCATION, path: Path = JOBS_FILE) -> None:
    """Report differences between the file and the live jobs; exit 1 when there are any."""
    actions, live = compute(project, location, path, prune=True)
    lines = sched.drift(actions, live)
    for line in lines:
        console.print(line, markup=False, highlight=False)
    if lines:
        raise typer.Exit(1)
    console.print("no drift: the live jobs match scheduler/jobs.yaml", markup=False, highlight=False)


def summary(actions: list[sched.Action]) -> str:
    counts = {kind: sum(action.kind == kind for action in actions) for kind in ("create", "update", "unchanged", "prune")}
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())


if __name__ == "__main__":
    schedules()
