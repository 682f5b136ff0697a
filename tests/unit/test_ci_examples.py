"""The CI files users copy: ghlops/examples/ci/github-actions.yml and .pre-commit-hooks.yaml parse and
say what the README promises."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
WORKFLOW = ROOT / "ghlops" / "examples" / "ci" / "github-actions.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PROJECT = ROOT / "ghlops" / "examples" / "dental" / "ghlops.yaml"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def token_envs() -> set[str]:
    project = load(PROJECT)
    names = {loc["tokenEnv"] for loc in project["locations"]}
    return names | {project["agency"]["tokenEnv"]}


def test_pre_commit_hook() -> None:
    hooks = load(HOOKS)
    assert [h["id"] for h in hooks] == ["ghlops-validate"]
    hook = hooks[0]
    assert hook["entry"] == "ghlops validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for name in ("ghlops.yaml", "bundles/base/tags.yml", "bundles/base/crm.yaml"):
        assert files.search(name), name
    for name in ("README.md", "ghlops/cli/app.py", "x.yaml.bak"):
        assert not files.search(name), name


def test_workflow_triggers_and_jobs() -> None:
    workflow = load(WORKFLOW)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    assert set(workflow["jobs"]) == {
        "plan",
        "pull-request",
        "apply",
        "plan-sharded",
        "apply-sharded",
    }
    assert workflow["permissions"] == {"contents": "read"}


def test_plan_on_pull_requests_comments_and_uploads() -> None:
    plan = load(WORKFLOW)["jobs"]["plan"]
    assert "github.event_name == 'pull_request'" in plan["if"]
    assert "ghlops validate" in runs(plan)
    assert "ghlops plan $GHLOPS_FORCE --out plan.json --markdown > plan.md" in runs(plan)
    uses = {s.get("uses", "").split("@")[0]: s for s in steps(plan)}
    comment = uses["marocchino/sticky-pull-request-comment"]
    assert comment["with"] == {"header": "ghlops-plan", "path": "plan.md"}
    upload = uses["actions/upload-artifact"]
    assert upload["with"]["name"] == "ghlops-plan"
    assert "plan.json" in upload["with"]["path"]
    assert plan["permissions"]["pull-requests"] == "write"


def test_apply_on_merge_is_serialised_and_applies_the_downloaded_plan() -> None:
    jobs = load(WORKFLOW)["jobs"]
    apply = jobs["apply"]
    assert apply["concurrency"] == {
        "group": "ghlops-apply-${{ github.repository }}",
        "cancel-in-progress": False,
    }
    assert apply["needs"] == "pull-request"
    assert jobs["pull-request"]["if"] == "github.event_name == 'push'"
    download = next(s for s in steps(apply) if "action-download-artifact" in s.get("uses", ""))
    assert download["with"]["name"] == "ghlops-plan"
    assert download["with"]["commit"] == "${{ needs.pull-request.outputs.head_sha }}"
    assert download["with"]["workflow"] == "ghlops.yml"
    assert "ghlops apply plan.json" in runs(apply)
    assert "--auto-approve" not in runs(apply), "a plan file applies without asking"
    assert apply["permissions"]["actions"] == "read"


def test_sharded_variant() -> None:
    jobs = load(WORKFLOW)["jobs"]
    for name in ("plan-sharded", "apply-sharded"):
        job = jobs[name]
        assert job["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
        assert job["strategy"]["fail-fast"] is False
    assert "ghlops plan $GHLOPS_FORCE --shard ${{ matrix.shard }}/4" in runs(jobs["plan-sharded"])
    concurrency = jobs["apply-sharded"]["concurrency"]
    assert concurrency["group"].startswith("ghlops-apply-${{ github.repository }}")
    assert concurrency["cancel-in-progress"] is False


def test_tokens_and_the_plan_key_reach_only_the_ghlops_steps() -> None:
    expected = token_envs()
    workflow = load(WORKFLOW)
    assert "secrets." not in str(workflow.get("env"))
    seen = 0
    for name, job in workflow["jobs"].items():
        assert "env" not in job, name
        for step in steps(job):
            secrets = {k: v for k, v in step.get("env", {}).items() if "secrets." in str(v)}
            if re.search(r"^\s*ghlops (plan|apply)\b", str(step.get("run", "")), re.M):
                seen += 1
                assert set(secrets) == expected | {"GHLOPS_PLAN_KEY"}, (name, step.get("name"))
                for key, value in secrets.items():
                    assert value == f"${{{{ secrets.{key} }}}}"
            else:
                assert not secrets, (name, step.get("name"))
    assert seen == 4, "plan, apply and their sharded twins"


FORCE = (
    "${{ contains(github.event.pull_request.labels.*.name, 'ghlops-force') && '--force' || '' }}"
)


def test_reviewed_override_a_label_replans_with_force_and_merge_applies_as_recorded() -> None:
    workflow = load(WORKFLOW)
    triggers = workflow.get("on", workflow.get(True))
    assert {"labeled", "unlabeled", "synchronize"} <= set(triggers["pull_request"]["types"])
    assert workflow["env"]["GHLOPS_FORCE"] == FORCE
    jobs = workflow["jobs"]
    for name in ("plan", "plan-sharded"):
        job = jobs[name]
        assert "github.event.label.name == 'ghlops-force'" in job["if"]  # other labels: no re-run
        assert job["concurrency"]["cancel-in-progress"] is True
        assert "github.event.pull_request.number" in job["concurrency"]["group"]
        step = next(s for s in steps(job) if s.get("name") == "ghlops plan")
        assert "ghlops plan $GHLOPS_FORCE " in step["run"]
        finish = next(
            s
            for s in steps(job)
            if "plan.md" in str(s.get("run", "")) and "grep" in str(s.get("run", ""))
        )
        assert "grep -q 'allow with `--force`' plan.md" in finish["run"]
        assert "label `ghlops-force`" in finish["run"]
    for name in ("apply", "apply-sharded"):
        applied = [line for line in runs(jobs[name]).splitlines() if "ghlops apply" in line]
        assert [line.split("#")[0].strip() for line in applied] == ["ghlops apply plan.json"]


def test_the_override_and_the_lock_are_documented() -> None:
    docs = (ROOT / "docs" / "saved-plans.md").read_text(encoding="utf-8")
    for needle in (
        "ghlops-force",
        "ghlops apply plan.json",
        "ghlops show plan.json",
        "ghlops-apply-${{ github.repository }}",
        "cancel-in-progress: false",
        "--force",
    ):
        assert needle in docs, needle
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/saved-plans.md" in readme
