"""Associations between objects (apps/associations.json); every answer is checked against the
spec's response schemas (its list typed as one association is checked as a list of them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, make_client

COMPANY = "PetCareAgencyCompany"


@pytest.fixture
def loc(sb: Sandbox) -> Iterator[httpx.Client]:
    token = sb.provision_location(LOC, name="Main", company_id=COMPANY)
    with make_client(sb.transport(), token=token) as c:
        yield c


def pet_owner(**extra: Any) -> dict[str, Any]:
    return {
        "locationId": LOC,
        "key": "pet_owner",
        "firstObjectKey": "custom_objects.pets",
        "firstObjectLabel": "Pet",
        "secondObjectKey": "contact",
        "secondObjectLabel": "Owner",
        **extra,
    }


def listed(loc: httpx.Client, skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    answer = loc.get("/associations/", params={"locationId": LOC, "skip": skip, "limit": limit})
    assert answer.status_code == 200, answer.text
    body: list[dict[str, Any]] = answer.json()
    return body


def test_create_update_delete(sb: Sandbox, loc: httpx.Client) -> None:
    assert loc.post("/associations/", json=pet_owner()).status_code == 400, "no such object"
    sb.seed({"locations": {LOC: {"customObjects": [{"key": "custom_objects.pets"}]}}})
    made = loc.post("/associations/", json=pet_owner())
    assert made.status_code == 201, made.text
    body = made.json()
    assert len(body["id"]) == 20 and body["id"].isalnum()
    assert (body["key"], body["associationType"], body["firstObjectLabel"]) == (
        "pet_owner",
        "USER_DEFINED",
        "Pet",
    )
    assert loc.post("/associations/", json=pet_owner()).status_code == 400, "a key twice"
    path = f"/associations/{body['id']}"
    missing = loc.put(path, json={"firstObjectLabel": "Animal"})
    assert missing.status_code == 422, "both labels are required"
    updated = loc.put(path, json={"firstObjectLabel": "Animal", "secondObjectLabel": "Owner"})
    assert updated.status_code == 200 and updated.json()["firstObjectLabel"] == "Animal"
    assert loc.get(path).json()["firstObjectLabel"] == "Animal"
    by_key = loc.get("/associations/key/pet_owner", params={"locationId": LOC})
    assert by_key.status_code == 200 and by_key.json()["id"] == body["id"]
    by_object = loc.get("/associations/objectKey/custom_objects.pets", params={"locationId": LOC})
    assert [a["key"] for a in by_object.json()] == ["pet_owner"]
    gone = loc.delete(path)
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert loc.get(path).status_code == 404


def test_the_list_is_an_array_paged_by_skip_and_limit_with_the_system_association(
    loc: httpx.Client,
) -> None:
    for i in range(3):
        made = loc.post(
            "/associations/",
            json=pet_owner(key=f"k{i}", firstObjectKey="contact", firstObjectLabel="Friend"),
        )
        assert made.status_code == 201, made.text
    everything = listed(loc)
    assert [(a["key"], a["associationType"]) for a in everything] == [
        ("contact_business", "SYSTEM_DEFINED"),
        ("k0", "USER_DEFINED"),
        ("k1", "USER_DEFINED"),
        ("k2", "USER_DEFINED"),
    ]
    assert [a["key"] for a in listed(loc, skip=1, limit=2)] == ["k0", "k1"]
    missing = loc.get("/associations/", params={"locationId": LOC})
    assert missing.status_code == 422, "skip and limit are required"
    system = everything[0]["id"]
    assert loc.delete(f"/associations/{system}").status_code == 400
    put = loc.put(
        f"/associations/{system}", json={"firstObjectLabel": "a", "secondObjectLabel": "b"}
    )
    assert put.status_code == 400
