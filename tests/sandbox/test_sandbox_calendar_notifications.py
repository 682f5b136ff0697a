"""Calendar notifications (apps/calendars.json ``/calendars/{calendarId}/notifications``): create
(an array), list (skip/limit, deleted and isActive filters), get, partial PUT, soft DELETE,
selected users, and the cascade when the calendar is deleted.

Successful answers are spec-checked by the ``cal`` client (every one of them must match the
operation's documented response schema and carry no undocumented field).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client
from tests.sandbox.test_sandbox_calendars import check_unprocessable

HEX24 = re.compile(r"[0-9a-f]{24}")
REMINDER = {
    "notificationType": "reminder",
    "receiverType": "contact",
    "channel": "email",
    "subject": "Tomorrow",
    "beforeTime": [{"timeOffset": 24, "unit": "hours"}],
    "fromName": "Clinic",
}


@pytest.fixture
def cal(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    """A client whose answers are checked against the spec (validation failures: as the
    calendars API answers them, see ``check_unprocessable``)."""
    with make_client(sb.transport(), token=token, version="2021-04-15") as client:
        client.event_hooks["response"] = [check_unprocessable]
        yield client


@pytest.fixture
def calendar(cal: httpx.Client) -> str:
    response = cal.post("/calendars/", json={"locationId": LOC, "name": "Hygiene"})
    assert response.status_code == 200, response.text
    calendar_id: str = response.json()["calendar"]["id"]
    return calendar_id


def path(calendar_id: str, notification_id: str = "") -> str:
    tail = f"/{notification_id}" if notification_id else ""
    return f"/calendars/{calendar_id}/notifications{tail}"


def create(cal: httpx.Client, calendar_id: str, *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    response = cal.post(path(calendar_id), json=list(bodies))
    assert response.status_code == 200, response.text  # the spec documents 200
    made: list[dict[str, Any]] = response.json()
    return made


def test_create_takes_and_answers_an_array(cal: httpx.Client, calendar: str) -> None:
    booked = {"notificationType": "booked", "receiverType": "contact", "channel": "sms"}
    reminder, sms = create(cal, calendar, REMINDER, booked)
    assert HEX24.fullmatch(reminder["_id"])
    assert reminder == {
        "_id": reminder["_id"],
        "notificationType": "reminder",
        "receiverType": "contact",
        "channel": "email",
        "subject": "Tomorrow",
        "beforeTime": [{"timeOffset": 24, "unit": "hours"}],
        "isActive": True,  # the create DTO's default
        "deleted": False,
    }  # fromName is stored, never answered (the response lacks it)
    assert sms["notificationType"] == "booked"


def test_list_pages_with_skip_and_limit(cal: httpx.Client, calendar: str) -> None:
    made = create(cal, calendar, *[{**REMINDER, "subject": f"S{i}"} for i in range(105)])
    first = cal.get(path(calendar))
    assert [n["_id"] for n in first.json()] == [n["_id"] for n in made[:100]]  # default 100
    rest = cal.get(path(calendar), params={"skip": 100, "limit": 100})
    assert [n["_id"] for n in rest.json()] == [n["_id"] for n in made[100:]]
    assert cal.get(path(calendar), params={"skip": 105}).json() == []


def test_delete_is_soft_and_the_list_filters(cal: httpx.Client, calendar: str) -> None:
    kept, gone = create(cal, calendar, REMINDER, {**REMINDER, "channel": "sms"})
    response = cal.delete(path(calendar, gone["_id"]))
    assert response.status_code == 200
    assert set(response.json()) == {"message"}
    everything = cal.get(path(calendar)).json()
    assert [(n["_id"], n["deleted"]) for n in everything] == [
        (kept["_id"], False),
        (gone["_id"], True),
    ]
    live = cal.get(path(calendar), params={"deleted": "false"}).json()
    assert [n["_id"] for n in live] == [kept["_id"]]
    cal.put(path(calendar, kept["_id"]), json={"isActive": False})
    active = {"isActive": "true", "deleted": "false"}
    assert cal.get(path(calendar), params=active).json() == []


def test_put_is_partial(cal: httpx.Client, calendar: str) -> None:
    [made] = create(cal, calendar, REMINDER)
    response = cal.put(path(calendar, made["_id"]), json={"body": "See you"})
    assert response.status_code == 200
    assert set(response.json()) == {"message"}
    got = cal.get(path(calendar, made["_id"])).json()
    assert got == {**made, "body": "See you"}


def test_selected_users_must_be_users_of_the_location(
    sb: Sandbox, cal: httpx.Client, calendar: str
) -> None:
    [user_id] = sb.seed({"locations": {LOC: {"users": [{"email": "ana@clinic.example"}]}}})[
        f"{LOC}/users"
    ]
    base = {"notificationType": "booked", "receiverType": "assignedUser", "channel": "inApp"}
    [made] = create(cal, calendar, {**base, "selectedUsers": [user_id, "sub_account_admin"]})
    assert made["selectedUsers"] == [user_id, "sub_account_admin"]
    refused = cal.post(path(calendar), json=[{**base, "selectedUsers": ["n0b0dy"]}])
    assert refused.status_code == 400
    assert "n0b0dy is not a user of this location" in refused.json()["message"]


def test_unknown_calendar_or_notification(cal: httpx.Client, calendar: str, sb: Sandbox) -> None:
    assert cal.get(path("n0tAcalendar0000000a")).status_code == 404
    assert cal.get(path(calendar, "0" * 24)).status_code == 404
    other = cal.post("/calendars/", json={"locationId": LOC, "name": "Other"}).json()
    [made] = create(cal, other["calendar"]["id"], REMINDER)
    assert cal.put(path(calendar, made["_id"]), json={"body": "x"}).status_code == 404
    sb.provision_location(OTHER_LOC)
    bad = cal.post(path(calendar), json=[{"notificationType": "reminder", "channel": "email"}])
    assert bad.status_code == 400  # calendars.json documents 400 for validation
    assert bad.json()["message"] == [
        "0.receiverType should not be empty",
        "0.receiverType must be a string",
    ]
    not_a_list = cal.post(path(calendar), json=REMINDER)
    assert not_a_list.status_code == 400
    assert not_a_list.json()["message"] == "Request body must be a JSON array"


def test_deleting_the_calendar_deletes_its_notifications(
    cal: httpx.Client, calendar: str, sb: Sandbox
) -> None:
    create(cal, calendar, REMINDER)
    assert len(sb.objects(LOC, "calendarNotifications")) == 1
    assert cal.delete(f"/calendars/{calendar}").status_code == 200
    assert sb.objects(LOC, "calendarNotifications") == []


def test_seeded_notifications_may_be_deleted_already(sb: Sandbox, calendar: str) -> None:
    sb.seed(
        {
            "locations": {
                LOC: {
                    "calendarNotifications": [
                        {**REMINDER, "calendarId": calendar},
                        {**REMINDER, "calendarId": calendar, "channel": "sms", "deleted": True},
                    ]
                }
            }
        }
    )
    assert [n["deleted"] for n in sb.objects(LOC, "calendarNotifications")] == [False, True]
