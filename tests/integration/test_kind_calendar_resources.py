"""Calendar resources (rooms, equipments) end to end through the CLI on the embedded sandbox:
create with calendars named by key, no changes after, an update keeps the id, a deactivated
create, every page of the list, the calls of an unchanged plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.cli import Runner, SandboxCalls, record_sandbox_requests

LOC = "CaLrEs0uRcEsL0cAt10n"
PROJECT = f"""\
version: 1
locations:
  - name: studio
    id: {LOC}
    bundles: [bundles/studio]
"""
BUNDLE = """\
calendars:
  - {name: Yoga, slug: yoga, calendarType: event}
  - {name: Pilates, calendarType: event}
calendarResources:
  - {resourceType: rooms, name: Studio A, description: Upstairs, capacity: 12, calendars: [yoga, Pilates]}
  - {resourceType: equipments, name: Mats, description: Yoga mats, quantity: 20, outOfService: 2, calendars: [yoga]}
  - {resourceType: equipments, name: Studio A, description: The studio's sign, quantity: 1, isActive: false}
"""


@pytest.fixture
def project(tmp_path: Path) -> Runner:
    (tmp_path / "bundles" / "studio").mkdir(parents=True)
    (tmp_path / "ghlops.yaml").write_text(PROJECT)
    (tmp_path / "bundles" / "studio" / "studio.yaml").write_text(BUNDLE)
    return Runner(tmp_path)


def write_bundle(project: Runner, text: str) -> None:
    (project.directory / "bundles" / "studio" / "studio.yaml").write_text(text)


def objects(project: Runner, kind: str) -> list[dict[str, Any]]:
    sb = Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")
    try:
        return list(sb.objects(LOC, kind))
    finally:
        sb.close()


def resources(project: Runner) -> dict[str, dict[str, Any]]:
    return {f"{r['resourceType']}/{r['name']}": r for r in objects(project, "calendarResources")}


@pytest.fixture
def applied(project: Runner) -> Runner:
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return project


def test_create_then_no_changes(project: Runner) -> None:
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '  + calendar resource "rooms/Studio A"' in plan.stdout
    assert '  + calendar resource "equipments/Mats"' in plan.stdout
    assert '  + calendar resource "equipments/Studio A"' in plan.stdout
    assert "Plan: 5 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout

    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    calendar_ids = {c["name"]: c["id"] for c in objects(project, "calendars")}
    found = resources(project)
    assert set(found) == {"rooms/Studio A", "equipments/Mats", "equipments/Studio A"}
    room = found["rooms/Studio A"]
    assert sorted(room["calendarIds"]) == sorted([calendar_ids["Yoga"], calendar_ids["Pilates"]])
    assert (room["capacity"], room["description"], room["isActive"]) == (12, "Upstairs", True)
    assert found["equipments/Mats"]["calendarIds"] == [calendar_ids["Yoga"]]
    assert found["equipments/Studio A"]["isActive"] is False, "created, then deactivated"
    assert found["equipments/Studio A"]["capacity"] == 1, "required on create: sent as 1"

    again = project("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout


def test_update_keeps_the_id(applied: Runner) -> None:
    before = resources(applied)["rooms/Studio A"]
    write_bundle(
        applied,
        BUNDLE.replace(
            "capacity: 12, calendars: [yoga, Pilates]", "capacity: 8, calendars: [Pilates]"
        ),
    )
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ calendar resource "rooms/Studio A" (id {before["id"]})' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    after = resources(applied)["rooms/Studio A"]
    pilates = next(c["id"] for c in objects(applied, "calendars") if c["name"] == "Pilates")
    assert (after["id"], after["capacity"], after["calendarIds"]) == (before["id"], 8, [pilates])
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_an_undeclared_calendar_is_a_clear_error(project: Runner) -> None:
    write_bundle(project, BUNDLE.replace("calendars: [yoga]", "calendars: [boxing]"))
    plan = project("plan", "--sandbox")
    assert plan.exit_code == 1, plan.output
    assert (
        "calendar resource 'equipments/Mats': calendars 'boxing' is not declared in calendars"
        in plan.output
    )
    assert "studio.yaml" in plan.output
    assert "Traceback" not in plan.output


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxCalls]:
    recorder = SandboxCalls()
    record_sandbox_requests(monkeypatch, recorder)
    yield recorder


def test_every_page_of_the_list_is_read(project: Runner, calls: SandboxCalls) -> None:
    sb = Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")
    try:
        sb.seed(
            {
                "locations": {
                    LOC: {
                        "calendarResources": [
                            {
                                "name": f"Room {i:03}",
                                "resourceType": "rooms",
                                "isActive": True,
                                "calendarIds": [],
                                "capacity": 2,
                                "description": "d",
                            }
                            for i in range(230)
                        ]
                    }
                }
            }
        )
    finally:
        sb.close()
    write_bundle(
        project,
        "calendarResources:\n"
        "{% for i in range(230) %}"
        '  - {resourceType: rooms, name: "Room {{ "%03d" % i }}", description: d, capacity: 2}\n'
        "{% endfor %}",
    )
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output  # all 230 matched: nothing to create
    assert "No changes." in plan.stdout
    rooms = [t for _, t in calls.seen if t.startswith("/calendars/resources/rooms?")]
    assert [t.split("skip=")[1].split("&")[0] for t in rooms] == ["0", "100", "200", "230"]
    assert all(f"locationId={LOC}" in t and "limit=100" in t for t in rooms)


def test_unchanged_plan_reads_each_type_until_an_empty_page(
    applied: Runner, calls: SandboxCalls
) -> None:
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    reads = [(m, t.split("?")[0]) for m, t in calls.seen if t.startswith("/calendars/resources")]
    # no total in the answer: a short page proves nothing, so each type ends on an empty page
    assert reads == [
        ("GET", "/calendars/resources/rooms"),
        ("GET", "/calendars/resources/rooms"),
        ("GET", "/calendars/resources/equipments"),
        ("GET", "/calendars/resources/equipments"),
    ]
    assert all(m == "GET" for m, _ in calls.seen)
