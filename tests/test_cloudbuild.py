"""cloudbuild.yaml: the steps, their order and the deploy flags; and deploy/verify.py, which reads them back."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from deploy import verify
from phase6.state.firestore import HEARTBEATS

REPO = Path(__file__).resolve().parent.parent
BUILD = yaml.safe_load((REPO / "cloudbuild.yaml").read_text())
STEPS = {step["id"]: step for step in BUILD["steps"]}
ORDER = [step["id"] for step in BUILD["steps"]]
DEPLOYS = verify.deploy_steps(BUILD)
TRIGGER_TOPIC, PHASE5_TOPIC, DEAD_LETTER_TOPIC = "phase6-export-trigger", "nba-phase5-predictions-complete", "phase6-export-trigger-dlq"
VALUES = {"PROJECT_ID": "p", "COMMIT_SHA": "abc123", **BUILD["substitutions"]}


def entry_point() -> str:
    tree = ast.parse((REPO / "main.py").read_text())
    [name] = [
        node.name for node in tree.body
        if isinstance(node, ast.FunctionDef) and any(ast.unparse(d) == "functions_framework.cloud_event" for d in node.decorator_list)
    ]
    return name


def deploy_flags(step: dict) -> dict[str, str]:
    return verify.flags(step["args"][3:])


def text(step: dict) -> str:
    return " ".join([step.get("entrypoint", ""), *step.get("args", [])])


def test_steps_run_in_order_install_test_deploy_ttl_schedules_verify():
    deploy_ids = [step["id"] for step in DEPLOYS]
    assert len(deploy_ids) == 2
    sequence = ["install", "test", *deploy_ids, "heartbeat-ttl", "schedules-apply", "monitoring-apply", "verify"]
    positions = [ORDER.index(step_id) for step_id in sequence]
    assert positions == sorted(positions), ORDER
    assert ORDER.index("bundle") < min(ORDER.index(i) for i in deploy_ids)
    assert max(ORDER.index(i) for i in deploy_ids) < ORDER.index("dead-letter") < ORDER.index("verify")
    assert ORDER.index("read-back") < ORDER.index("verify")
    assert not any(step.get("waitFor") for step in BUILD["steps"]), "steps run one after the other"


def test_install_is_from_the_locks_with_hashes():
    assert text(STEPS["install"]).split() == ["make", "venv", "PYTHON=python3.11"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"pip install .*--require-hashes -r requirements-installer-lock.txt", makefile)
    assert re.search(r"uv pip sync .*--require-hashes requirements-lock.txt requirements-dev-lock.txt", makefile)


def test_the_test_step_runs_ci_with_the_emulators():
    assert "CI=true bash .ci/run" in text(STEPS["test"])
    assert "deploy/install_emulators.sh" in text(STEPS["test"])


def test_the_deployed_source_is_the_bundle_built_from_the_lock():
    destination = STEPS["bundle"]["args"][-1]
    assert STEPS["bundle"]["args"][0] == "deploy/bundle.py"
    assert {deploy_flags(step)["source"] for step in DEPLOYS} == {destination}


@pytest.mark.parametrize("step", DEPLOYS, ids=[step["id"] for step in DEPLOYS])
def test_every_deploy_has_the_required_flags(step):
    assert step["args"][:2] == ["functions", "deploy"]
    options = deploy_flags(step)
    assert options["gen2"] == "true" and options["retry"] == "true"
    assert options["runtime"] == "python311"
    assert options["entry-point"] == entry_point()
    assert options["timeout"] == "540s"
    assert re.fullmatch(r"\d+(Mi|Gi)", verify.substitute(options["memory"], VALUES))
    assert int(verify.substitute(options["max-instances"], VALUES)) >= 1
    assert options["region"] == "$_REGION"
    env = verify.env_vars(options["set-env-vars"])
    assert env["BUILD_COMMIT"] == "$COMMIT_SHA"
    assert {"PHASE6_WAREHOUSE", "PHASE6_BUCKET", "PHASE6_STATE", "PHASE6_EVENTS"} <= env.keys()
    assert options["service-account"].startswith("$_RUNTIME_SA@"), "a dedicated runtime service account"
    assert options["trigger-service-account"] == options["service-account"]


def test_one_deploy_per_trigger_topic_with_distinct_names():
    assert sorted(deploy_flags(step)["trigger-topic"] for step in DEPLOYS) == sorted([TRIGGER_TOPIC, PHASE5_TOPIC])
    assert len({step["args"][2] for step in DEPLOYS}) == 2
    shared = [{k: v for k, v in deploy_flags(step).items() if k != "trigger-topic"} for step in DEPLOYS]
    assert shared[0] == shared[1], "both functions deploy the same code with the same settings"


def test_the_export_trigger_subscription_gets_the_dead_letter_topic():
    options = verify.flags(STEPS["dead-letter"]["args"])
    [export_function] = [step["args"][2] for step in DEPLOYS if deploy_flags(step)["trigger-topic"] == TRIGGER_TOPIC]
    assert options["function"] == export_function
    assert options["dead-letter-topic"] == DEAD_LETTER_TOPIC
    assert 5 <= int(options["max-delivery-attempts"]) <= 100
    assert "update" in (REPO / "deploy" / "dead_letter.sh").read_text()


def test_the_heartbeat_ttl_policy_matches_the_state_store():
    options = verify.flags(STEPS["heartbeat-ttl"]["args"])
    assert (options["collection-group"], options["field"]) == (HEARTBEATS, "expires_at") == ("phase6_heartbeats", "expires_at")


def test_schedules_are_applied_with_prune_in_the_deploy_region():
    args = STEPS["schedules-apply"]["args"]
    assert args[:3] == ["-m", "phase6.cli_deploy", "apply"]
    assert {"--project=$PROJECT_ID", "--location=$_REGION", "--prune"} <= set(args)


def test_monitoring_is_applied_with_prune_for_the_public_bucket():
    args = STEPS["monitoring-apply"]["args"]
    assert args[:3] == ["-m", "phase6.cli_monitoring", "apply"]
    assert {"--project=$PROJECT_ID", "--bucket=$_BUCKET", "--prune"} <= set(args)
    assert ORDER.index("dead-letter") < ORDER.index("monitoring-apply"), "the dead-letter subscription it watches exists first"


def test_verify_fails_on_monitoring_drift_and_says_so_in_the_build_log():
    command = text(STEPS["verify"])
    assert "phase6.cli_monitoring drift --project=$PROJECT_ID --bucket=$_BUCKET" in command
    assert command.rstrip().endswith("|| { echo 'phase6 deploy verify failed'; exit 1; }")


def test_verify_reads_back_both_functions_and_checks_drift():
    assert set(STEPS["read-back"]["args"][3:]) == {step["args"][2] for step in DEPLOYS}
    command = text(STEPS["verify"])
    assert "deploy/verify.py" in command and "phase6.cli_deploy drift" in command


def test_every_substitution_is_declared_and_every_script_exists():
    used = set(re.findall(r"\$\{?(_[A-Z0-9_]+)", (REPO / "cloudbuild.yaml").read_text()))
    assert used <= set(BUILD["substitutions"]), used - set(BUILD["substitutions"])
    for step in BUILD["steps"]:
        for arg in step.get("args", []):
            for script in re.findall(r"deploy/[\w.]+", arg):
                assert (REPO / script).exists(), script


# --- deploy/verify.py against read-back files -------------------------------------------------------------


def deployed_as_asked(name: str) -> dict:
    """What `gcloud functions describe --gen2` returns for a function deployed exactly as the build asks."""
    wanted = verify.expected_functions(BUILD, VALUES)[name]
    return {
        "state": "ACTIVE",
        "environment": "GEN_2",
        "buildConfig": {"runtime": wanted["runtime"], "entryPoint": wanted["entry-point"]},
        "serviceConfig": {
            "timeoutSeconds": 540,
            "availableMemory": wanted["memory"],
            "maxInstanceCount": int(wanted["max-instances"]),
            "serviceAccountEmail": wanted["service-account"],
            "environmentVariables": {**verify.env_vars(wanted["set-env-vars"]), "LOG_EXECUTION_ID": "true"},
        },
        "eventTrigger": {"pubsubTopic": f"projects/p/topics/{wanted['trigger-topic']}", "retryPolicy": "RETRY_POLICY_RETRY"},
    }


@pytest.fixture
def read_back(tmp_path) -> Path:
    for name in verify.expected_functions(BUILD, VALUES):
        (tmp_path / f"{name}.json").write_text(json.dumps(deployed_as_asked(name)))
    policy = {"deadLetterPolicy": {"deadLetterTopic": f"projects/p/topics/{DEAD_LETTER_TOPIC}", "maxDeliveryAttempts": 5}}
    (tmp_path / "phase6-export.subscription.json").write_text(json.dumps(policy))
    return tmp_path


def test_verify_accepts_a_deployment_that_matches(read_back):
    assert verify.differences(BUILD, read_back, VALUES) == []


def test_verify_names_every_setting_that_differs(read_back):
    path = read_back / "phase6-export.json"
    deployed = json.loads(path.read_text())
    deployed["serviceConfig"]["timeoutSeconds"] = 60
    deployed["serviceConfig"]["environmentVariables"]["BUILD_COMMIT"] = "old"
    deployed["eventTrigger"]["retryPolicy"] = "RETRY_POLICY_DO_NOT_RETRY"
    path.write_text(json.dumps(deployed))
    (read_back / "phase6-export.subscription.json").write_text("{}")
    problems = verify.differences(BUILD, read_back, VALUES)
    assert [problem.split(": ")[1] for problem in problems] == [
        "timeout seconds", "retry policy", "env BUILD_COMMIT", "dead-letter topic", "max delivery attempts",
    ]


def test_verify_fails_when_a_function_was_not_read_back(read_back):
    (read_back / "phase6-export-phase5.json").unlink()
    assert verify.differences(BUILD, read_back, VALUES) == [
        f"phase6-export-phase5: not read back ({read_back / 'phase6-export-phase5.json'} missing)"
    ]


def test_verify_main_exits_nonzero_on_a_difference(read_back, monkeypatch, capsys):
    monkeypatch.setenv("PROJECT_ID", "p")
    monkeypatch.setenv("COMMIT_SHA", "different")
    assert verify.main(["--cloudbuild", str(REPO / "cloudbuild.yaml"), "--deployed", str(read_back)]) == 1
    assert "env BUILD_COMMIT" in capsys.readouterr().err
