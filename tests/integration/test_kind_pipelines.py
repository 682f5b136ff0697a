"""Pipelines (read-only) end to end through the CLI on the embedded sandbox: drift becomes
``manual`` changes with the exact UI steps, apply never touches them; plus the stage diff."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghlops.models.pipeline import Pipeline
from ghlops.resources import registry
from ghlops.resources.pipelines import LiveStage, PipelineAdapter, StagePlan, plan_stages
from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import Runner, record_sandbox_requests

LOC = "P1pEl1nEsL0cAt10nXyZ"
PROJECT = f"""\
version: 1
locations:
  - name: clinic
    id: {LOC}
    bundles: [bundles/crm]
"""
BUNDLE = """\
pipelines:
  - name: Patient Journey
    stages: [New Lead, Consult Booked, Treatment, Won]
  - name: Recall
    stages: [Due, Contacted, Booked]
    showInFunnel: false
"""
DRIFTED_STEPS = [
    "update by hand: the API cannot write pipelines",
    "In GHL: Opportunities → Pipelines → 'Patient Journey' → Edit pipeline:",
    "1. rename stage 2 'Consult' to 'Consult Booked'",
    "2. add stage 'Won' after 'Treatment'",
    "3. save",
]


def sandbox(project: Runner) -> Sandbox:
    return Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")


def live(project: Runner) -> list[dict[str, Any]]:
    sb = sandbox(project)
    try:
        return sb.objects(LOC, "pipelines")
    finally:
        sb.close()


@pytest.fixture
def project(tmp_path: Path) -> Runner:
    (tmp_path / "bundles" / "crm").mkdir(parents=True)
    (tmp_path / "ghlops.yaml").write_text(PROJECT)
    (tmp_path / "bundles" / "crm" / "pipelines.yaml").write_text(BUNDLE)
    runner = Runner(tmp_path)
    sb = sandbox(runner)
    try:
        sb.seed(
            {
                "locations": {
                    LOC: {
                        "pipelines": [
                            # drifted: stage 2 renamed in the UI, 'Won' missing
                            {
                                "name": "Patient Journey",
                                "stages": ["New Lead", "Consult", "Treatment"],
                            },
                            # matches exactly
                            {
                                "name": "Recall",
                                "stages": ["Due", "Contacted", "Booked"],
                                "showInFunnel": False,
                            },
                        ]
                    }
                }
            }
        )
    finally:
        sb.close()
    return runner


def test_drift_is_manual_with_ui_steps(project: Runner) -> None:
    journey = next(p for p in live(project) if p["name"] == "Patient Journey")
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    expected = [
        f'  ! pipeline "Patient Journey" (id {journey["id"]})',
        '      stages: ["New Lead", "Consult", "Treatment"] → '
        '["New Lead", "Consult Booked", "Treatment", "Won"]',
        *(f"      # {step}" for step in DRIFTED_STEPS),
    ]
    lines = plan.stdout.splitlines()
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected
    assert "Recall" not in plan.stdout, "the matching pipeline has no change"
    assert "DESTRUCTIVE" not in plan.stdout
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 manual." in plan.stdout

    data = json.loads(project("plan", "--sandbox", "--json").stdout)
    assert data["summary"]["manual"] == 1
    assert data["summary"]["locations_with_changes"] == 1
    [change] = data["locations"][0]["changes"]
    assert (change["action"], change["kind"], change["key"], change["id"]) == (
        "manual",
        "pipelines",
        "Patient Journey",
        journey["id"],
    )
    assert change["reasons"] == DRIFTED_STEPS
    assert change["destructive"] is False


def test_apply_changes_nothing_and_reports_manual(project: Runner) -> None:
    before = live(project)
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert '  clinic: ! pipeline "Patient Journey": manual, not applied' in result.output
    assert "Apply: 0 change(s) made, 0 failed, 0 not attempted." in result.output
    assert live(project) == before
    # still drifted, so still shown: manual changes never disappear by applying
    assert project("plan", "--sandbox", "--detailed-exitcode").exit_code == 2


def test_missing_pipeline_is_a_manual_create(project: Runner) -> None:
    bundle = project.directory / "bundles" / "crm" / "pipelines.yaml"
    bundle.write_text(
        BUNDLE + "  - name: Whitening\n    stages: [Enquiry, Booked]\n    showInPieChart: false\n"
    )
    data = json.loads(project("plan", "--sandbox", "--json").stdout)
    changes = {c["key"]: c for c in data["locations"][0]["changes"]}
    assert set(changes) == {"Patient Journey", "Whitening"}
    create = changes["Whitening"]
    assert (create["action"], create["id"]) == ("manual", None)
    assert create["reasons"] == [
        "create by hand: the API cannot write pipelines",
        "In GHL: Opportunities → Pipelines → Create new pipeline:",
        "1. name it 'Whitening'",
        "2. add these stages in this order: 'Enquiry', 'Booked'",
        "3. turn off 'Show in pie chart'",
        "4. save",
    ]
    before = live(project)
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert '  clinic: ! pipeline "Whitening": manual, not applied' in result.output
    assert live(project) == before


def test_ui_fix_clears_the_drift(project: Runner) -> None:
    """Once someone makes the listed changes in GHL, the plan is clean."""
    sb = sandbox(project)
    try:
        [stored] = [
            o for o in sb.store.list(LOC, "pipelines") if o.data["name"] == "Patient Journey"
        ]
        data = stored.data
        data["stages"][1]["name"] = "Consult Booked"
        data["stages"].append(
            {
                **data["stages"][2],
                "id": "0b7e9a5e-9a67-4a8e-8f53-7d7f7b0c2c11",
                "name": "Won",
                "position": 3,
            }
        )
        with sb.store.transaction():
            sb.store.update("pipelines", stored.id, data)
    finally:
        sb.close()
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout


def test_pruned_pipelines_are_manual_deletes(project: Runner) -> None:
    (project.directory / "ghlops.yaml").write_text(PROJECT + "policy:\n  prune: [pipelines]\n")
    (project.directory / "bundles" / "crm" / "pipelines.yaml").write_text(
        "pipelines:\n  - name: Recall\n    stages: [Due, Contacted, Booked]\n"
    )
    data = json.loads(project("plan", "--sandbox", "--json").stdout)
    [change] = data["locations"][0]["changes"]
    assert (change["action"], change["key"], change["destructive"]) == (
        "manual",
        "Patient Journey",
        False,
    )
    assert change["reasons"] == [
        "delete by hand: the API cannot write pipelines",
        "In GHL: Opportunities → Pipelines → 'Patient Journey' → Delete pipeline "
        "(this also deletes every opportunity in it)",
    ]
    before = live(project)
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert live(project) == before


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        self.seen.append((request.method, request.target))
        return call_next(request)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    recorder = Calls()
    record_sandbox_requests(monkeypatch, recorder)
    yield recorder


def test_plan_makes_one_pipeline_list_call(project: Runner, calls: Calls) -> None:
    (project.directory / "bundles" / "crm" / "pipelines.yaml").write_text(
        "pipelines:\n  - name: Recall\n    stages: [Due, Contacted, Booked]\n"
    )
    plan = project("plan", "--sandbox", "--detailed-exitcode", "--json")
    assert plan.exit_code == 0, plan.output
    ours = [(m, t) for m, t in calls.seen if t.startswith("/opportunities/")]
    assert ours == [("GET", f"/opportunities/pipelines?locationId={LOC}")]
    assert json.loads(plan.stdout)["locations"][0]["error"] is None


# -- the stage diff (pure) ------------------------------------------------------------------


def stages(*names: str) -> list[LiveStage]:
    return [LiveStage(f"s{i}", name) for i, name in enumerate(names)]


def test_stage_plan_renames_adds_and_keeps_ids() -> None:
    got = plan_stages(
        ["New Lead", "Consult Booked", "Treatment", "Won"],
        stages("New Lead", "Consult", "Treatment"),
    )
    assert got == StagePlan(
        renamed=((2, "Consult", "Consult Booked"),),
        added=(("Won", "Treatment"),),
        keeps=("s0", "s1", "s2", None),
    )


def test_stage_plan_pairs_renames_between_the_same_neighbours() -> None:
    got = plan_stages(["Intro", "A", "B2", "C"], stages("A", "B", "C"))
    assert got.renamed == ((2, "B", "B2"),)
    assert got.added == (("Intro", None),)
    assert got.removed == () and got.order is None
    assert got.keeps == (None, "s0", "s1", "s2")


def test_stage_plan_removals_case_renames_and_reorders() -> None:
    got = plan_stages(["won", "New"], stages("New", "Lost", "Won"))
    assert got.renamed == ((3, "Won", "won"),)
    assert got.removed == ("Lost",)
    assert got.order == ("won", "New")
    assert got.keeps == ("s2", "s0")
    assert plan_stages(["A", "B"], stages("A", "B")).empty


def test_live_stages_are_read_in_position_order() -> None:
    adapter = PipelineAdapter()
    item = adapter.live_item(
        {
            "id": "p1",
            "name": "P",
            "stages": [
                {"id": "b", "name": "Second", "position": 1},
                {"id": "a", "name": "First", "position": 0},
            ],
        }
    )
    assert item.fields == {"name": "P", "stages": ["First", "Second"]}


def test_pipelines_are_read_only_and_stage_removal_is_flagged_for_later() -> None:
    adapter = registry.get("pipelines")
    assert isinstance(adapter, PipelineAdapter)
    assert adapter.writable is False
    desired = adapter.desired_item(Pipeline(name="P", stages=["First"]))
    live_item = adapter.live_item(
        {
            "id": "p1",
            "name": "P",
            "stages": [{"id": "a", "name": "First"}, {"id": "b", "name": "Gone"}],
        }
    )
    assert adapter.destructive_reasons(desired, live_item) == (
        "stage(s) 'Gone' are removed: GHL moves their opportunities to another stage",
    )
    same = adapter.desired_item(Pipeline(name="P", stages=["First", "Gone"]))
    assert adapter.destructive_reasons(same, live_item) == ()


def test_stage_names_must_be_unique_ignoring_case() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        Pipeline(name="P", stages=["Won", "won"])
    with pytest.raises(ValueError):
        Pipeline(name="P", stages=[])
