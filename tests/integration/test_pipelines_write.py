"""Pipeline writes (``policy.pipelines: write``) end to end through the CLI on the embedded
sandbox: creates, stage renames/reorders/additions keeping stage ids and opportunities, removed
stages moving their opportunities, and pipeline deletes that need --allow-destroy-opportunities."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import Runner, record_sandbox_requests

LOC = "Wr1tEP1pEl1nEsL0cXyZ"
PROJECT = f"""\
version: 1
policy:
  pipelines: write
locations:
  - name: clinic
    id: {LOC}
    bundles: [bundles/crm]
"""
BUNDLE = """\
pipelines:
  - name: Patient Journey
    stages:
      - Consult Booked                      # moved up (was second)
      - {name: New Lead}
      - {name: Treatment Plan, renamedFrom: Treatment}
      - Won                                 # new
  - name: Recall
    stages: [Due, Contacted, Booked]
"""
FLAG = "--allow-destroy-opportunities"


def sandbox(project: Runner) -> Sandbox:
    return Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")


def state(project: Runner) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sb = sandbox(project)
    try:
        return sb.objects(LOC, "pipelines"), sb.objects(LOC, "opportunities")
    finally:
        sb.close()


def pipeline(project: Runner, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in state(project)[0] if p["name"] == name)
    return found


def stage_ids(p: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["id"] for s in p["stages"]}


def where(project: Runner) -> dict[str, tuple[str, str]]:
    """Each opportunity's pipeline and stage, by name."""
    pipelines, opportunities = state(project)
    by_id = {p["id"]: p for p in pipelines}
    found = {}
    for opportunity in opportunities:
        p = by_id[opportunity["pipelineId"]]
        stage = next(s for s in p["stages"] if s["id"] == opportunity["pipelineStageId"])
        found[opportunity["name"]] = (p["name"], stage["name"])
    return found


def write(project: Runner, bundle: str, policy: str = "  pipelines: write\n") -> None:
    (project.directory / "ghlops.yaml").write_text(PROJECT.replace("  pipelines: write\n", policy))
    (project.directory / "bundles" / "crm" / "pipelines.yaml").write_text(bundle)


def changes(project: Runner, *args: str) -> dict[str, dict[str, Any]]:
    result = project("plan", "--sandbox", "--json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {c["key"]: c for c in data["locations"][0]["changes"]}


def assert_clean(project: Runner, *args: str) -> None:
    plan = project("plan", "--sandbox", "--detailed-exitcode", *args)
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout


@pytest.fixture
def project(tmp_path: Path) -> Runner:
    (tmp_path / "bundles" / "crm").mkdir(parents=True)
    runner = Runner(tmp_path)
    write(runner, BUNDLE)
    sb = sandbox(runner)
    try:
        sb.seed(
            {
                "locations": {
                    LOC: {
                        "pipelines": [
                            {
                                "name": "Patient Journey",
                                "stages": ["New Lead", "Consult Booked", "Treatment", "Lost"],
                            },
                            {"name": "Old Promotions", "stages": ["Open", "Redeemed"]},
                        ],
                        "opportunities": [
                            {"pipeline": "Patient Journey", "stage": "New Lead", "name": "ann"},
                            {
                                "pipeline": "Patient Journey",
                                "stage": "Consult Booked",
                                "name": "bo",
                            },
                            {"pipeline": "Patient Journey", "stage": "Treatment", "name": "cy"},
                            {"pipeline": "Patient Journey", "stage": "Lost", "name": "di"},
                            {"pipeline": "Old Promotions", "stage": "Redeemed", "name": "ed"},
                        ],
                    }
                }
            }
        )
    finally:
        sb.close()
    return runner


def test_plan_shows_stage_level_changes(project: Runner) -> None:
    journey = pipeline(project, "Patient Journey")
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    expected = [
        f'  ~ pipeline "Patient Journey" (id {journey["id"]})  DESTRUCTIVE',
        '      stages: ["New Lead", "Consult Booked", "Treatment", "Lost"] → '
        '["Consult Booked", "New Lead", "Treatment Plan", "Won"]',
        "      # stage 'Lost' is removed: GHL moves its opportunities to 'Consult Booked', "
        "the lowest remaining stage",
        "      # stage 3 'Treatment' is renamed to 'Treatment Plan': it keeps its id and its "
        "opportunities",
        "      # stage 'Won' is added after 'Treatment Plan'",
        "      # stages are reordered (keeping their ids): 'Consult Booked', 'New Lead', "
        "'Treatment Plan', 'Won'",
    ]
    lines = plan.stdout.splitlines()
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected
    assert '  + pipeline "Recall"' in lines
    assert "Plan: 1 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout
    assert "manual" not in plan.stdout
    # the live-only pipeline is left alone without pruning
    assert "unmanaged: 1 (pipelines 1)" in plan.stdout

    data = json.loads(project("plan", "--sandbox", "--json").stdout)
    change = next(c for c in data["locations"][0]["changes"] if c["key"] == "Patient Journey")
    assert (change["action"], change["destructive"]) == ("update", True)
    assert change["after"]["stageRenames"] == {"Treatment Plan": "Treatment"}


def test_apply_keeps_stage_ids_and_opportunities(project: Runner) -> None:
    before = stage_ids(pipeline(project, "Patient Journey"))
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert '  clinic: ~ pipeline "Patient Journey": updated' in result.output
    assert '  clinic: + pipeline "Recall": created' in result.output

    journey = pipeline(project, "Patient Journey")
    assert [(s["name"], s["position"]) for s in journey["stages"]] == [
        ("Consult Booked", 0),
        ("New Lead", 1),
        ("Treatment Plan", 2),
        ("Won", 3),
    ]
    after = stage_ids(journey)
    assert after["Consult Booked"] == before["Consult Booked"]  # moved, same id
    assert after["New Lead"] == before["New Lead"]
    assert after["Treatment Plan"] == before["Treatment"]  # renamed, same id
    assert after["Won"] not in before.values()  # new
    assert where(project) == {
        "ann": ("Patient Journey", "New Lead"),
        "bo": ("Patient Journey", "Consult Booked"),
        "cy": ("Patient Journey", "Treatment Plan"),
        "di": ("Patient Journey", "Consult Booked"),  # 'Lost' was removed
        "ed": ("Old Promotions", "Redeemed"),
    }
    recall = pipeline(project, "Recall")
    assert [s["name"] for s in recall["stages"]] == ["Due", "Contacted", "Booked"]
    assert_clean(project)


def test_switch_off_is_read_only_as_before(project: Runner) -> None:
    for policy in ("  prune: []\n", "  pipelines: read-only\n"):  # default, then explicit
        write(project, BUNDLE, policy=policy)
        before = state(project)
        plan = project("plan", "--sandbox", "--json")
        found = {c["key"]: c for c in json.loads(plan.stdout)["locations"][0]["changes"]}
        assert {k: (c["action"], c["destructive"]) for k, c in found.items()} == {
            "Patient Journey": ("manual", False),
            "Recall": ("manual", False),
        }
        assert found["Patient Journey"]["reasons"][0] == (
            "update by hand: the API cannot write pipelines"
        )
        result = project("apply", "--sandbox", "--auto-approve")
        assert result.exit_code == 0, result.output
        assert "Apply: 0 change(s) made, 0 failed, 0 not attempted." in result.output
        assert state(project) == before


def prune_project(project: Runner) -> None:
    write(project, BUNDLE, policy="  pipelines: write\n  prune: [pipelines]\n")


def test_deleting_a_pipeline_is_refused_without_the_flag(project: Runner) -> None:
    prune_project(project)
    before = state(project)
    plan = project("plan", "--sandbox")
    assert plan.exit_code == 1
    assert "the plan deletes pipeline(s) (clinic: 'Old Promotions')" in plan.stderr
    assert FLAG in plan.stderr
    assert "every one of its opportunities" in plan.stderr
    apply = project("apply", "--sandbox", "--auto-approve")
    assert apply.exit_code == 1
    assert "clinic: 'Old Promotions'" in apply.stderr and FLAG in apply.stderr
    assert state(project) == before  # nothing at all was changed, not even the other pipeline


def test_deleting_a_pipeline_with_the_flag_deletes_its_opportunities(project: Runner) -> None:
    prune_project(project)
    promotions = pipeline(project, "Old Promotions")
    found = changes(project, FLAG)
    delete = found["Old Promotions"]
    assert (delete["action"], delete["id"], delete["destructive"]) == (
        "delete",
        promotions["id"],
        True,
    )
    assert delete["reasons"] == [
        "not in the manifests and policy.prune includes pipelines",
        "deleting a pipeline deletes every opportunity in it (GHL cannot undo this); "
        "needs --allow-destroy-opportunities",
    ]
    text = project("plan", "--sandbox", FLAG).stdout
    assert f'  - pipeline "Old Promotions" (id {promotions["id"]})  DESTRUCTIVE' in text

    result = project("apply", "--sandbox", "--auto-approve", FLAG)
    assert result.exit_code == 0, result.output
    assert '  clinic: - pipeline "Old Promotions": deleted' in result.output
    assert [p["name"] for p in state(project)[0]] == ["Patient Journey", "Recall"]
    assert "ed" not in where(project)  # deleted with its pipeline
    assert set(where(project)) == {"ann", "bo", "cy", "di"}
    assert_clean(project)  # nothing left to delete: no flag needed any more


def test_a_saved_plan_records_the_flag_and_applies_with_it(project: Runner) -> None:
    prune_project(project)
    refused = project("plan", "--sandbox", "--out", "reviewed.json")
    assert refused.exit_code == 1 and FLAG in refused.stderr
    saved = project("plan", "--sandbox", "--out", "reviewed.json", FLAG)
    assert saved.exit_code == 0, saved.output
    assert f"with {FLAG})" in saved.stderr
    reviewed = json.loads((project.directory / "reviewed.json").read_text())
    assert reviewed["flags"]["allow_destroy_opportunities"] is True
    done = project("apply", "reviewed.json")  # as reviewed: the flag is in the file
    assert done.exit_code == 0, done.output
    assert "Old Promotions" not in [p["name"] for p in state(project)[0]]
    assert "ed" not in where(project)


def test_protect_wins_over_the_flag(project: Runner) -> None:
    write(
        project,
        BUNDLE,
        policy="  pipelines: write\n  prune: [pipelines]\n  protect: {pipelines: ['Old *']}\n",
    )
    before = state(project)
    plan = project("plan", "--sandbox", FLAG)
    assert plan.exit_code == 1
    assert "protected" in plan.stderr
    assert project("apply", "--sandbox", "--auto-approve", FLAG).exit_code == 1
    assert state(project) == before


def test_replacing_every_stage_takes_two_calls(project: Runner) -> None:
    write(project, "pipelines:\n  - {name: Old Promotions, stages: [Enquiry, Booked]}\n")
    found = changes(project)
    assert found["Old Promotions"]["destructive"] is True
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    promotions = pipeline(project, "Old Promotions")
    assert [s["name"] for s in promotions["stages"]] == ["Enquiry", "Booked"]
    assert where(project)["ed"] == ("Old Promotions", "Enquiry")  # the first new stage
    assert_clean(project)


def test_probabilities_create_and_update(project: Runner) -> None:
    bundle = """\
pipelines:
  - name: Whitening
    useOpportunityProbability: true
    showInPieChart: false
    stages:
      - {name: Enquiry, stageWinProbability: 10}
      - {name: Booked, stageWinProbability: 75.5}
"""
    write(project, bundle)
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    whitening = pipeline(project, "Whitening")
    assert whitening["useOpportunityProbability"] is True
    assert whitening["showInPieChart"] is False
    assert [(s["name"], s["stageWinProbability"]) for s in whitening["stages"]] == [
        ("Enquiry", 10),
        ("Booked", 75.5),
    ]
    assert_clean(project)

    write(project, bundle.replace("75.5", "80"))
    update = changes(project)["Whitening"]
    assert update["action"] == "update" and update["destructive"] is False
    assert update["reasons"] == ["stage 'Booked' win probability: 75.5% → 80%"]
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert pipeline(project, "Whitening")["stages"][1]["stageWinProbability"] == 80
    assert stage_ids(pipeline(project, "Whitening")) == stage_ids(whitening)
    assert_clean(project)


def test_pipeline_rename_keeps_its_id_and_opportunities(project: Runner) -> None:
    write(
        project,
        "pipelines:\n"
        "  - name: Promotions 2026\n"
        "    renamedFrom: Old Promotions\n"
        "    stages: [Open, Redeemed]\n",
    )
    promotions = pipeline(project, "Old Promotions")
    update = changes(project)["Promotions 2026"]
    assert (update["action"], update["id"]) == ("update", promotions["id"])
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    renamed = pipeline(project, "Promotions 2026")
    assert renamed["id"] == promotions["id"]
    assert renamed["stages"] == promotions["stages"]
    assert where(project)["ed"] == ("Promotions 2026", "Redeemed")


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        self.seen.append((request.method, request.path, request.header("version")))
        return call_next(request)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    recorder = Calls()
    record_sandbox_requests(monkeypatch, recorder)
    yield recorder


def test_the_calls_an_apply_makes(project: Runner, calls: Calls) -> None:
    journey = pipeline(project, "Patient Journey")
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    ours = [c for c in calls.seen if c[1].startswith("/opportunities/")]
    assert ours == [
        ("GET", "/opportunities/pipelines", "2021-07-28"),  # the plan
        ("GET", "/opportunities/pipelines", "2021-07-28"),  # the update's fresh stage ids
        ("PUT", f"/opportunities/pipelines/{journey['id']}", "v3"),
        ("POST", "/opportunities/pipelines", "v3"),
    ]
    calls.seen.clear()
    assert_clean(project)
    assert [c for c in calls.seen if c[1].startswith("/opportunities/")] == [
        ("GET", "/opportunities/pipelines", "2021-07-28")
    ]


# -- the switch and the manifest model --------------------------------------------------------


def test_the_switch_lives_in_the_project_policy(project: Runner) -> None:
    from ghlops.engine import selected_adapters
    from ghlops.manifest.project import load_project
    from ghlops.resources.pipelines import PipelineAdapter, WritablePipelineAdapter

    on = load_project(project.directory)
    assert on.pipelines_writable and on.writable_kinds == frozenset({"pipelines"})
    [writable] = [a for a in selected_adapters(writable=on.writable_kinds) if a.kind == "pipelines"]
    assert isinstance(writable, WritablePipelineAdapter) and writable.writable
    assert writable.destroys_on_delete == "opportunities"
    for policy in ("  prune: []\n", "  pipelines: read-only\n"):
        write(project, BUNDLE, policy=policy)
        off = load_project(project.directory)
        assert not off.pipelines_writable and off.writable_kinds == frozenset()
        [read_only] = [
            a for a in selected_adapters(writable=off.writable_kinds) if a.kind == "pipelines"
        ]
        assert type(read_only) is PipelineAdapter and not read_only.writable
    write(project, BUNDLE, policy="  pipelines: yes\n")
    result = project("validate")
    assert result.exit_code == 1
    assert "ghlops.yaml:3: policy.pipelines: Input should be 'read-only' or 'write'" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("stages", "problem"),
    [
        (
            "[{name: A, stageWinProbability: 10}, B]",
            "stageWinProbability is set on stage(s) 'A', so useOpportunityProbability must be true",
        ),
        (
            "[{name: A, stageWinProbability: 10}, B]\n    useOpportunityProbability: true",
            "every stage needs a stageWinProbability (missing on 'B')",
        ),
        ("[{name: A, stageWinProbability: 101}]", "Input should be less than or equal to 100"),
        (
            "[{name: A, renamedFrom: X}, {name: B, renamedFrom: x}]",
            "stages 'A' and 'B' are both renamedFrom 'x'",
        ),
        ("[A, {name: a}]", "stage 'a' is listed twice"),
        ("[{name: A, colour: red}]", "stages[0].colour: unknown field"),
        ("[A, 7]", "stages[1]: a stage is a name or a mapping {name, renamedFrom,"),
    ],
)
def test_stage_mappings_are_validated(project: Runner, stages: str, problem: str) -> None:
    write(project, f"pipelines:\n  - name: P\n    stages: {stages}\n")
    result = project("validate")
    assert result.exit_code == 1
    assert "bundles/crm/pipelines.yaml:" in result.stderr
    assert problem in result.stderr, result.stderr


# -- the adapter's request shapes (a recording fake API) ----------------------------------------


class FakeApi:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str, str | None, Any]] = []

    def request(
        self, method: str, path: str, *, version: str | None, json: Any = None, **_: Any
    ) -> Any:
        self.requests.append((method, path, version, json))
        return self.answers.pop(0)

    def paginate(self, path: str, **_: Any) -> list[Any]:  # pragma: no cover - not used
        raise AssertionError("pipelines are not paginated")


def desired(**fields: Any) -> Any:
    from ghlops.models.pipeline import Pipeline
    from ghlops.resources import registry

    adapter = registry.get("pipelines").with_writes()
    return adapter, adapter.desired_item(Pipeline(**fields))


@pytest.mark.parametrize(
    "answer",
    [{"pipeline": {"id": "NEW"}}, {"id": "NEW"}, {"pipeline": {"_id": "NEW"}}],
)
def test_create_body_and_the_new_id(answer: dict[str, Any]) -> None:
    from ghlops.resources.base import Ctx

    adapter, item = desired(
        name="P",
        stages=[{"name": "A", "stageWinProbability": 5}, {"name": "B", "stageWinProbability": 50}],
        useOpportunityProbability=True,
        showInFunnel=False,
    )
    api = FakeApi([answer])
    assert adapter.create(Ctx(api, LOC), item) == "NEW"
    assert api.requests == [
        (
            "POST",
            "/opportunities/pipelines",
            "v3",
            {
                "locationId": LOC,
                "name": "P",
                "stages": [
                    {"name": "A", "position": 0, "stageWinProbability": 5},
                    {"name": "B", "position": 1, "stageWinProbability": 50},
                ],
                "useOpportunityProbability": True,
                "showInFunnel": False,
            },
        )
    ]


def test_create_without_an_id_in_the_answer_fails_clearly() -> None:
    from ghlops.errors import GhlopsError
    from ghlops.resources.base import Ctx

    adapter, item = desired(name="P", stages=["A"])
    with pytest.raises(GhlopsError, match="the create-pipeline answer has no pipeline id"):
        adapter.create(Ctx(FakeApi([{"succeded": True}]), LOC), item)


def test_update_sends_current_stage_ids_and_fails_clearly_when_gone() -> None:
    from ghlops.errors import GhlopsError
    from ghlops.resources.base import Ctx

    adapter, item = desired(name="P", stages=[{"name": "A2", "renamedFrom": "A"}, "New", "b"])
    live = {
        "id": "PID",
        "name": "P",
        "stages": [{"id": "s-b", "name": "B", "position": 1}, {"id": "s-a", "name": "A"}],
    }
    api = FakeApi([{"pipelines": [live]}, {"pipeline": live}])
    adapter.update(Ctx(api, LOC), "PID", item)
    assert api.requests[1] == (
        "PUT",
        "/opportunities/pipelines/PID",
        "v3",
        {
            "name": "P",
            "stages": [
                {"id": "s-a", "name": "A2", "position": 0},
                {"name": "New", "position": 1},
                {"id": "s-b", "name": "b", "position": 2},
            ],
        },
    )
    with pytest.raises(GhlopsError, match=r"pipeline 'P' \(PID\) no longer exists"):
        adapter.update(Ctx(FakeApi([{"pipelines": []}]), LOC), "PID", item)
