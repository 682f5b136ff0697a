"""Calendar groups and calendars (apps/calendars.json, Version 2021-04-15); spec-checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import (
    BASE_URL,
    LOC,
    OTHER_LOC,
    check_unprocessable,
    make_client,
)

VERSION = "2021-04-15"
GROUPS = "/calendars/groups"
CALENDARS = "/calendars/"
ANA = "ocQHyuzHvysMo5N5VsXc"
BEN = "bEn0000000000000000b"


@pytest.fixture
def cal(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    sb.seed(
        {
            "locations": {
                LOC: {
                    "users": [
                        {"id": ANA, "email": "ana@clinic.com", "firstName": "Ana"},
                        {"id": BEN, "email": "ben@clinic.com", "firstName": "Ben"},
                    ]
                }
            }
        }
    )
    with make_client(sb.transport(), token=token, version=VERSION) as c:
        yield c


@pytest.fixture
def invalid(sb: Sandbox, token: str, cal: httpx.Client) -> Iterator[httpx.Client]:
    """A client for requests the validator refuses (spec-checked except for validation bodies)."""
    with httpx.Client(
        transport=sb.transport(),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}", "Version": VERSION},
        event_hooks={"response": [check_unprocessable]},
    ) as c:
        yield c


def create_group(client: httpx.Client, slug: str, **extra: Any) -> dict[str, Any]:
    body = {"locationId": LOC, "name": slug.title(), "description": "d", "slug": slug, **extra}
    response = client.post(GROUPS, json=body)
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()["group"]
    return group


def create_calendar(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post(CALENDARS, json={"locationId": LOC, **fields})
    assert response.status_code == 200, response.text
    calendar: dict[str, Any] = response.json()["calendar"]
    return calendar


# -- groups --------------------------------------------------------------------------------


def test_group_create_is_201_and_enabled_by_default(cal: httpx.Client) -> None:
    group = create_group(cal, "dental", description="Teeth")
    assert group == {
        "id": group["id"],
        "locationId": LOC,
        "name": "Dental",
        "description": "Teeth",
        "slug": "dental",
        "isActive": True,
    }
    assert len(group["id"]) == 20 and group["id"].isalnum()
    off = create_group(cal, "off", isActive=False)
    assert off["isActive"] is False
    listed = cal.get(GROUPS, params={"locationId": LOC})
    assert listed.status_code == 200
    assert listed.json() == {"groups": [group, off]}


def test_group_list_requires_location(cal: httpx.Client, invalid: httpx.Client) -> None:
    response = invalid.get(GROUPS)
    assert response.status_code == 400
    assert cal.get(GROUPS, params={"locationId": OTHER_LOC}).status_code == 403


def test_group_slug_is_unique_and_validated(cal: httpx.Client) -> None:
    create_group(cal, "dental")
    response = cal.post(
        GROUPS, json={"locationId": LOC, "name": "Other", "description": "d", "slug": "dental"}
    )
    assert response.status_code == 400
    assert "dental" in response.json()["message"]
    check = cal.post(f"{GROUPS}/validate-slug", json={"locationId": LOC, "slug": "dental"})
    assert check.status_code == 200 and check.json() == {"available": False}
    check = cal.post(f"{GROUPS}/validate-slug", json={"locationId": LOC, "slug": "ortho"})
    assert check.json() == {"available": True}


def test_group_create_requires_description_and_own_location(
    cal: httpx.Client, invalid: httpx.Client
) -> None:
    response = invalid.post(GROUPS, json={"locationId": LOC, "name": "x", "slug": "x"})
    assert response.status_code == 400
    assert "description must be a string" in response.json()["message"]
    response = invalid.post(
        GROUPS, json={"locationId": LOC, "name": "x", "description": "", "slug": "x"}
    )
    assert response.json()["message"] == ["description should not be empty"]
    response = cal.post(
        GROUPS, json={"locationId": OTHER_LOC, "name": "x", "description": "d", "slug": "x"}
    )
    assert response.status_code == 403


def test_group_update_is_full_and_status_is_separate(
    cal: httpx.Client, invalid: httpx.Client, sb: Sandbox
) -> None:
    group = create_group(cal, "dental")
    response = invalid.put(
        f"{GROUPS}/{group['id']}", json={"name": "Dental care", "slug": "dental"}
    )
    assert response.status_code == 400  # description is required
    response = invalid.put(
        f"{GROUPS}/{group['id']}",
        json={"name": "Dental care", "description": "d", "slug": "teeth", "isActive": False},
    )
    assert response.status_code == 400  # isActive is not in GroupUpdateDTO
    assert "property isActive should not exist" in response.json()["message"]
    response = cal.put(
        f"{GROUPS}/{group['id']}", json={"name": "Dental care", "description": "d", "slug": "teeth"}
    )
    assert response.status_code == 200
    updated = {**group, "name": "Dental care", "description": "d", "slug": "teeth"}
    assert response.json() == {"group": updated}

    status = cal.put(f"{GROUPS}/{group['id']}/status", json={"isActive": False})
    assert status.status_code == 200 and status.json() == {"success": True}
    assert sb.objects(LOC, "calendarGroups") == [{**updated, "isActive": False}]


def test_group_update_refuses_a_taken_slug(cal: httpx.Client) -> None:
    create_group(cal, "a")
    b = create_group(cal, "b")
    response = cal.put(f"{GROUPS}/{b['id']}", json={"name": "B", "description": "d", "slug": "a"})
    assert response.status_code == 400


def test_group_delete_keeps_its_calendars_ungrouped(cal: httpx.Client, sb: Sandbox) -> None:
    group = create_group(cal, "dental")
    calendar = create_calendar(cal, name="Cleaning", groupId=group["id"])
    assert calendar["groupId"] == group["id"]
    response = cal.delete(f"{GROUPS}/{group['id']}")
    assert response.status_code == 200 and response.json() == {"success": True}
    assert sb.objects(LOC, "calendarGroups") == []
    (left,) = sb.objects(LOC, "calendars")
    assert "groupId" not in left and left["id"] == calendar["id"]


def test_unknown_group_is_404(cal: httpx.Client) -> None:
    missing = "nosuchgroup000000000"
    assert cal.delete(f"{GROUPS}/{missing}").status_code == 404
    assert cal.put(f"{GROUPS}/{missing}/status", json={"isActive": True}).status_code == 404
    response = cal.put(f"{GROUPS}/{missing}", json={"name": "x", "description": "d", "slug": "x"})
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Group not found"}


# -- calendars -----------------------------------------------------------------------------


def test_calendar_create_is_200_with_documented_defaults(cal: httpx.Client) -> None:
    calendar = create_calendar(cal, name="Consult", calendarType="event")
    assert calendar == {
        "id": calendar["id"],
        "locationId": LOC,
        "name": "Consult",
        "calendarType": "event",
        "isActive": True,
        "eventType": "RoundRobin_OptimizeForAvailability",
        "widgetType": "classic",
        "eventTitle": "{{contact.name}}",
        "eventColor": "#039be5",
        "slotDuration": 30,
        "slotInterval": 30,
        "appoinmentPerSlot": 1,
        "enableRecurring": False,
        "autoConfirm": True,
        "googleInvitationEmails": False,
        "allowReschedule": True,
        "allowCancellation": True,
        "formSubmitType": "ThankYouMessage",
    }


def test_given_values_beat_defaults(cal: httpx.Client) -> None:
    calendar = create_calendar(
        cal,
        name="Consult",
        slug="consult",
        slotDuration=45,
        autoConfirm=False,
        openHours=[
            {
                "daysOfTheWeek": [1, 2],
                "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 17, "closeMinute": 0}],
            }
        ],
        locationConfigurations=[{"kind": "physical", "location": "1 Main St"}],
    )
    assert calendar["slotDuration"] == 45 and calendar["autoConfirm"] is False
    assert calendar["slug"] == "consult" and calendar["slotInterval"] == 30
    assert calendar["locationConfigurations"] == [{"kind": "physical", "location": "1 Main St"}]


def test_team_members_get_priority_default_and_must_be_users(cal: httpx.Client) -> None:
    calendar = create_calendar(
        cal,
        name="Hygiene",
        calendarType="round_robin",
        teamMembers=[{"userId": ANA, "isPrimary": True}, {"userId": BEN, "priority": 1}],
    )
    assert calendar["teamMembers"] == [
        {"userId": ANA, "isPrimary": True, "priority": 0.5},
        {"userId": BEN, "priority": 1},
    ]
    response = cal.post(
        CALENDARS,
        json={"locationId": LOC, "name": "X", "teamMembers": [{"userId": "nosuchuser0000000000"}]},
    )
    assert response.status_code == 400
    assert "nosuchuser0000000000" in response.json()["message"]


@pytest.mark.parametrize(
    ("calendar_type", "members", "message"),
    [
        ("round_robin", [], "Team members are required"),
        ("collective", [], "Team members are required"),
        ("personal", [], "exactly one team member"),
        ("personal", [{"userId": ANA}, {"userId": BEN}], "exactly one team member"),
        ("event", [{"userId": ANA, "isPrimary": True}, {"userId": BEN, "isPrimary": True}], "one"),
    ],
)
def test_documented_member_counts(
    cal: httpx.Client, calendar_type: str, members: list[dict[str, Any]], message: str
) -> None:
    response = cal.post(
        CALENDARS,
        json={
            "locationId": LOC,
            "name": "X",
            "calendarType": calendar_type,
            "teamMembers": members,
        },
    )
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_calendar_create_validation(cal: httpx.Client, invalid: httpx.Client) -> None:
    response = invalid.post(CALENDARS, json={"locationId": LOC})
    assert response.status_code == 400
    assert "name must be a string" in response.json()["message"]
    response = invalid.post(
        CALENDARS, json={"locationId": LOC, "name": "x", "calendarType": "nope"}
    )
    assert response.status_code == 400
    response = invalid.post(
        CALENDARS,
        json={"locationId": LOC, "name": "x", "teamMembers": [{"userId": ANA, "priority": 0.7}]},
    )
    assert response.status_code == 400
    response = cal.post(CALENDARS, json={"locationId": LOC, "name": "x", "groupId": "nosuch"})
    assert response.status_code == 400
    response = cal.post(CALENDARS, json={"locationId": OTHER_LOC, "name": "x"})
    assert response.status_code == 403


def test_calendar_update_is_partial_without_defaults(cal: httpx.Client, sb: Sandbox) -> None:
    group = create_group(cal, "dental")
    calendar = create_calendar(cal, name="Consult", calendarType="event", slotDuration=45)
    response = cal.put(
        f"{CALENDARS}{calendar['id']}",
        json={"name": "Consultation", "groupId": group["id"], "teamMembers": [{"userId": ANA}]},
    )
    assert response.status_code == 200
    updated = {
        **calendar,
        "name": "Consultation",
        "groupId": group["id"],
        "teamMembers": [{"userId": ANA, "priority": 0.5}],
    }
    assert response.json() == {"calendar": updated}
    assert updated["slotDuration"] == 45  # not reset to the default 30
    assert cal.get(f"{CALENDARS}{calendar['id']}").json() == {"calendar": updated}

    response = cal.put(f"{CALENDARS}{calendar['id']}", json={"groupId": ""})
    assert "groupId" not in response.json()["calendar"]


def test_calendar_type_and_slot_buffer_unit_cannot_be_updated(
    cal: httpx.Client, invalid: httpx.Client
) -> None:
    calendar = create_calendar(cal, name="Consult", calendarType="event", slotBufferUnit="mins")
    for body in ({"calendarType": "personal"}, {"slotBufferUnit": "hours"}):
        response = invalid.put(f"{CALENDARS}{calendar['id']}", json=body)
        assert response.status_code == 400
        assert f"property {next(iter(body))} should not exist" in response.json()["message"]


def test_calendar_list_filters_and_delete(
    cal: httpx.Client, invalid: httpx.Client, sb: Sandbox
) -> None:
    group = create_group(cal, "dental")
    a = create_calendar(cal, name="A", groupId=group["id"])
    b = create_calendar(cal, name="B", isActive=False)
    listed = cal.get(CALENDARS, params={"locationId": LOC})
    assert listed.status_code == 200 and listed.json() == {"calendars": [a, b]}
    by_group = cal.get(CALENDARS, params={"locationId": LOC, "groupId": group["id"]})
    assert by_group.json() == {"calendars": [a]}
    active = cal.get(CALENDARS, params={"locationId": LOC, "showDrafted": "false"})
    assert active.json() == {"calendars": [a]}
    assert invalid.get(CALENDARS).status_code == 400  # locationId is required

    deleted = cal.delete(f"{CALENDARS}{a['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"success": True}
    assert [c["id"] for c in sb.objects(LOC, "calendars")] == [b["id"]]
    assert cal.get(f"{CALENDARS}{a['id']}").status_code == 404
    assert cal.delete(f"{CALENDARS}{a['id']}").status_code == 404


def test_calendars_need_their_version(sb: Sandbox, token: str) -> None:
    with make_client(sb.transport(), token=token, version="2021-07-28") as wrong:
        response = wrong.get(CALENDARS, params={"locationId": LOC})
    assert response.status_code == 400
    assert "2021-04-15" in response.json()["message"]


def test_unemulated_calendar_routes_are_not_mistaken_for_ids(cal: httpx.Client) -> None:
    response = cal.get("/calendars/events", params={"locationId": LOC})
    assert response.status_code == 404
    assert "not emulated" in response.json()["message"]
