"""docs/adding-an-endpoint.md, followed literally: its three files are written into a copy of the repository, and the
new endpoint is then published, validated, probed by status.json, run by its group, documented and tested, with no
other file of the copy touched."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "adding-an-endpoint.md"
FILE_BLOCK = re.compile(r"^```\w+ (\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
NOT_COPIED = (".git", ".venv", ".phase6", "public", "__pycache__", ".pytest_cache", ".hypothesis")

CHECK = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    sys.path.insert(0, "docs")
    import build_api_reference as reference
    from exporters import catalog, groups
    from phase6 import schemas
    from phase6.app import open_app
    from phase6.catalog import Document
    from phase6.config import Settings
    from phase6.messages import Accepted, Envelope, parse
    from phase6.preview import entry_points
    from phase6.runner import RunRequest
    from tests import contract

    warehouse, work = Path(sys.argv[1]), Path(sys.argv[2])
    app = open_app(Settings(warehouse_url=f"duckdb:///{warehouse}", bucket_url=f"file://{work / 'bucket'}",
                            state_url=f"sqlite:///{work / 'state.db'}", events_url=f"file://{work / 'events.jsonl'}"))
    game_day = app.clock.game_day()
    record = app.runner.run(RunRequest(("games-today",), game_day))
    bucket = app.backends.bucket
    today = json.loads(bucket.read("v1/games/today.json"))
    status = json.loads(bucket.read("v1/status.json"))
    names = sorted(info.name[3:] for info in bucket.list("v1/"))
    spec = catalog()["games-today"]
    message = parse(Envelope.of_json({"export_types": ["games-today"]}, "guide-1"), app.clock)
    print(json.dumps({
        "export": record.exports["games-today"].status,
        "published": sorted(name for name in names if name.startswith("games/")),
        "games": today["total_games"],
        "cache_control": bucket.metadata("v1/games/today.json")["cache_control"],
        "contract": contract.validate_document("games/today.json", today) + contract.validate_document("status.json", status),
        "refused": schemas.schema_problems("games-today", {**today, "total_games": "many"}),
        "status": [entry for entry in status["endpoints"] if entry["export_type"] == "games-today"],
        "tonight_set": "games-today" in groups()["tonight-set"],
        "message": isinstance(message, Accepted) and "games-today" in message.request.export_types,
        "entry_points": [name for name in entry_points(names) if name.startswith("games/")],
        "reference": "\\n".join(reference.index_table(catalog()) + reference.section(
            "games-today", spec, bucket, names, game_day, reference.load_jobs())),
    }))
    app.close()
    """
)


def guide_files() -> dict[str, str]:
    """The files the guide shows in full: a fenced block whose info string names its path."""
    return dict(FILE_BLOCK.findall(GUIDE.read_text()))


def fingerprints(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts}


def test_the_guide_shows_exactly_the_three_files_it_promises():
    files = guide_files()
    assert len(files) == 3
    assert [re.sub(r"[a-z_-]+(?=\.\w+$)", "NAME", path) for path in sorted(files)] == [
        "exporters/NAME.py", "schemas/NAME.json", "tests/NAME.py"]


@pytest.mark.slow
def test_following_the_guide_adds_an_endpoint(demo_db, tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(*NOT_COPIED))
    before = fingerprints(copy)
    for path, text in guide_files().items():
        (copy / path).write_text(text)
    after = fingerprints(copy)
    assert {name for name in after if before.get(name) != after[name]} == set(guide_files())

    warehouse = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    env = {**os.environ, "PHASE6_TEST_DEMO": str(demo_db), "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run([sys.executable, "-c", CHECK, str(warehouse), str(tmp_path / "work")], cwd=copy, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])

    day = found["published"][0][len("games/"):-len(".json")]
    assert (found["export"], found["published"]) == ("ok", [f"games/{day}.json", "games/today.json"])
    assert found["games"] > 0 and found["cache_control"] == "public, max-age=300"
    assert found["contract"] == []  # the file and status.json (which now lists the endpoint) pass the contract checks
    assert found["refused"], "a document that breaks the new schema is refused"
    [probe] = found["status"]
    assert (probe["path"], probe["sla_seconds"], probe["status"]) == ("games/today.json", 26 * 3600, "ok")
    assert found["tonight_set"] and found["message"]
    assert found["entry_points"] == [f"games/{day}.json", "games/today.json"]
    for documented in ("[games-today](#games-today)", "`games/today.json`: `max-age=300`", "Number of games listed.",
                       "The day's scheduled games.", "phase6-tonight"):
        assert documented in found["reference"]

    own_test = subprocess.run([sys.executable, "-m", "pytest", "tests/test_games_today.py", "-o", "addopts=", "-p", "no:randomly",
                               "-p", "no:cacheprovider"], cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert own_test.returncode == 0, own_test.stdout[-4000:]
    assert "2 passed" in own_test.stdout
