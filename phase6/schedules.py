"""Cloud Scheduler jobs as config: `scheduler/jobs.yaml` → typed jobs → the exact `Job`s the API receives.

`plan` compares the file with the live jobs and lists one action per job: create, update (in place, with an
update mask naming the changed fields), unchanged, or prune (only with `prune=True`, and only for jobs carrying
the project's label that the file no longer declares). `apply` performs a plan; `drift` describes what differs.

Cloud Scheduler jobs have no labels field, so the project's label travels as a Pub/Sub attribute of the target
(`managed-by: phase6`); attributes are informational for the function.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from google.cloud import scheduler_v1
from google.protobuf import field_mask_pb2

from .clock import Clock
from .messages import Envelope, Rejected, parse

JOBS_FILE = Path(__file__).resolve().parent.parent / "scheduler" / "jobs.yaml"
LABEL_KEY = "managed-by"
LABEL_VALUE = "phase6"
JOB_KEYS = ("name", "description", "schedule", "time_zone", "topic", "body")
MANAGED_FIELDS = ("description", "schedule", "time_zone", "pubsub_target")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
TOPIC_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$")

ActionKind = Literal["create", "update", "unchanged", "prune"]


class SchedulesError(ValueError):
    """The jobs file is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    description: str
    schedule: str
    time_zone: str
    topic: str
    body: dict[str, Any]

    def data(self) -> bytes:
        """The Pub/Sub message body, canonical so that an unchanged body compares equal."""
        return json.dumps(self.body, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    job: scheduler_v1.Job  # the desired job, or the live one for prune
    changed: tuple[str, ...] = ()


class SchedulerClient(Protocol):
    """The part of `scheduler_v1.CloudSchedulerClient` this module calls."""

    def list_jobs(self, *, parent: str) -> Iterable[scheduler_v1.Job]: ...
    def create_job(self, *, parent: str, job: scheduler_v1.Job) -> scheduler_v1.Job: ...
    def update_job(self, *, job: scheduler_v1.Job, update_mask: field_mask_pb2.FieldMask) -> scheduler_v1.Job: ...
    def delete_job(self, *, name: str) -> None: ...


def load_jobs(path: Path = JOBS_FILE) -> list[ScheduledJob]:
    """Read and check the jobs file: exact keys, valid names and topics, unique names, valid message bodies."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("jobs") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SchedulesError(f"{path}: expected a top-level 'jobs' list, found {type(entries).__name__}")
    problems: list[str] = []
    jobs = [job for index, entry in enumerate(entries) if (job := check_entry(index, entry, problems))]
    names = [job.name for job in jobs]
    problems.extend(f"job name {name!r} is declared more than once" for name in sorted({n for n in names if names.count(n) > 1}))
    if problems:
        raise SchedulesError(f"{path}:\n" + "\n".join(f"- {problem}" for problem in problems))
    return jobs


def check_entry(index: int, entry: Any, problems: list[str]) -> ScheduledJob | None:
    if not isinstance(entry, dict):
        problems.append(f"jobs[{index}]: expected a mapping, found {type(entry).__name__}")
        return None
    where = f"jobs[{index}] ({entry.get('name', '?')})"
    before = len(problems)
    missing = [key for key in JOB_KEYS if key not in entry]
    unknown = sorted(set(entry) - set(JOB_KEYS))
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(unknown)}")
    if missing or unknown:
        return None
    for key in ("name", "description", "schedule", "time_zone", "topic"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            problems.append(f"{where}: {key} must be a non-empty string, found {entry[key]!r}")
    if isinstance(entry["name"], str) and not NAME_PATTERN.match(entry["name"]):
        problems.append(f"{where}: name must match {NAME_PATTERN.pattern}")
    if isinstance(entry["topic"], str) and not TOPIC_PATTERN.match(entry["topic"]):
        problems.append(f"{where}: topic must be a bare topic id matching {TOPIC_PATTERN.pattern}")
    if isinstance(entry["time_zone"], str) and not is_time_zone(entry["time_zone"]):
        problems.append(f"{where}: time_zone {entry['time_zone']!r} is not an IANA time zone")
    if not isinstance(entry["body"], dict):
        problems.append(f"{where}: body must be a mapping, found {type(entry['body']).__name__}")
    else:
        problems.extend(f"{where}: body: {problem}" for problem in body_problems(entry["body"]))
    if len(problems) > before:
        return None
    return ScheduledJob(**{key: entry[key] for key in JOB_KEYS})


def is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def body_problems(body: dict[str, Any]) -> tuple[str, ...]:
    """What the function's own validator says about a body, judged on today's game day."""
    outcome = parse(Envelope.of_json(body, "schedules-check"), Clock())
    return outcome.problems if isinstance(outcome, Rejected) else ()


def parent_path(project: str, location: str) -> str:
    return f"projects/{project}/locations/{location}"


def render(job: ScheduledJob, project: str, location: str) -> scheduler_v1.Job:
    """The exact Job the API receives for one declared job."""
    return scheduler_v1.Job(
        name=f"{parent_path(project, location)}/jobs/{job.name}",
        description=job.description,
        schedule=job.schedule,
        time_zone=job.time_zone,
        pubsub_target=scheduler_v1.PubsubTarget(
            topic_name=f"projects/{project}/topics/{job.topic}",
            data=job.data(),
            attributes={LABEL_KEY: LABEL_VALUE},
        ),
    )


def is_labelled(job: scheduler_v1.Job) -> bool:
    return job.pubsub_target.attributes.get(LABEL_KEY) == LABEL_VALUE


def changed_fields(desired: scheduler_v1.Job, live: scheduler_v1.Job) -> tuple[str, ...]:
    return tuple(field for field in MANAGED_FIELDS if getattr(desired, field) != getattr(live, field))


def plan(desired: list[scheduler_v1.Job], live: Iterable[scheduler_v1.Job], prune: bool = False) -> list[Action]:
    """One action per desired job, in file order, then prunes (labelled live jobs the file does not declare)."""
    live_by_name = {job.name: job for job in live}
    actions: list[Action] = []
    for job in desired:
        current = live_by_name.get(job.name)
        if current is None:
            actions.append(Action("create", job))
            continue
        changed = changed_fields(job, current)
        actions.append(Action("update", job, changed) if changed else Action("unchanged", job))
    if prune:
        declared = {job.name for job in desired}
        stale = [job for name, job in sorted(live_by_name.items()) if name not in declared and is_labelled(job)]
        actions.extend(Action("prune", job) for job in stale)
    return actions


def live_jobs(client: SchedulerClient, project: str, location: str) -> list[scheduler_v1.Job]:
    return list(client.list_jobs(parent=parent_path(project, location)))


def apply(client: SchedulerClient, project: str, location: str, actions: list[Action]) -> None:
    """Perform a plan: create or update in place; delete only planned prunes. Unchanged jobs cost no call."""
    for action in actions:
        if action.kind == "create":
            client.create_job(parent=parent_path(project, location), job=action.job)
        elif action.kind == "update":
            client.update_job(job=action.job, update_mask=field_mask_pb2.FieldMask(paths=list(action.changed)))
        elif action.kind == "prune":
            client.delete_job(name=action.job.name)


def describe_call(action: Action, project: str, location: str) -> str:
    """The API call an action makes, written out (data shown decoded as the JSON body it carries)."""
    if action.kind == "unchanged":
        return f"unchanged  {action.job.name}"
    if action.kind == "prune":
        return f"delete_job(name={action.job.name!r})"
    fields = job_as_dict(action.job)
    if action.kind == "create":
        return f"create_job(parent={parent_path(project, location)!r}, job={json.dumps(fields, indent=2)})"
    mask = json.dumps({"paths": list(action.changed)})
    return f"update_job(job={json.dumps(fields, indent=2)}, update_mask={mask})"


def job_as_dict(job: scheduler_v1.Job) -> dict[str, Any]:
    return {
        "name": job.name,
        "description": job.description,
        "schedule": job.schedule,
        "time_zone": job.time_zone,
        "pubsub_target": {
            "topic_name": job.pubsub_target.topic_name,
            "data": job.pubsub_target.data.decode("utf-8", errors="replace"),
            "attributes": dict(job.pubsub_target.attributes),
        },
    }


def drift(actions: list[Action], live: Iterable[scheduler_v1.Job]) -> list[str]:
    """Differences between the file and the live jobs, one line each; empty when they agree."""
    live_by_name = {job.name: job for job in live}
    lines: list[str] = []
    for action in actions:
        if action.kind == "create":
            lines.append(f"missing    {action.job.name}: declared in the file, not live")
        elif action.kind == "update":
            current = live_by_name[action.job.name]
            for field in action.changed:
                lines.append(f"changed    {action.job.name}: {field}: live {field_text(current, field)} ≠ file {field_text(action.job, field)}")
        elif action.kind == "prune":
            lines.append(f"extra      {action.job.name}: labelled {LABEL_KEY}={LABEL_VALUE} live, not in the file")
    return lines


def field_text(job: scheduler_v1.Job, field: str) -> str:
    return json.dumps(job_as_dict(job)[field], sort_keys=True)
