"""Compare what is deployed with what cloudbuild.yaml asked for; exit 1 listing every difference.

Usage: python deploy/verify.py --cloudbuild=cloudbuild.yaml --deployed=DIR
DIR holds what deploy/read_back.sh saved: `NAME.json` (gcloud functions describe --gen2) and
`NAME.subscription.json` (its trigger subscription). The expected values are the flags of the build's
`gcloud functions deploy` and dead-letter steps, with the build's substitutions taken from the environment.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

SUBSTITUTION = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")
MEMORY_UNITS = {"Mi": 1, "Gi": 1024}


def substitute(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            raise KeyError(f"substitution ${name} has no value in the environment")
        return values[name]

    return SUBSTITUTION.sub(replace, text)


def flags(args: list[str]) -> dict[str, str]:
    """`--name=value` → {name: value}; a bare `--name` → {name: "true"}."""
    parsed = {}
    for arg in args:
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            parsed[name] = value if value else "true"
    return parsed


def deploy_steps(build: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in build["steps"] if step.get("args", [])[:2] == ["functions", "deploy"]]


def dead_letter_step(build: dict[str, Any]) -> dict[str, Any]:
    [step] = [step for step in build["steps"] if step.get("id") == "dead-letter"]
    return step


def expected_functions(build: dict[str, Any], values: dict[str, str]) -> dict[str, dict[str, str]]:
    """Function name → the deploy step's flags, substitutions resolved."""
    expected = {}
    for step in deploy_steps(build):
        args = [substitute(arg, values) for arg in step["args"]]
        expected[args[2]] = flags(args[3:])
    return expected


def env_vars(text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in text.split(",") if pair)


def memory_mib(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", text).groups()
    return int(number) * MEMORY_UNITS[unit]


def function_differences(name: str, wanted: dict[str, str], deployed: dict[str, Any], project: str) -> list[str]:
    build, service, trigger = deployed.get("buildConfig", {}), deployed.get("serviceConfig", {}), deployed.get("eventTrigger", {})
    checks = [
        ("state", "ACTIVE", deployed.get("state")),
        ("environment", "GEN_2", deployed.get("environment")),
        ("runtime", wanted["runtime"], build.get("runtime")),
        ("entry point", wanted["entry-point"], build.get("entryPoint")),
        ("timeout seconds", int(wanted["timeout"].rstrip("s")), service.get("timeoutSeconds")),
        ("memory MiB", memory_mib(wanted["memory"]), memory_mib(service.get("availableMemory", "0Mi"))),
        ("max instances", int(wanted["max-instances"]), service.get("maxInstanceCount")),
        ("service account", wanted["service-account"], service.get("serviceAccountEmail")),
        ("trigger topic", f"projects/{project}/topics/{wanted['trigger-topic']}", trigger.get("pubsubTopic")),
        ("retry policy", "RETRY_POLICY_RETRY" if "retry" in wanted else "RETRY_POLICY_DO_NOT_RETRY", trigger.get("retryPolicy")),
    ]
    problems = [f"{name}: {label}: deployed {found!r}, expected {want!r}" for label, want, found in checks if want != found]
    deployed_env = service.get("environmentVariables", {})
    for key, value in env_vars(wanted.get("set-env-vars", "")).items():
        if deployed_env.get(key) != value:
            problems.append(f"{name}: env {key}: deployed {deployed_env.get(key)!r}, expected {value!r}")
    return problems


def dead_letter_differences(name: str, wanted: dict[str, str], subscription: dict[str, Any], project: str) -> list[str]:
    policy = subscription.get("deadLetterPolicy", {})
    checks = [
        ("dead-letter topic", f"projects/{project}/topics/{wanted['dead-letter-topic']}", policy.get("deadLetterTopic")),
        ("max delivery attempts", int(wanted["max-delivery-attempts"]), policy.get("maxDeliveryAttempts")),
    ]
    return [f"{name} subscription: {label}: deployed {found!r}, expected {want!r}" for label, want, found in checks if want != found]


def differences(build: dict[str, Any], deployed_dir: Path, values: dict[str, str]) -> list[str]:
    project = values["PROJECT_ID"]
    problems = []
    for name, wanted in expected_functions(build, values).items():
        path = deployed_dir / f"{name}.json"
        if not path.exists():
            problems.append(f"{name}: not read back ({path} missing)")
            continue
        problems.extend(function_differences(name, wanted, json.loads(path.read_text()), project))
    letter = flags([substitute(arg, values) for arg in dead_letter_step(build)["args"]])
    subscription = deployed_dir / f"{letter['function']}.subscription.json"
    if subscription.exists():
        problems.extend(dead_letter_differences(letter["function"], letter, json.loads(subscription.read_text()), project))
    else:
        problems.append(f"{letter['function']}: trigger subscription not read back ({subscription} missing)")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloudbuild", type=Path, required=True)
    parser.add_argument("--deployed", type=Path, required=True)
    options = parser.parse_args(argv)
    build = yaml.safe_load(options.cloudbuild.read_text())
    values = {**build.get("substitutions", {}), **{k: v for k, v in os.environ.items() if SUBSTITUTION.fullmatch(f"${k}")}}
    problems = differences(build, options.deployed, values)
    for problem in problems:
        print(f"DIFFERS  {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"verified: {', '.join(expected_functions(build, values))} match {options.cloudbuild}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
