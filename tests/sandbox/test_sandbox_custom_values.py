"""Custom values (apps/locations.json): CRUD, merge-tag fieldKey, validation; spec-checked."""

from __future__ import annotations

import httpx

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC

VALUES = f"/locations/{LOC}/customValues"


def create(client: httpx.Client, name: str, value: str) -> dict[str, str]:
    response = client.post(VALUES, json={"name": name, "value": value})
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()["customValue"]
    return created


def test_create_returns_201_and_merge_tag_key(client: httpx.Client) -> None:
    value = create(client, "Company Phone", "+1 555 0100")
    assert value == {
        "id": value["id"],
        "name": "Company Phone",
        "fieldKey": "{{ custom_values.company_phone }}",
        "value": "+1 555 0100",
        "locationId": LOC,
    }


def test_colliding_keys_get_suffixes(client: httpx.Client) -> None:
    keys = [create(client, name, "v")["fieldKey"] for name in ("Brand", "brand", "BRAND!")]
    assert keys == [
        "{{ custom_values.brand }}",
        "{{ custom_values.brand_1 }}",
        "{{ custom_values.brand_2 }}",
    ]


def test_list_get_update_delete(client: httpx.Client, sb: Sandbox) -> None:
    first = create(client, "First", "1")
    second = create(client, "Second", "2")
    assert client.get(VALUES).json() == {"customValues": [first, second]}
    got = client.get(f"{VALUES}/{first['id']}")
    assert got.status_code == 200
    assert got.json() == {"customValue": first}

    updated = client.put(f"{VALUES}/{first['id']}", json={"name": "Renamed", "value": "9"})
    assert updated.status_code == 200
    assert updated.json() == {"customValue": {**first, "name": "Renamed", "value": "9"}}
    assert updated.json()["customValue"]["fieldKey"] == "{{ custom_values.first }}"

    deleted = client.delete(f"{VALUES}/{second['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"succeded": True}
    assert sb.objects(LOC, "customValues") == [{**first, "name": "Renamed", "value": "9"}]


def test_unknown_id_is_404(client: httpx.Client) -> None:
    response = client.get(f"{VALUES}/nosuchvalue000000000")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Custom value not found"}
    assert client.put(f"{VALUES}/nosuch", json={"name": "a", "value": "b"}).status_code == 404
    assert client.delete(f"{VALUES}/nosuch").status_code == 404


def test_create_and_update_require_name_and_value(client: httpx.Client) -> None:
    response = client.post(VALUES, json={"name": "x"})
    assert response.status_code == 422
    assert response.json()["message"] == ["value should not be empty", "value must be a string"]
    value = create(client, "x", "y")
    response = client.put(f"{VALUES}/{value['id']}", json={"value": "z"})
    assert response.status_code == 422
    assert response.json()["message"] == ["name should not be empty", "name must be a string"]
    response = client.put(f"{VALUES}/{value['id']}", json={"name": "x", "value": 3, "id": "q"})
    assert response.json()["message"] == ["property id should not exist", "value must be a string"]
    assert client.get(f"{VALUES}/{value['id']}").json() == {"customValue": value}
