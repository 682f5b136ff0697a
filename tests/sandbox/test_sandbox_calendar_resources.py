"""Calendar resources, rooms and equipments (apps/calendars.json, Version 2021-04-15); every
answer is checked against the spec's response schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, make_client

VERSION = "2021-04-15"
ROOMS = "/calendars/resources/rooms"
EQUIPMENTS = "/calendars/resources/equipments"


@pytest.fixture
def cal(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    with make_client(sb.transport(), token=token, version=VERSION) as c:
        yield c


def room(**extra: Any) -> dict[str, Any]:
    return {
        "locationId": LOC,
        "name": "Suite 1",
        "description": "Big room",
        "quantity": 1,
        "outOfService": 0,
        "capacity": 4,
        "calendarIds": [],
        **extra,
    }


def calendar(client: httpx.Client, name: str) -> str:
    made = client.post("/calendars/", json={"locationId": LOC, "name": name})
    assert made.status_code == 200, made.text
    return str(made.json()["calendar"]["id"])


def test_create_get_update_delete(cal: httpx.Client) -> None:
    one = calendar(cal, "Cleaning")
    made = cal.post(ROOMS, json=room(calendarIds=[one]))
    assert made.status_code == 201, made.text
    body = made.json()
    rid = body["id"]
    assert len(rid) == 20 and rid.isalnum()
    assert (body["resourceType"], body["isActive"], body["calendarIds"]) == ("rooms", True, [one])

    got = cal.get(f"{ROOMS}/{rid}")
    assert got.status_code == 200 and got.json()["capacity"] == 4
    assert cal.get(f"{EQUIPMENTS}/{rid}").status_code == 400, "reachable only under its type"

    updated = cal.put(f"{ROOMS}/{rid}", json={"capacity": 6, "isActive": False})
    assert updated.status_code == 200, updated.text
    assert updated.json()["capacity"] == 6 and updated.json()["isActive"] is False
    assert "calendarIds" not in updated.json()  # CalendarResourceResponseDTO has none
    assert cal.get(f"{ROOMS}/{rid}").json()["description"] == "Big room", "partial update"

    gone = cal.delete(f"{ROOMS}/{rid}")
    assert gone.status_code == 200 and gone.json() == {"success": True}
    assert cal.get(f"{ROOMS}/{rid}").status_code == 404


def test_list_is_a_bare_array_per_type_paged_by_limit_and_skip(cal: httpx.Client) -> None:
    for i in range(5):
        assert cal.post(ROOMS, json=room(name=f"R{i}")).status_code == 201
    assert cal.post(EQUIPMENTS, json=room(name="Chair")).status_code == 201
    page = cal.get(ROOMS, params={"locationId": LOC, "limit": 2, "skip": 3})
    assert page.status_code == 200
    assert [r["name"] for r in page.json()] == ["R3", "R4"]
    equipments = cal.get(EQUIPMENTS, params={"locationId": LOC, "limit": 10, "skip": 0}).json()
    assert [(r["name"], r["resourceType"]) for r in equipments] == [("Chair", "equipments")]


def test_the_create_body_is_validated_against_the_spec(sb: Sandbox, token: str) -> None:
    with httpx.Client(
        transport=sb.transport(),
        base_url="https://services.leadconnectorhq.com",
        headers={"Authorization": f"Bearer {token}", "Version": VERSION},
    ) as raw:
        missing = room()
        del missing["capacity"]
        assert raw.post(ROOMS, json=missing).status_code in (400, 422)
        assert raw.post(ROOMS, json=room(quantity="two")).status_code in (400, 422)
        assert raw.post("/calendars/resources/desks", json=room()).status_code in (400, 422)
        wrong_version = raw.post(ROOMS, json=room(), headers={"Version": "2021-07-28"})
        assert wrong_version.status_code in (400, 422)
        params = {"locationId": LOC}
        assert raw.get(ROOMS, params=params).status_code in (400, 422), "limit, skip required"


def test_calendars_must_exist_and_an_equipment_takes_one(cal: httpx.Client) -> None:
    bad = cal.post(ROOMS, json=room(calendarIds=["NoSuchCalendar000000"]))
    assert bad.status_code == 400
    one, two = calendar(cal, "A"), calendar(cal, "B")
    assert cal.post(ROOMS, json=room(calendarIds=[one, two])).status_code == 201
    assert cal.post(EQUIPMENTS, json=room(calendarIds=[one, two])).status_code == 400
