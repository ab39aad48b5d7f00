"""Every document is checked against its JSON schema (`schemas/*.json`) before it is written, in production too.

The schemas are compiled once per process by jsonschema-rs (a Rust validator): checking the demo day's 434
distinct bodies, each serialized and parsed back as it will be published, costs about 120 ms a run
(docs/reliability.md, row 25). Which schema describes a document is declared with it (`Published.schema`, so
`Document.schema`). This is the standard JSON Schema reading (draft 2020-12: `7.0` is an integer, formats are not
asserted); the contract tests (tests/contract.py, `validate_document`) add the project's stricter checks on the
shaping code.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

MAX_PROBLEMS = 3  # a refusal quotes this many schema errors


class RefusedDocument(ValueError):
    """A document that does not match its schema (bad values from the warehouse); it is not written."""


@lru_cache(maxsize=1)
def validators() -> dict[str, Any]:
    """One compiled validator per schema, `$ref`s to `defs.json` resolved from schemas/."""
    schemas = {path.stem: load(path.stem) for path in sorted(SCHEMA_DIR.glob("*.json"))}
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return {name: jsonschema_rs.validator_for(schema, registry=registry, validate_formats=False)
            for name, schema in schemas.items() if name != "defs"}


def load(name: str) -> dict[str, Any]:
    """schemas/<name>.json, parsed."""
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text())


def schema_problems(name: str | None, body: Any) -> list[str]:
    """At most MAX_PROBLEMS errors of `body` against schemas/<name>.json; [] when it is valid or has no schema."""
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


def checked(path: str, name: str | None, body: Any) -> None:
    """Raises RefusedDocument naming the path and its first errors against schemas/<name>.json."""
    problems = schema_problems(name, body)
    if problems:
        raise RefusedDocument(f"{path} does not match its schema: {'; '.join(problems)}")


def brief(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
