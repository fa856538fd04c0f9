"""The GitHub workflows: schema-valid, no high zizmor findings, and thin (jobs only call tasks)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((REPO / "ci" / "actions").glob("*/action.yml"))
TASK_STEP = re.compile(r"^uv run --locked invoke [a-z][a-z-]*( |$)")
# The one step that is not a task: the stable-named provider-verify check passes when every
# shard of the verification did.
SHARDS_PASSED = 'test "$SHARDS" = success'


def tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else (shutil.which(name) or name)


def load(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = YAML(typ="safe").load(path.read_text())
    return loaded


def test_there_is_a_workflow_per_pipeline() -> None:
    assert {p.name for p in WORKFLOWS} == {
        "consumer.yml",
        "provider.yml",
        "contract-requiring-verification.yml",
    }


def test_workflows_match_the_github_schema() -> None:
    result = subprocess.run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    actions = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", *map(str, ACTIONS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert actions.returncode == 0, actions.stdout + actions.stderr


def test_zizmor_finds_nothing_high() -> None:
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--format",
            "json",
            str(REPO / ".github" / "workflows"),
            str(REPO / "ci" / "actions"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout)
    high = [
        f"{f['ident']}: {f['desc']}"
        for f in findings
        if f["determinations"]["severity"] in {"High", "Medium"}
    ]
    assert high == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_only_runs_tasks(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        runs = [step["run"].strip() for step in job["steps"] if "run" in step]
        assert runs, f"{name} runs no task"
        if (path.name, name, runs) == ("provider.yml", "provider-verify", [SHARDS_PASSED]):
            continue  # the shards' summary check (test_the_verification_runs_in_shards)
        for run in runs:
            assert TASK_STEP.match(" ".join(run.split())), f"{path.name}:{name} runs {run!r}"
        assert "if" not in job or ("vars." not in job["if"] and "env." not in job["if"]), (
            f"{name} changes behaviour on a variable"
        )


def test_webhook_pipeline_is_its_own_workflow() -> None:
    workflow = load(REPO / ".github" / "workflows" / "contract-requiring-verification.yml")
    triggers = workflow["on"]
    assert triggers["repository_dispatch"]["types"] == ["contract_requiring_verification_published"]
    assert "pact_url" in triggers["workflow_dispatch"]["inputs"]
    (job,) = workflow["jobs"].values()
    assert "invoke webhook-verify" in job["steps"][-1]["run"]


def test_provider_verification_runs_on_every_pull_request_with_a_stable_name() -> None:
    workflow = load(REPO / ".github" / "workflows" / "provider.yml")
    assert "pull_request" in workflow["on"]
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["jobs"]["provider-verify"]["name"] == "provider-verify"


REQUIRED = re.compile(r"add the check \*\*`([a-z-]+)`\*\*")


def test_no_required_check_is_behind_a_path_filter() -> None:
    # A workflow skipped by a path filter never reports its checks: a required one then stays
    # pending and the pull request can never merge.
    required = set(REQUIRED.findall((REPO / "README.md").read_text()))
    assert "provider-verify" in required
    found = set()
    for path in WORKFLOWS:
        workflow = load(path)
        names = {job.get("name", key) for key, job in workflow["jobs"].items()}
        for name in required & names:
            found.add(name)
            for trigger in ("pull_request", "push"):
                config = workflow["on"].get(trigger) or {}
                assert not {"paths", "paths-ignore"} & set(config), (
                    f"{path.name}: {name} is required but {trigger} has a path filter"
                )
    assert found == required


DIGEST_STEP = re.compile(r"^uv run --locked invoke digest ([a-z-]+) --github-output$")
KEY = re.compile(r"^tier-([a-z-]+)-\$\{\{ steps\.([a-z-]+)\.outputs\.digest \}\}(.*)$")
RUN_ID = "-${{ github.run_id }}"
SHARE = "-${{ strategy.job-index }}of${{ strategy.job-total }}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_tier_caches_are_keyed_by_the_tasks_digest(path: Path) -> None:
    from tasks.inputs import INPUTS

    assert "hashFiles" not in path.read_text()
    for name, job in load(path)["jobs"].items():
        steps = job["steps"]
        for index, step in enumerate(steps):
            if "actions/cache@" not in step.get("uses", ""):
                continue
            assert step["with"]["path"] == ".cache/tiers"
            key = KEY.match(step["with"]["key"])
            assert key, f"{name}: {step['with']['key']} is not a tier's digest key"
            tier, step_id, rest = key.groups()
            # The key's digest is the output of an earlier step that asks the task for it.
            (digest_step,) = [s for s in steps[:index] if s.get("id") == step_id]
            found = DIGEST_STEP.match(" ".join(digest_step["run"].split()))
            assert found, digest_step["run"]
            assert found.group(1) == tier
            assert tier in INPUTS
            # Either exactly the digest, or (records added run by run) the run's own key that
            # restores the newest one of the same digest: of the same share first, if sharded.
            if rest:
                assert rest in {RUN_ID, SHARE + RUN_ID}
                base = step["with"]["key"].removesuffix(rest)
                wanted = [base + "-"] if rest == RUN_ID else [base + SHARE + "-", base + "-"]
                assert step["with"]["restore-keys"].strip().splitlines() == wanted
            else:
                assert "restore-keys" not in step["with"]


def test_the_cached_tiers_use_the_cache_in_ci() -> None:
    cached = {
        "consumer.yml": {"unit": ["unit-consumer"], "contract-consumer": ["contract-consumer"]},
        "provider.yml": {
            "unit": ["unit-provider"],
            "provider-contract": ["provider-openapi", "provider-self-verification"],
            "provider-verify-shard": ["provider-verify"],
        },
        "contract-requiring-verification.yml": {"webhook-verify": ["provider-verify"]},
    }
    for workflow, jobs in cached.items():
        loaded = load(REPO / ".github" / "workflows" / workflow)["jobs"]
        for job, tiers in jobs.items():
            steps = loaded[job]["steps"]
            runs = [" ".join(s["run"].split()) for s in steps if "run" in s]
            for tier in tiers:
                assert f"uv run --locked invoke digest {tier} --github-output" in runs
            keys = [s["with"]["key"] for s in steps if "actions/cache@" in s.get("uses", "")]
            assert sorted(key.split("-${{")[0].removeprefix("tier-") for key in keys) == sorted(
                tiers
            )
            # The digests are taken before the tier runs (its cache restored first).
            digests = max(i for i, s in enumerate(steps) if "invoke digest" in s.get("run", ""))
            (task,) = [i for i, s in enumerate(steps) if i > digests and "run" in s]
            assert task == len(steps) - 1 or "upload-artifact" in steps[-1]["uses"]


def needs(job: dict[str, Any]) -> set[str]:
    wanted = job.get("needs", [])
    return {wanted} if isinstance(wanted, str) else set(wanted)


def task_of(job: dict[str, Any]) -> str:
    """The task a job's (one) run step calls, besides computing its cache key."""
    (run,) = [
        " ".join(step["run"].split())
        for step in job["steps"]
        if "run" in step and not DIGEST_STEP.match(" ".join(step["run"].split()))
    ]
    return run.split()[4]


def test_the_consumer_checks_its_pact_against_provider_contracts_before_publishing() -> None:
    jobs = load(REPO / ".github" / "workflows" / "consumer.yml")["jobs"]

    assert task_of(jobs["contract-check"]) == "contract-check"
    assert jobs["contract-check"]["name"] == "contract-check"
    assert needs(jobs["contract-check"]) == {"contract-consumer"}
    assert needs(jobs["publish"]) == {"contract-check"}
    downloads = [
        s for s in jobs["contract-check"]["steps"] if "download-artifact" in s.get("uses", "")
    ]
    assert [step["with"]["name"] for step in downloads] == ["pacts"]


def test_the_verification_runs_in_shards_behind_one_stable_check() -> None:
    jobs = load(REPO / ".github" / "workflows" / "provider.yml")["jobs"]
    shard = jobs["provider-verify-shard"]

    # One shard unless the repository says how many; each verifies share K of N.
    assert shard["strategy"]["matrix"]["shard"] == (
        "${{ fromJSON(vars.PROVIDER_VERIFY_SHARDS || '[1]') }}"
    )
    assert shard["strategy"]["fail-fast"] is False
    assert task_of(shard) == "provider-verify"
    (step,) = [s for s in shard["steps"] if "invoke provider-verify" in s.get("run", "")]
    # K/N through the environment, never expanded into the shell command: K from the job's place
    # in the matrix, never its value (values that repeat would leave a share unverified).
    assert step["run"] == 'uv run --locked invoke provider-verify --shard "$((INDEX + 1))/$TOTAL"'
    assert step["env"] == {
        "INDEX": "${{ strategy.job-index }}",
        "TOTAL": "${{ strategy.job-total }}",
    }
    assert shard["env"]["CI"] == "true"  # each shard publishes its pacts' results
    assert needs(shard) == {"unit"}

    # The check branch protection requires: passes only when every shard passed (a skipped or
    # cancelled shard fails it), and can-i-deploy waits for it, so for every shard.
    check = jobs["provider-verify"]
    assert check["name"] == "provider-verify"
    assert needs(check) == {"provider-verify-shard"}
    assert check["if"] == "${{ always() }}"
    assert check["env"]["SHARDS"] == "${{ needs.provider-verify-shard.result }}"
    assert [step["run"] for step in check["steps"]] == [SHARDS_PASSED]
    assert "provider-verify" in needs(jobs["can-i-deploy"])


@pytest.mark.parametrize(
    ("result", "passes"),
    [("success", True), ("failure", False), ("skipped", False), ("cancelled", False)],
)
def test_the_shards_check_passes_only_when_every_shard_passed(result: str, passes: bool) -> None:
    done = subprocess.run(["bash", "-c", SHARDS_PASSED], env={"SHARDS": result}, check=False)
    assert (done.returncode == 0) is passes


def test_the_provider_publishes_its_contract_before_can_i_deploy() -> None:
    jobs = load(REPO / ".github" / "workflows" / "provider.yml")["jobs"]

    assert task_of(jobs["provider-contract"]) == "provider-contract"
    assert jobs["provider-contract"]["name"] == "provider-contract"
    assert needs(jobs["provider-contract"]) == {"unit"}
    assert needs(jobs["can-i-deploy"]) == {"provider-verify", "provider-contract"}
    (upload,) = [
        s for s in jobs["provider-contract"]["steps"] if "upload-artifact" in s.get("uses", "")
    ]
    # Where the task keeps the document and the self-verification output: a dot folder.
    from tasks.provider_contracts import ARTIFACTS

    assert upload["with"]["path"] == f"{ARTIFACTS.relative_to(REPO)}/"
    assert upload["with"]["include-hidden-files"] is True


@pytest.mark.parametrize("name", ["consumer.yml", "provider.yml"])
def test_can_i_deploy_gates_every_deploy(name: str) -> None:
    jobs = load(REPO / ".github" / "workflows" / name)["jobs"]
    deploys = [job for job_name, job in jobs.items() if job_name.startswith("deploy")]
    assert deploys
    for job in deploys:
        assert job["needs"] == "can-i-deploy"


def test_every_task_a_workflow_runs_exists() -> None:
    from tasks import ns

    used = set()
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                if "run" in step and step["run"] != SHARDS_PASSED:
                    used.add(" ".join(step["run"].split()).split()[4])
    assert used <= set(ns.task_names), used - set(ns.task_names)


def test_the_setup_action_installs_the_uv_pyproject_pins(tmp_path: Path) -> None:
    """Any other uv refuses to run the project ([tool.uv] required-version): the action must
    install exactly that one. Its install step runs here with a stand-in for python3."""
    pinned = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["required-version"]
    (step,) = [
        s
        for s in load(REPO / "ci/actions/setup/action.yml")["runs"]["steps"]
        if "pip" in s.get("run", "")
    ]
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    subprocess.run(["bash", "-c", step["run"]], cwd=REPO, env=env, check=True)
    assert (tmp_path / "args").read_text().split()[-1] == f"uv{pinned}"


def test_every_share_is_verified_whatever_the_matrix_values() -> None:
    """PROVIDER_VERIFY_SHARDS=[1, 1, 2]: three jobs verify shares 1/3, 2/3 and 3/3."""
    jobs = load(REPO / ".github" / "workflows" / "provider.yml")["jobs"]
    (step,) = [
        s
        for s in jobs["provider-verify-shard"]["steps"]
        if "invoke provider-verify" in s.get("run", "")
    ]
    shown = step["run"].replace("uv run --locked invoke provider-verify", "echo", 1)
    shares = []
    for index in range(3):
        # GitHub sets job-index 0, 1, 2 and job-total 3, whatever the matrix values are.
        values = {"${{ strategy.job-index }}": str(index), "${{ strategy.job-total }}": "3"}
        env = {name: values[value] for name, value in step["env"].items()}
        done = subprocess.run(
            ["bash", "-c", shown], env=env, capture_output=True, text=True, check=True
        )
        shares.append(done.stdout.strip())
    assert shares == ["--shard 1/3", "--shard 2/3", "--shard 3/3"]


def test_the_webhook_verification_reuses_the_provider_verify_records() -> None:
    workflow = load(REPO / ".github" / "workflows" / "contract-requiring-verification.yml")
    steps = workflow["jobs"]["webhook-verify"]["steps"]
    (cached,) = [s for s in steps if "actions/cache@" in s.get("uses", "")]
    (digest_step,) = [s for s in steps if s.get("id") == "digest"]
    # The key comes from the digest step, taken before the cache is restored; the verification
    # runs after both.
    assert digest_step["run"] == "uv run --locked invoke digest provider-verify --github-output"
    assert cached["with"]["key"].startswith(
        "tier-provider-verify-${{ steps.digest.outputs.digest }}-"
    )
    assert steps.index(digest_step) < steps.index(cached) < len(steps) - 1
    assert "invoke webhook-verify" in steps[-1]["run"]
