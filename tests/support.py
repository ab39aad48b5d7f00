"""Helpers shared by the exporter tests: publish one export on the demo app and check it against the contract."""
from __future__ import annotations

import json
from datetime import date

from phase6 import contract
from phase6.runner import RunRequest

FORBIDDEN = ("system_id", "subset_id", "prediction_id", "composite_score", "confidence_score", "catboost", "v9_",
             "GREEN", "YELLOW", "RED", "edge", "confidence")


def run_and_read(app, export_type: str, target: date, path: str) -> bytes:
    """Runs one export type for `target` on the app and returns the published object at `path` (relative to v1/),
    after checking it with the independent contract checks (schema, §5 rules, encoding, hygiene, Cache-Control,
    Content-Encoding)."""
    record = app.runner.run(RunRequest((export_type,), target))
    assert record.exports[export_type].status == "ok", record.exports[export_type].error
    name = app.settings.object_prefix + path
    data = app.backends.bucket.read(name)
    assert data is not None, f"{path} was not written"
    body = json.loads(data)
    assert contract.validate_document(path, body) + contract.raw_violations(data) + contract.hygiene_violations(path, body) == []
    assert app.backends.bucket.metadata(name)["cache_control"] == contract.expected_cache_control(path, body, app.clock.game_day())
    assert app.backends.bucket.stat(name).content_encoding == contract.expected_content_encoding(data)
    return data


def contract_problems(app, folder: str) -> list[str]:
    """Every §5 violation among the objects published under v1/<folder>: schema and invariants, encoding,
    Cache-Control, Content-Encoding, dated twins (decoded)."""
    bucket, prefix = app.backends.bucket, app.settings.object_prefix
    problems = []
    for info in bucket.list(prefix + folder):
        path = info.name[len(prefix):]
        data = bucket.read(info.name)
        body = json.loads(data)
        problems += contract.validate_document(path, body) + contract.raw_violations(data)
        expected_cache = contract.expected_cache_control(path, body, app.clock.game_day())
        if info.cache_control != expected_cache:
            problems.append(f"{path}: Cache-Control {info.cache_control!r}, expected {expected_cache!r}")
        if info.content_encoding != contract.expected_content_encoding(data):
            problems.append(f"{path}: Content-Encoding {info.content_encoding!r} for {len(data)} decoded bytes")
        twin = contract.dated_twin(path, body)
        if twin and bucket.read(prefix + twin) != data:
            problems.append(f"{path}: differs from its dated twin {twin}")
    return problems


def published(app, path: str) -> dict:
    return json.loads(app.backends.bucket.read(app.settings.object_prefix + path))


def forbidden_tokens(value, key: str | None = None) -> list[str]:
    """Every forbidden token in a key or string value, except inside the `player` field (api.md §1.7)."""
    if isinstance(value, dict):
        found = [f"key {k!r}" for k in value if any(token in k for token in FORBIDDEN)]
        return found + [hit for k, item in value.items() for hit in forbidden_tokens(item, k)]
    if isinstance(value, list):
        return [hit for item in value for hit in forbidden_tokens(item, key)]
    if isinstance(value, str) and key != "player" and any(token in value for token in FORBIDDEN):
        return [f"{key}={value!r}"]
    return []
