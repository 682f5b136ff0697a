"""Calendar notifications end to end through the CLI on the embedded sandbox: declared inside
their calendars and created after them, selected users named by email, an update keeps the id,
pruning (a soft delete in the sandbox) converges, every page of the list, and the calls of an
unchanged plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "CaLn0t1f1cat10nsL0cA"
ANA = "us3rAna0000000000001"
BUNDLE = """\
calendars:
  - name: Hygiene
    slug: hygiene
    calendarType: event
    notifications:
      - notificationType: reminder
        receiverType: contact
        channel: email
        subject: "Your visit at {{ location.name }}"
        body: "See you {% raw %}{{appointment.start_time}}{% endraw %}"
        beforeTime: [{timeOffset: 24, unit: hours}, {timeOffset: 1, unit: hours}]
        fromName: Smile Clinic
      - {notificationType: booked, receiverType: assignedUser, channel: inApp,
         selectedUsers: [Ana@Clinic.example, sub_account_admin]}
  - {name: Consult, slug: consult, calendarType: event}
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    runner = KindProject(tmp_path, LOC, BUNDLE)
    runner.seed({"users": [{"id": ANA, "email": "ana@clinic.example"}]})
    return runner


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def stored(project: KindProject) -> dict[str, dict[str, Any]]:
    """The sandbox's full records by type/receiver/channel (with what the API never returns)."""
    with project.sandbox() as sb:
        return {
            "/".join(o.data[k] for k in ("notificationType", "receiverType", "channel")): o.data
            for o in sb.store.list(LOC, "calendarNotifications")
        }


def hygiene_id(project: KindProject) -> str:
    [calendar] = [c for c in project.objects("calendars") if c.get("slug") == "hygiene"]
    return str(calendar["id"])


def test_notifications_are_created_in_their_calendar(project: KindProject) -> None:
    plan = project("plan", "--sandbox")
    lines = plan.stdout.splitlines()
    reminder = lines.index('  + calendar notification "hygiene/reminder/contact/email"')
    assert reminder > lines.index('  + calendar "hygiene"')
    assert "Plan: 4 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    project.converges()
    found = stored(project)
    assert set(found) == {"reminder/contact/email", "booked/assignedUser/inApp"}
    reminder_data = found["reminder/contact/email"]
    assert reminder_data["calendarId"] == hygiene_id(project)
    assert reminder_data["subject"] == "Your visit at main"
    assert reminder_data["body"] == "See you {{appointment.start_time}}"
    assert reminder_data["fromName"] == "Smile Clinic"  # write-only: stored, never answered
    assert found["booked/assignedUser/inApp"]["selectedUsers"] == [ANA, "sub_account_admin"]


def test_an_update_keeps_the_notification(project: KindProject) -> None:
    project.converges()
    before = stored(project)["reminder/contact/email"]
    project.write(BUNDLE.replace("Your visit at", "Your appointment at"))
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert (
        f'  ~ calendar notification "hygiene/reminder/contact/email" (id {before["_id"]})'
    ) in plan.stdout
    assert "also sends write-only fields fromName" in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = stored(project)["reminder/contact/email"]
    assert (after["_id"], after["subject"]) == (before["_id"], "Your appointment at main")
    project.no_changes()


def test_a_pruned_notification_is_deleted_and_stays_gone(project: KindProject) -> None:
    project.converges()
    gone = stored(project)["booked/assignedUser/inApp"]["_id"]
    project.write(
        BUNDLE.split("      - {notificationType: booked")[0] + "  - {name: Consult, "
        "slug: consult, calendarType: event}\n"
    )
    (project.directory / "ghlops.yaml").write_text(
        (project.directory / "ghlops.yaml").read_text()
        + "policy:\n  prune: [calendarNotifications]\n"
    )
    plan = project("plan", "--sandbox")
    assert f'  - calendar notification "hygiene/booked/assignedUser/inApp" (id {gone})' in (
        plan.stdout
    )
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert stored(project)["booked/assignedUser/inApp"]["deleted"] is True  # a soft delete
    project.no_changes()


def test_an_email_that_is_not_a_user_fails_the_plan(project: KindProject) -> None:
    project.write(BUNDLE.replace("Ana@Clinic.example", "zed@clinic.example"))
    plan = project("plan", "--sandbox")
    assert plan.exit_code == 1
    assert (
        "calendar notification 'hygiene/booked/assignedUser/inApp': selected user "
        f"'zed@clinic.example' is not a user of location {LOC}"
    ) in plan.output


def test_every_page_and_the_calls_of_an_unchanged_plan(project: KindProject, calls: Calls) -> None:
    project.converges()
    calendar = hygiene_id(project)
    project.seed(
        {
            "calendarNotifications": [
                {
                    "calendarId": calendar,
                    "notificationType": "followup",
                    "receiverType": "contact",
                    "channel": "sms",
                    "body": f"Thanks {i}",
                }
                for i in range(120)
            ]
        }
    )
    calls.seen.clear()
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "unmanaged: 120 (calendarNotifications 120)" in plan.stdout
    pages = [t for _m, t in calls.under("/calendars/") if "/notifications" in t]
    assert all("deleted=false" in t for t in pages)
    # under each declared calendar, read until an empty page (the list has no total)
    hygiene = [t for t in pages if t.startswith(f"/calendars/{calendar}/")]
    assert [t.split("skip=")[1].split("&")[0] for t in hygiene] == ["0", "100", "122"]
    assert len(pages) == 4  # and one (empty) page of Consult's
    assert len(calls.under("/users/")) == 1  # one lookup for the selected user's email


def test_calendars_without_notifications_read_none(project: KindProject, calls: Calls) -> None:
    project.write("calendars:\n  - {name: Consult, slug: consult, calendarType: event}\n")
    project.converges()
    calls.seen.clear()
    project.no_changes()
    assert not [t for _m, t in calls.seen if "/notifications" in t]
