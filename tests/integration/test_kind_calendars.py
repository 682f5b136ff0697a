"""Calendar groups and calendars end to end through the CLI on the embedded sandbox: converge,
group references by slug, team members by email, renames, the status endpoint, destructive
replaces, plan errors, dependency order and the number of list calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ghlops.client.client
import ghlops.sandbox
from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import Runner, record_sandbox_requests

LOC = "Ca1eNdArL0cAt10nAbCd"
ANA = "AnA0000000000000000a"
BEN = "BeN0000000000000000b"
PROJECT = f"""\
version: 1
locations:
  - name: clinic
    id: {LOC}
    bundles: [bundles/cal]
"""
GROUPS = """\
calendarGroups:
  - {name: Dental, slug: dental, description: Dental care}
  - {name: Kids, slug: kids, description: Visits for children, isActive: false}
"""
CALENDARS = """\
calendars:
  - name: Consultation
    slug: consultation
    group: dental
    calendarType: event
    slotDuration: 45
    locationConfigurations: [{kind: physical, location: 1 Main St}]
  - name: Hygiene
    slug: hygiene
    group: kids
    calendarType: round_robin
    eventType: RoundRobin_OptimizeForEqualDistribution
    teamMembers:
      - {user: ana@clinic.com, priority: 1, isPrimary: true}
      - {user: Ben@Clinic.com}
  - name: Walk-in
    calendarType: event
    eventColor: "#039be5"
    slotInterval: 30
    autoConfirm: true
"""
USERS = f"""\
locations:
  clinic:
    users:
      - {{id: {ANA}, email: ana@clinic.com, firstName: Ana}}
      - {{id: {BEN}, email: ben@clinic.com, firstName: Ben}}
"""


def sandbox(project: Runner) -> Sandbox:
    return Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")


def objects(project: Runner, kind: str, key: str = "slug") -> dict[str, dict[str, Any]]:
    sb = sandbox(project)
    try:
        return {str(o.get(key) or o["name"]): o for o in sb.objects(LOC, kind)}
    finally:
        sb.close()


def write(project: Runner, name: str, text: str) -> None:
    (project.directory / "bundles" / "cal" / name).write_text(text)


def edit(project: Runner, name: str, old: str, new: str) -> None:
    path = project.directory / "bundles" / "cal" / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def project(tmp_path: Path) -> Runner:
    (tmp_path / "bundles" / "cal").mkdir(parents=True)
    (tmp_path / "ghlops.yaml").write_text(PROJECT)
    runner = Runner(tmp_path)
    write(runner, "groups.yaml", GROUPS)
    write(runner, "calendars.yaml", CALENDARS)
    return runner


@pytest.fixture
def seeded(project: Runner, tmp_path: Path) -> Runner:
    """The location's users, made "in the GHL UI" with `ghlops sandbox seed`."""
    seed_file = tmp_path / "users.yaml"
    seed_file.write_text(USERS)
    result = project("sandbox", "seed", str(seed_file))
    assert result.exit_code == 0, result.output
    assert f"seeded 2 users in location {LOC}" in result.stdout
    return project


@pytest.fixture
def applied(seeded: Runner) -> Runner:
    result = seeded("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return seeded


class Calls:
    """Records the requests the embedded sandbox serves (CLI runs build their own Sandbox)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        self.seen.append((request.method, request.target, request.body))
        return call_next(request)

    def paths(self, prefix: str = "/") -> list[str]:
        return [f"{m} {t.split('?')[0]}" for m, t, _ in self.seen if t.startswith(prefix)]

    def body(self, method: str, path: str) -> Any:
        [found] = [b for m, t, b in self.seen if m == method and t.split("?")[0] == path]
        return json.loads(found)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    recorder = Calls()
    record_sandbox_requests(monkeypatch, recorder)
    yield recorder


def test_converge_groups_then_calendars(seeded: Runner, calls: Calls) -> None:
    plan = seeded("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '  + calendar group "dental"' in plan.stdout
    assert '  + calendar "hygiene"' in plan.stdout
    assert '  + calendar "Walk-in"' in plan.stdout
    assert "Plan: 5 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout

    calls.seen.clear()
    result = seeded("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    writes = [p for p in calls.paths("/calendars") if not p.startswith("GET")]
    assert writes == ["POST /calendars/groups"] * 2 + ["POST /calendars/"] * 3, writes
    assert "PUT /calendars/groups" not in " ".join(writes), "no status call: create had isActive"

    groups = objects(seeded, "calendarGroups")
    assert groups["kids"]["isActive"] is False and groups["dental"]["isActive"] is True
    assert all(len(g["id"]) == 20 and g["id"].isalnum() for g in groups.values())
    cals = objects(seeded, "calendars")
    assert cals["consultation"]["groupId"] == groups["dental"]["id"]
    assert cals["consultation"]["locationConfigurations"] == [
        {"kind": "physical", "location": "1 Main St"}
    ]
    assert cals["hygiene"]["groupId"] == groups["kids"]["id"]
    assert cals["hygiene"]["teamMembers"] == [
        {"userId": ANA, "priority": 1, "isPrimary": True},
        {"userId": BEN, "priority": 0.5, "isPrimary": False},
    ]
    assert "groupId" not in cals["Walk-in"] and "slug" not in cals["Walk-in"]
    assert cals["Walk-in"]["eventColor"] == "#039be5"

    again = seeded("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout


def test_group_rename_with_the_same_slug_keeps_its_id(applied: Runner) -> None:
    before = objects(applied, "calendarGroups")["dental"]
    edit(applied, "groups.yaml", "{name: Dental, slug: dental", "{name: Dental Care, slug: dental")
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ calendar group "dental" (id {before["id"]})' in plan.stdout
    assert '      name: "Dental" → "Dental Care"' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    after = objects(applied, "calendarGroups")["dental"]
    assert after == {**before, "name": "Dental Care"}
    cals = objects(applied, "calendars")
    assert cals["consultation"]["groupId"] == before["id"]
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_group_status_is_a_second_call_only_when_it_differs(applied: Runner, calls: Calls) -> None:
    dental = objects(applied, "calendarGroups")["dental"]
    edit(
        applied, "groups.yaml", "description: Dental care}", "description: Teeth, isActive: false}"
    )
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    writes = [p for p in calls.paths("/calendars") if not p.startswith("GET")]
    assert writes == [
        f"PUT /calendars/groups/{dental['id']}",
        f"PUT /calendars/groups/{dental['id']}/status",
    ]
    assert calls.body("PUT", f"/calendars/groups/{dental['id']}") == {
        "name": "Dental",
        "description": "Teeth",
        "slug": "dental",
    }
    assert calls.body("PUT", f"/calendars/groups/{dental['id']}/status") == {"isActive": False}
    assert objects(applied, "calendarGroups")["dental"]["isActive"] is False

    calls.seen.clear()
    edit(
        applied,
        "groups.yaml",
        "description: Teeth, isActive: false}",
        "description: Teeth!, isActive: false}",
    )
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    writes = [p for p in calls.paths("/calendars") if not p.startswith("GET")]
    assert writes == [f"PUT /calendars/groups/{dental['id']}"]  # status already right
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_calendar_type_change_is_a_destructive_replace(applied: Runner) -> None:
    before = objects(applied, "calendars")["hygiene"]
    edit(applied, "calendars.yaml", "calendarType: round_robin", "calendarType: collective")
    plan = json.loads(applied("plan", "--sandbox", "--json").stdout)
    [change] = plan["locations"][0]["changes"]
    assert (change["action"], change["kind"], change["key"], change["id"]) == (
        "replace",
        "calendars",
        "hygiene",
        before["id"],
    )
    assert change["destructive"] is True
    assert change["diffs"] == [
        {"field": "calendarType", "before": "round_robin", "after": "collective"}
    ]
    text = applied("plan", "--sandbox")
    assert f'-/+ calendar "hygiene" (id {before["id"]})' in text.stdout
    assert "DESTRUCTIVE" in text.stdout

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    after = objects(applied, "calendars")["hygiene"]
    assert after["id"] != before["id"]
    assert after["calendarType"] == "collective"
    assert after["groupId"] == before["groupId"]
    assert after["teamMembers"] == before["teamMembers"]
    assert len(objects(applied, "calendars")) == 3
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_calendar_update_is_partial_and_keeps_its_id(applied: Runner, calls: Calls) -> None:
    groups = objects(applied, "calendarGroups")
    before = objects(applied, "calendars")["consultation"]
    edit(
        applied,
        "calendars.yaml",
        "    group: dental\n    calendarType: event\n    slotDuration: 45",
        "    group: kids\n    calendarType: event\n    slotDuration: 60",
    )
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '      group: "dental" → "kids"' in plan.stdout
    assert "      slotDuration: 45 → 60" in plan.stdout
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    body = calls.body("PUT", f"/calendars/{before['id']}")
    assert body["groupId"] == groups["kids"]["id"] and body["slotDuration"] == 60
    assert "calendarType" not in body and "locationId" not in body
    after = objects(applied, "calendars")["consultation"]
    assert after["id"] == before["id"]
    assert (after["groupId"], after["slotDuration"]) == (groups["kids"]["id"], 60)


def test_team_member_change_by_email_and_by_id(applied: Runner, calls: Calls) -> None:
    before = objects(applied, "calendars")["hygiene"]
    edit(
        applied,
        "calendars.yaml",
        "      - {user: Ben@Clinic.com}",
        f"      - {{user: {BEN}, priority: 0}}",
    )
    plan = json.loads(applied("plan", "--sandbox", "--json").stdout)
    [change] = plan["locations"][0]["changes"]
    assert change["action"] == "update" and change["id"] == before["id"]
    [diff] = change["diffs"]
    assert diff["field"] == "teamMembers"
    assert diff["before"] == [
        {"user": "ana@clinic.com", "priority": 1, "isPrimary": True},
        {"user": BEN, "priority": 0.5, "isPrimary": False},
    ], "compared in the manifest's form: Ana by email, Ben by id"
    assert diff["after"][1] == {"user": BEN, "priority": 0, "isPrimary": False}

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert calls.body("PUT", f"/calendars/{before['id']}")["teamMembers"] == [
        {"userId": ANA, "priority": 1, "isPrimary": True},
        {"userId": BEN, "priority": 0, "isPrimary": False},
    ]
    assert objects(applied, "calendars")["hygiene"]["id"] == before["id"]
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_undeclared_group_is_a_manifest_error_without_api_calls(
    seeded: Runner, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    original = ghlops.client.client.GhlClient._send

    def counting(self: Any, method: str, path: str, *args: Any) -> Any:
        sent.append(f"{method} {path}")
        return original(self, method, path, *args)

    monkeypatch.setattr(ghlops.client.client.GhlClient, "_send", counting)
    edit(seeded, "calendars.yaml", "    group: kids\n", "    group: orthodontics\n")
    for command in (("plan", "--sandbox"), ("apply", "--sandbox", "--auto-approve")):
        result = seeded(*command)
        assert result.exit_code == 1, result.output
        assert (
            "bundles/cal/calendars.yaml:8: calendar 'hygiene': group 'orthodontics' is not "
            "declared in calendarGroups" in result.stderr
        )
    assert sent == [] and calls.seen == []
    assert objects(seeded, "calendars") == {}


def test_unknown_team_member_email_fails_the_plan_clearly(applied: Runner, calls: Calls) -> None:
    before = objects(applied, "calendars")
    edit(applied, "calendars.yaml", "{user: Ben@Clinic.com}", "{user: nobody@clinic.com}")
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 1, plan.output
    assert (
        "calendar 'hygiene' (bundles/cal/calendars.yaml:8): team member 'nobody@clinic.com' "
        f"is not a user of location {LOC}" in plan.stdout
    )
    data = json.loads(applied("plan", "--sandbox", "--json").stdout)
    assert "nobody@clinic.com" in data["locations"][0]["error"]

    calls.seen.clear()
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 1, result.output
    assert [p for p in calls.paths() if not p.startswith("GET")] == []
    assert objects(applied, "calendars") == before


def test_many_users_are_read_in_one_call(project: Runner, calls: Calls) -> None:
    sb = sandbox(project)
    try:
        users = [{"email": f"user{i:02}@clinic.com"} for i in range(40)]
        ids = sb.seed({"locations": {LOC: {"users": users}}})[f"{LOC}/users"]
    finally:
        sb.close()
    write(
        project,
        "calendars.yaml",
        "calendars:\n  - {name: Late, teamMembers: [{user: user39@clinic.com}]}\n",
    )
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert objects(project, "calendars")["Late"]["teamMembers"][0]["userId"] == ids[39]
    assert project("plan", "--sandbox", "--detailed-exitcode").exit_code == 0
    assert calls.paths("/users") == ["GET /users/"] * 3  # plan, apply's create, plan


def test_unchanged_plan_makes_one_list_call_per_kind(applied: Runner, calls: Calls) -> None:
    plan = applied("plan", "--sandbox", "--detailed-exitcode", "--json")
    assert plan.exit_code == 0, plan.output
    assert [c for c in calls.paths() if c.startswith(("GET /calendars", "GET /users"))] == [
        "GET /calendars/groups",
        "GET /calendars/",
        "GET /users/",  # the manifests name team members by email
    ]
    assert all(m == "GET" for m, _, _ in calls.seen)
    queries = [t for _, t, _ in calls.seen if t.startswith(("/calendars", "/users"))]
    assert all(t.endswith(f"?locationId={LOC}") for t in queries), queries
    assert json.loads(plan.stdout)["locations"][0]["error"] is None


def test_without_emails_no_users_are_read(project: Runner, calls: Calls) -> None:
    write(project, "calendars.yaml", "calendars:\n  - {name: Solo, calendarType: event}\n")
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert project("plan", "--sandbox", "--detailed-exitcode").exit_code == 0
    assert calls.paths("/users") == []


def test_prune_deletes_calendars_before_their_groups(applied: Runner, calls: Calls) -> None:
    (applied.directory / "ghlops.yaml").write_text(
        PROJECT + "policy:\n  prune: [calendars, calendarGroups]\n"
    )
    groups = objects(applied, "calendarGroups")
    cals = objects(applied, "calendars")
    write(
        applied,
        "groups.yaml",
        "calendarGroups:\n  - {name: Dental, slug: dental, description: Dental care}\n",
    )
    write(applied, "calendars.yaml", CALENDARS.split("  - name: Hygiene")[0])
    plan = applied("plan", "--sandbox")
    assert f'  - calendar group "kids" (id {groups["kids"]["id"]})  DESTRUCTIVE' in plan.stdout
    assert f'  - calendar "hygiene" (id {cals["hygiene"]["id"]})  DESTRUCTIVE' in plan.stdout

    calls.seen.clear()
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    deletes = [p for p in calls.paths() if p.startswith("DELETE")]
    assert deletes == [
        f"DELETE /calendars/{cals['Walk-in']['id']}",
        f"DELETE /calendars/{cals['hygiene']['id']}",
        f"DELETE /calendars/groups/{groups['kids']['id']}",
    ]
    assert set(objects(applied, "calendars")) == {"consultation"}
    assert set(objects(applied, "calendarGroups")) == {"dental"}
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0
