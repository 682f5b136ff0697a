"""Custom objects (apps/objects.json) and their fields and folders (apps/custom-fields.json);
every answer is checked against the spec's response schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, make_client

COMPANY = "PetCareAgencyCompany"
PETS = "custom_objects.pets"


@pytest.fixture
def loc_token(sb: Sandbox) -> str:
    return sb.provision_location(LOC, name="Main", company_id=COMPANY)


@pytest.fixture
def loc(sb: Sandbox, loc_token: str) -> Iterator[httpx.Client]:
    with make_client(sb.transport(), token=loc_token) as c:
        yield c


@pytest.fixture
def agency(sb: Sandbox, loc_token: str) -> Iterator[httpx.Client]:
    with make_client(sb.transport(), token=sb.provision_agency(COMPANY)) as c:
        yield c


def new_object(**extra: Any) -> dict[str, Any]:
    return {
        "locationId": LOC,
        "key": PETS,
        "labels": {"singular": "Pet", "plural": "Pets"},
        "primaryDisplayPropertyDetails": {"key": "name", "name": "Pet name", "dataType": "TEXT"},
        **extra,
    }


def first_folder(loc: httpx.Client, key: str = PETS) -> str:
    answer = loc.get(f"/custom-fields/object-key/{key}", params={"locationId": LOC})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["folders"][0]["id"])


def test_create_needs_the_agency_token_and_makes_the_primary_field(
    loc: httpx.Client, agency: httpx.Client
) -> None:
    refused = loc.post("/objects/", json=new_object())
    assert refused.status_code == 401 and refused.json()["message"] == "Token's user type mismatch!"
    made = agency.post("/objects/", json=new_object(description="Our pets"))
    assert made.status_code == 201, made.text
    obj = made.json()["object"]
    assert len(obj["id"]) == 24 and int(obj["id"], 16) >= 0
    assert (obj["key"], obj["standard"], obj["primaryDisplayProperty"]) == (
        PETS,
        False,
        "custom_objects.pets.name",
    )
    assert agency.post("/objects/", json=new_object()).status_code == 400, "a key twice"
    listed = loc.get("/objects/", params={"locationId": LOC}).json()["objects"]
    assert [(o["key"], o["standard"]) for o in listed] == [
        ("contact", True),
        ("opportunity", True),
        ("business", True),
        (PETS, False),
    ]
    got = loc.get(f"/objects/{PETS}", params={"locationId": LOC, "fetchProperties": "true"})
    assert got.status_code == 200 and got.json()["cache"] is False
    assert [f["fieldKey"] for f in got.json()["fields"]] == ["custom_objects.pets.name"]


def test_update_object_labels_and_searchable_properties(
    loc: httpx.Client, agency: httpx.Client
) -> None:
    agency.post("/objects/", json=new_object())
    missing = loc.put(f"/objects/{PETS}", json={"locationId": LOC})
    assert missing.status_code == 422, "searchableProperties is required"
    updated = loc.put(
        f"/objects/{PETS}",
        json={
            "locationId": LOC,
            "labels": {"plural": "Animals"},
            "searchableProperties": ["custom_objects.pets.name"],
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["object"]["labels"] == {"singular": "Pet", "plural": "Animals"}
    assert "searchableProperties" not in updated.json()["object"]
    assert loc.delete(f"/objects/{PETS}").status_code != 200, "objects have no delete"


def test_fields_folders_and_options(loc: httpx.Client, agency: httpx.Client) -> None:
    agency.post("/objects/", json=new_object())
    folder = loc.post(
        "/custom-fields/folder", json={"objectKey": PETS, "name": "Health", "locationId": LOC}
    )
    assert folder.status_code == 201, folder.text
    folder_id = folder.json()["id"]
    body = {
        "locationId": LOC,
        "showInForms": True,
        "dataType": "SINGLE_OPTIONS",
        "fieldKey": "species",
        "objectKey": "custom_object.pets",  # the schema examples' spelling
        "parentId": folder_id,
        "name": "Species",
        "options": [{"key": "dog", "label": "Dog"}],
    }
    made = loc.post("/custom-fields/", json=body)
    assert made.status_code == 201, made.text
    field = made.json()["field"]
    assert (field["fieldKey"], field["objectKey"]) == ("custom_objects.pets.species", PETS)
    assert loc.post("/custom-fields/", json=body).status_code == 400, "a key twice"
    other = {**body, "fieldKey": "custom_objects.cars.x"}
    assert loc.post("/custom-fields/", json=other).status_code == 400, "another object's key"
    no_folder = {**body, "fieldKey": "age", "parentId": "nOsuchF0lder00000000"}
    assert loc.post("/custom-fields/", json=no_folder).status_code == 400

    path = f"/custom-fields/{field['id']}"
    dropped = loc.put(path, json={"locationId": LOC, "showInForms": True, "options": []})
    assert dropped.status_code == 400, "options cannot be removed"
    more = [{"key": "dog", "label": "Doggo"}, {"key": "cat", "label": "Cat"}]
    kept = loc.put(path, json={"locationId": LOC, "showInForms": False, "options": more})
    assert kept.status_code == 200 and kept.json()["field"]["options"] == more
    assert loc.get(path).json()["field"]["showInForms"] is False

    listed = loc.get(f"/custom-fields/object-key/{PETS}", params={"locationId": LOC}).json()
    assert [f["name"] for f in listed["folders"]] == ["General Info", "Health"]
    assert (
        loc.delete(f"/custom-fields/folder/{folder_id}", params={"locationId": LOC}).status_code
        == 400
    )
    gone = loc.delete(path)
    assert gone.status_code == 200 and gone.json() == {
        "succeded": True,
        "id": field["id"],
        "key": "custom_objects.pets.species",
    }
    renamed = loc.put(
        f"/custom-fields/folder/{folder_id}", json={"name": "Care", "locationId": LOC}
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Care"
    deleted = loc.delete(f"/custom-fields/folder/{folder_id}", params={"locationId": LOC})
    assert deleted.status_code == 200 and deleted.json()["succeded"] is True
    assert first_folder(loc) != folder_id


def test_an_unknown_object_is_400(loc: httpx.Client) -> None:
    answer = loc.get("/custom-fields/object-key/custom_objects.nope", params={"locationId": LOC})
    assert answer.status_code == 400
    assert loc.get("/objects/custom_objects.nope", params={"locationId": LOC}).status_code == 404
