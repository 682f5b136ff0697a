"""Users (apps/users.json, Version 2021-07-28): read-only routes and the seeder; spec-checked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, OTHER_LOC

ANA = "ocQHyuzHvysMo5N5VsXc"


def seed(sb: Sandbox, *users: dict[str, Any], location: str = LOC) -> list[str]:
    return sb.seed({"locations": {location: {"users": list(users)}}})[f"{location}/users"]


def test_seeded_user_has_the_schema_shape(sb: Sandbox, client: httpx.Client) -> None:
    (user_id,) = seed(
        sb, {"id": ANA, "email": "ana@clinic.com", "firstName": "Ana", "lastName": "Lima"}
    )
    assert user_id == ANA
    response = client.get("/users/", params={"locationId": LOC})
    assert response.status_code == 200
    assert response.json() == {
        "users": [
            {
                "id": ANA,
                "name": "Ana Lima",
                "firstName": "Ana",
                "lastName": "Lima",
                "email": "ana@clinic.com",
                "phone": "",
                "extension": "",
                "roles": {
                    "type": "account",
                    "role": "user",
                    "locationIds": [LOC],
                    "restrictSubAccount": False,
                },
                "deleted": False,
            }
        ]
    }
    assert sb.objects(LOC, "users")[0]["email"] == "ana@clinic.com"


def test_seeded_ids_are_firestore_ids(sb: Sandbox) -> None:
    (user_id,) = seed(sb, {"email": "x@y.z"})
    assert len(user_id) == 20 and user_id.isalnum()


def test_list_is_per_location_and_hides_deleted(sb: Sandbox, client: httpx.Client) -> None:
    seed(sb, {"email": "a@x.com"}, {"email": "gone@x.com", "deleted": True})
    seed(sb, {"email": "b@x.com"}, location=OTHER_LOC)
    emails = [u["email"] for u in client.get("/users/", params={"locationId": LOC}).json()["users"]]
    assert emails == ["a@x.com"]
    assert client.get("/users/", params={"locationId": OTHER_LOC}).status_code == 403


def test_list_requires_location_id(sb: Sandbox, token: str) -> None:
    # The spec documents 400/401 only for GET /users/: validation answers 400 with the message
    # list (not the spec's string message), checked by hand.
    with httpx.Client(
        transport=sb.transport(),
        base_url="https://services.leadconnectorhq.com",
        headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
    ) as raw:
        response = raw.get("/users/")
    assert response.status_code == 400
    assert response.json()["message"] == ["locationId should not be empty"]


def test_search_pages_filters_and_counts(sb: Sandbox, client: httpx.Client) -> None:
    seed(sb, *({"email": f"u{i:02}@x.com", "firstName": f"U{i:02}"} for i in range(30)))
    first = client.get("/users/search", params={"companyId": "c1", "locationId": LOC})
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 30 and len(body["users"]) == 25  # default limit "25"
    assert body["users"][0]["firstName"] == "U00"
    rest = client.get("/users/search", params={"companyId": "c1", "skip": "25", "limit": "10"})
    assert [u["firstName"] for u in rest.json()["users"]] == [f"U{i}" for i in range(25, 30)]
    found = client.get("/users/search", params={"companyId": "c1", "query": "U07@X"})
    assert [u["email"] for u in found.json()["users"]] == ["u07@x.com"]
    assert found.json()["count"] == 1
    desc = client.get(
        "/users/search", params={"companyId": "c1", "limit": "2", "sortDirection": "desc"}
    )
    assert [u["firstName"] for u in desc.json()["users"]] == ["U29", "U28"]


def test_search_by_ids_and_role(sb: Sandbox, client: httpx.Client) -> None:
    a, b = seed(sb, {"email": "a@x.com", "role": "admin"}, {"email": "b@x.com"})
    by_ids = client.get("/users/search", params={"companyId": "c", "ids": f"{b},nosuch"})
    assert [u["id"] for u in by_ids.json()["users"]] == [b]
    admins = client.get("/users/search", params={"companyId": "c", "role": "admin"})
    assert [u["id"] for u in admins.json()["users"]] == [a]


def test_get_user_is_the_bare_object(sb: Sandbox, client: httpx.Client) -> None:
    (user_id,) = seed(sb, {"email": "ana@clinic.com", "name": "Dr Ana", "phone": "+1 555"})
    response = client.get(f"/users/{user_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user_id and body["name"] == "Dr Ana" and body["phone"] == "+1 555"
    assert "deleted" not in body
    missing = client.get("/users/nosuchuser0000000000")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "message": "User not found"}


def test_user_of_another_location_is_404(sb: Sandbox, client: httpx.Client) -> None:
    (other,) = seed(sb, {"email": "b@x.com"}, location=OTHER_LOC)
    assert client.get(f"/users/{other}").status_code == 404


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ([{"firstName": "NoEmail"}], "needs an email"),
        ([{"email": "a@x.com"}, {"email": "A@X.com"}], "already has a user with email"),
        ([{"id": ANA, "email": "a@x.com"}, {"id": ANA, "email": "b@x.com"}], "already taken"),
    ],
)
def test_seeder_refuses_bad_users(sb: Sandbox, users: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seed(sb, *users)
    assert sb.objects(LOC, "users") == []


def test_users_cannot_be_created_through_the_api(client: httpx.Client) -> None:
    response = client.post("/users/", json={"email": "x@y.z"})
    assert response.status_code == 404
    assert "not emulated" in response.json()["message"]
