"""Tags (apps/locations.json): CRUD, wrappers, status codes; every answer spec-checked."""

from __future__ import annotations

import re

import httpx

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client

TAGS = f"/locations/{LOC}/tags"
FIRESTORE_ID = re.compile(r"[A-Za-z0-9]{20}")


def test_create_returns_200_and_tag_wrapper(client: httpx.Client) -> None:
    response = client.post(TAGS, json={"name": "vip"})
    assert response.status_code == 200  # the spec documents 200, not 201, for create-tag
    tag = response.json()["tag"]
    assert set(tag) == {"name", "locationId", "id"}
    assert tag["name"] == "vip"
    assert tag["locationId"] == LOC
    assert FIRESTORE_ID.fullmatch(tag["id"])


def test_list_returns_tags_in_creation_order(client: httpx.Client) -> None:
    assert client.get(TAGS).json() == {"tags": []}
    ids = [client.post(TAGS, json={"name": n}).json()["tag"]["id"] for n in ("b", "a", "c")]
    response = client.get(TAGS)
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["tags"]] == ids
    assert [t["name"] for t in response.json()["tags"]] == ["b", "a", "c"]


def test_duplicate_names_are_allowed(client: httpx.Client) -> None:
    first = client.post(TAGS, json={"name": "dup"}).json()["tag"]
    second = client.post(TAGS, json={"name": "dup"}).json()["tag"]
    assert first["id"] != second["id"]
    assert [t["name"] for t in client.get(TAGS).json()["tags"]] == ["dup", "dup"]


def test_get_by_id(client: httpx.Client) -> None:
    tag = client.post(TAGS, json={"name": "vip"}).json()["tag"]
    response = client.get(f"{TAGS}/{tag['id']}")
    assert response.status_code == 200
    assert response.json() == {"tag": tag}


def test_update_renames(client: httpx.Client, sb: Sandbox) -> None:
    tag = client.post(TAGS, json={"name": "vip"}).json()["tag"]
    response = client.put(f"{TAGS}/{tag['id']}", json={"name": "VIP customer"})
    assert response.status_code == 200
    assert response.json() == {"tag": {**tag, "name": "VIP customer"}}
    assert sb.objects(LOC, "tags") == [{**tag, "name": "VIP customer"}]


def test_delete_answers_succeded_and_removes(client: httpx.Client, sb: Sandbox) -> None:
    keep = client.post(TAGS, json={"name": "keep"}).json()["tag"]
    gone = client.post(TAGS, json={"name": "gone"}).json()["tag"]
    response = client.delete(f"{TAGS}/{gone['id']}")
    assert response.status_code == 200
    assert response.json() == {"succeded": True}  # sic, as in the spec
    assert client.get(TAGS).json() == {"tags": [keep]}
    assert sb.objects(LOC, "tags") == [keep]


def test_unknown_tag_id_is_404(client: httpx.Client) -> None:
    for method in ("GET", "PUT", "DELETE"):
        body = {"name": "x"} if method == "PUT" else None
        response = client.request(method, f"{TAGS}/nosuchtag0000000000", json=body)
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "message": "Tag not found"}


def test_tag_of_another_location_is_not_visible(sb: Sandbox, client: httpx.Client) -> None:
    other_token = sb.provision_location(OTHER_LOC)
    with make_client(sb.transport(), token=other_token) as other:
        foreign = other.post(f"/locations/{OTHER_LOC}/tags", json={"name": "theirs"}).json()["tag"]
    assert client.get(TAGS).json() == {"tags": []}
    assert client.get(f"{TAGS}/{foreign['id']}").status_code == 404
    assert client.delete(f"{TAGS}/{foreign['id']}").status_code == 404
    assert sb.objects(OTHER_LOC, "tags") == [foreign]


def test_create_validation(client: httpx.Client) -> None:
    response = client.post(TAGS, json={})
    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": ["name should not be empty", "name must be a string"],
        "error": "Unprocessable Entity",
    }
    response = client.post(TAGS, json={"name": 5, "color": "red"})
    assert response.status_code == 422
    assert response.json()["message"] == [
        "property color should not exist",
        "name must be a string",
    ]


def test_update_validation(client: httpx.Client) -> None:
    tag = client.post(TAGS, json={"name": "vip"}).json()["tag"]
    response = client.put(f"{TAGS}/{tag['id']}", json={"name": ""})
    assert response.status_code == 422
    assert response.json()["message"] == ["name should not be empty"]
    assert client.get(f"{TAGS}/{tag['id']}").json()["tag"]["name"] == "vip"
