"""docs/api.md is what docs/build_api_reference.py renders from the default demo season: a change to an exporter, a
schema or the reference's text that is not regenerated fails here."""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "docs" / "api.md"

# What differs from one rendering to the next: timestamps, the run's id, and in the status example the ages measured on
# the wall clock and the newest of the player files uploaded in parallel.
VOLATILE = (
    (re.compile(r'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00"'), '"<timestamp>"'),
    (re.compile(r'("(?:run_id|correlation_id|age_seconds|age_minutes|message)": )[^,\n]+'), r"\1<volatile>"),
    (re.compile(r'("path": )"tonight/player/[a-z0-9]+\.json"'), r"\1<newest>"),
)


def normalised(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def load_builder():
    spec = importlib.util.spec_from_file_location("build_api_reference", REPO / "docs" / "build_api_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_normalising_keeps_what_the_reference_says():
    text = '"generated_at": "2026-03-04T18:00:00.235909+00:00",\n"age_minutes": 0.1,\n"games_played": 48,'
    assert normalised(text) == '"generated_at": "<timestamp>",\n"age_minutes": <volatile>,\n"games_played": 48,'


@pytest.mark.slow
def test_docs_api_md_is_up_to_date(demo_db, tmp_path):
    builder = load_builder()
    warehouse = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, warehouse)  # the runs write to it (subset picks)
    bucket, game_day = builder.build_bucket(warehouse, tmp_path)
    rendered = builder.render(bucket, game_day)
    stale = "docs/api.md is stale: regenerate it with `.venv/bin/python docs/build_api_reference.py`"
    assert normalised(REFERENCE.read_text()) == normalised(rendered), stale
