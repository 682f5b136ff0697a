"""Trigger links (apps/links.json): create, list, get, search, PUT, delete, seeding, errors.

Successful answers are spec-checked by the ``client`` fixture (every one of them must match the
operation's documented response schema and carry no undocumented field).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client

LINKS = "/links/"
FIRESTORE_ID = re.compile(r"[A-Za-z0-9]{20}")


def create(client: httpx.Client, name: str = "Spring offer", **extra: Any) -> dict[str, Any]:
    body = {"locationId": LOC, "name": name, "redirectTo": "https://acme.example/spring", **extra}
    response = client.post(LINKS, json=body)
    assert response.status_code == 201, response.text  # the spec documents 201
    link: dict[str, Any] = response.json()["link"]
    return link


def test_create_answers_201_with_link_wrapper_and_merge_field(client: httpx.Client) -> None:
    link = create(client)
    assert FIRESTORE_ID.fullmatch(link["id"])
    assert link == {
        "id": link["id"],
        "name": "Spring offer",
        "redirectTo": "https://acme.example/spring",
        "fieldKey": f"{{{{trigger_link.{link['id']}}}}}",
        "locationId": LOC,
    }


def test_list_answers_every_link_of_the_location(client: httpx.Client) -> None:
    assert client.get(LINKS, params={"locationId": LOC}).json() == {"links": []}
    made = [create(client, name) for name in ("b", "a", "b")]  # names need not be unique
    response = client.get(LINKS, params={"locationId": LOC})
    assert response.status_code == 200
    assert response.json() == {"links": made}


def test_get_by_id(client: httpx.Client) -> None:
    link = create(client)
    response = client.get(f"/links/id/{link['id']}", params={"locationId": LOC})
    assert response.status_code == 200
    assert response.json() == {"link": link}


def test_search_by_name_with_skip_and_limit(sb: Sandbox, token: str) -> None:
    with make_client(sb.transport(), token=token, version="2021-04-15") as search:
        with make_client(sb.transport(), token=token) as client:
            made = [create(client, f"Offer {i}") for i in range(25)]
            create(client, "Other")
        found = search.get("/links/search", params={"locationId": LOC, "query": "OFFER"})
        assert found.status_code == 200
        assert found.json()["links"] == made[:20]  # the spec's default limit
        page = search.get(
            "/links/search", params={"locationId": LOC, "query": "offer", "skip": 20, "limit": 10}
        )
        assert page.json()["links"] == made[20:]


def test_put_replaces_name_and_redirect_keeping_id(client: httpx.Client, sb: Sandbox) -> None:
    link = create(client)
    response = client.put(
        f"/links/{link['id']}", json={"name": "Summer offer", "redirectTo": "https://a.example/s"}
    )
    assert response.status_code == 201
    updated = {**link, "name": "Summer offer", "redirectTo": "https://a.example/s"}
    assert response.json() == {"link": updated}
    assert sb.objects(LOC, "triggerLinks") == [updated]


def test_put_requires_both_fields_and_refuses_others(sb: Sandbox, token: str) -> None:
    with make_client(sb.transport(), token=token) as client:
        link = create(client)
    raw = httpx.Client(
        transport=sb.transport(),
        base_url="https://services.leadconnectorhq.com",
        headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
    )
    with raw:
        missing = raw.put(f"/links/{link['id']}", json={"name": "x"})
        assert missing.status_code == 422
        assert "redirectTo should not be empty" in missing.json()["message"]
        extra = raw.put(
            f"/links/{link['id']}", json={"name": "x", "redirectTo": "y", "locationId": LOC}
        )
        assert extra.status_code == 422
        assert extra.json()["message"] == ["property locationId should not exist"]


def test_delete_answers_201_succeded(client: httpx.Client, sb: Sandbox) -> None:
    keep, gone = create(client, "keep"), create(client, "gone")
    response = client.delete(f"/links/{gone['id']}")
    assert response.status_code == 201
    assert response.json() == {"succeded": True}
    assert sb.objects(LOC, "triggerLinks") == [keep]


def test_unknown_and_foreign_ids_are_404(sb: Sandbox, client: httpx.Client) -> None:
    other = sb.provision_location(OTHER_LOC, name="Other")
    with make_client(sb.transport(), token=other) as foreign:
        theirs = foreign.post(
            LINKS, json={"locationId": OTHER_LOC, "name": "x", "redirectTo": "https://x.example"}
        ).json()["link"]
    for link_id in ("nope0000000000000000", theirs["id"]):
        assert client.delete(f"/links/{link_id}").status_code == 404
        put = client.put(f"/links/{link_id}", json={"name": "x", "redirectTo": "y"})
        assert put.status_code == 404
        assert put.json() == {"statusCode": 404, "message": "Link not found"}
    assert [link["id"] for link in sb.objects(OTHER_LOC, "triggerLinks")] == [theirs["id"]]


def test_create_in_a_foreign_location_is_403(sb: Sandbox, client: httpx.Client) -> None:
    sb.provision_location(OTHER_LOC, name="Other")
    response = client.post(
        LINKS, json={"locationId": OTHER_LOC, "name": "x", "redirectTo": "https://x.example"}
    )
    assert response.status_code == 403
    assert sb.objects(OTHER_LOC, "triggerLinks") == []


def test_seeded_links_are_listed(sb: Sandbox, client: httpx.Client) -> None:
    sb.seed(
        {
            "locations": {
                LOC: {"triggerLinks": [{"name": "From UI", "redirectTo": "https://ui.example"}]}
            }
        }
    )
    [link] = client.get(LINKS, params={"locationId": LOC}).json()["links"]
    assert (link["name"], link["redirectTo"]) == ("From UI", "https://ui.example")
    assert link["fieldKey"] == f"{{{{trigger_link.{link['id']}}}}}"
