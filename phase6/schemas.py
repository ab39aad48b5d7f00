"""Every document is checked against its JSON schema (`schemas/*.json`) before it is written, in production too.

The schemas are compiled once per process by jsonschema-rs (a Rust validator): checking the demo day's 434
distinct bodies, each serialized and parsed back as it will be published, costs about 120 ms a run
(docs/reliability.md, row 25). Which schema describes which path is
`phase6.contract.schema_name`. This is the standard JSON Schema reading of the contract (draft 2020-12: `7.0`
is an integer, formats are not asserted); the contract tests (`phase6.contract.validate_document`) add the
project's stricter checks on the shaping code.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jsonschema_rs

from .contract import SCHEMA_DIR, schema_name

MAX_PROBLEMS = 3  # a refusal quotes this many schema errors


class RefusedDocument(ValueError):
    """A document that does not match its schema (bad values from the warehouse); it is not written."""


@lru_cache(maxsize=1)
def validators() -> dict[str, Any]:
    """One compiled validator per schema, `$ref`s to `defs.json` resolved from schemas/."""
    schemas = {path.stem: json.loads(path.read_text()) for path in sorted(SCHEMA_DIR.glob("*.json"))}
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return {name: jsonschema_rs.validator_for(schema, registry=registry, validate_formats=False)
            for name, schema in schemas.items() if name != "defs"}


def schema_problems(path: str, body: Any) -> list[str]:
    """At most MAX_PROBLEMS schema errors of the document at `path` (relative to v1/); [] when it is valid or the
    path has no schema."""
    name = schema_name(path)
    if name is None:
        return []
    validator = validators()[name]
    if validator.is_valid(body):
        return []
    problems = []
    for error in validator.iter_errors(body):
        pointer = "/" + "/".join(str(part) for part in error.instance_path)
        problems.append(f"{pointer}: {brief(error.message)}")
        if len(problems) == MAX_PROBLEMS:
            break
    return problems


def checked(path: str, body: Any) -> None:
    """Raises RefusedDocument naming the path and its first schema errors."""
    problems = schema_problems(path, body)
    if problems:
        raise RefusedDocument(f"{path} does not match its schema: {'; '.join(problems)}")


def brief(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
