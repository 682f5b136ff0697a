"""Funnel redirects (apps/funnels.json): create, paginated list, PATCH, delete, seeding.

Successful answers are spec-checked by the ``client`` fixture. The spec documents 422 for these
operations without a body schema (or, for create, as ``UnprocessableDTO``); error answers are
checked against ``UnprocessableDTO`` here with a client that does not spec-check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client
from tests.helpers.spec_check import BASE_URI, registry

CREATE = "/funnels/lookup/redirect"
LIST = "/funnels/lookup/redirect/list"
FIRESTORE_ID = re.compile(r"[A-Za-z0-9]{20}")
UNPROCESSABLE = {
    "$ref": f"{BASE_URI}common/common-schemas.json#/components/schemas/UnprocessableDTO"
}


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "locationId": LOC,
        "domain": "www.acme-dental.com",
        "path": "/Old-Offer",
        "target": "https://www.acme-dental.com/offer",
        "action": "url",
        **overrides,
    }


def create(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = client.post(CREATE, json=body(**overrides))
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


def listing(client: httpx.Client, limit: int = 100, offset: int = 0, **extra: str) -> Any:
    response = client.get(
        LIST, params={"locationId": LOC, "limit": limit, "offset": offset, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def raw(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    """A client whose answers are not spec-checked (for documented-but-schemaless errors)."""
    with httpx.Client(
        transport=sb.transport(),
        base_url="https://services.leadconnectorhq.com",
        headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
    ) as c:
        yield c


def assert_unprocessable(response: httpx.Response, messages: list[str]) -> None:
    assert response.status_code == 422, response.text
    errors = list(
        Draft202012Validator(UNPROCESSABLE, registry=registry()).iter_errors(response.json())
    )
    assert not errors, errors[0].message
    assert response.json()["message"] == messages


def test_create_answers_200_with_data_wrapper(client: httpx.Client) -> None:
    redirect = create(client)
    assert FIRESTORE_ID.fullmatch(redirect["id"])
    assert redirect == {
        "id": redirect["id"],
        "locationId": LOC,
        "domain": "www.acme-dental.com",
        "path": "/Old-Offer",
        "pathLowercase": "/old-offer",
        "type": "Permanent",
        "target": "https://www.acme-dental.com/offer",
        "action": "url",
    }


def test_list_is_nested_and_counts_every_match(client: httpx.Client) -> None:
    assert listing(client) == {"data": {"count": 0, "data": []}}
    made = [create(client, path=f"/p{i}") for i in range(5)]
    assert listing(client) == {"data": {"count": 5, "data": made}}


def test_list_pages_with_limit_and_offset(client: httpx.Client) -> None:
    made = [create(client, path=f"/p{i}") for i in range(7)]
    pages = [listing(client, limit=3, offset=offset)["data"] for offset in (0, 3, 6, 9)]
    assert [p["count"] for p in pages] == [7, 7, 7, 7]
    assert [[r["id"] for r in p["data"]] for p in pages] == [
        [r["id"] for r in made[0:3]],
        [r["id"] for r in made[3:6]],
        [made[6]["id"]],
        [],
    ]


def test_search_matches_domain_and_path_ignoring_case(client: httpx.Client) -> None:
    create(client, path="/Test-Page")
    create(client, domain="example.com", path="/test")
    create(client, domain="example.com", path="/other")
    found = listing(client, search="EXAMPLE.com/TEST")["data"]
    assert found["count"] == 1
    assert [(r["domain"], r["path"]) for r in found["data"]] == [("example.com", "/test")]
    assert listing(client, search="test")["data"]["count"] == 2


def test_limit_and_offset_are_required_and_bounded(raw: httpx.Client) -> None:
    response = raw.get(LIST, params={"locationId": LOC})
    assert_unprocessable(response, ["limit should not be empty", "offset should not be empty"])
    response = raw.get(LIST, params={"locationId": LOC, "limit": "x", "offset": 0})
    assert response.status_code == 422
    assert_unprocessable(
        raw.get(LIST, params={"locationId": LOC, "limit": 0, "offset": 0}),
        ["limit must not be less than 1"],
    )
    assert_unprocessable(
        raw.get(LIST, params={"locationId": LOC, "limit": 10, "offset": -1}),
        ["offset must not be less than 0"],
    )
    assert_unprocessable(
        raw.get(LIST, params={"locationId": LOC, "limit": 2.5, "offset": 0}),
        ["limit must be an integer number"],
    )


def test_patch_changes_only_target_and_action(client: httpx.Client, sb: Sandbox) -> None:
    redirect = create(client)
    response = client.patch(
        f"{CREATE}/{redirect['id']}",
        json={
            "target": "https://www.acme-dental.com/funnel",
            "action": "funnel",
            "locationId": LOC,
        },
    )
    assert response.status_code == 200
    updated = {**redirect, "target": "https://www.acme-dental.com/funnel", "action": "funnel"}
    assert response.json() == {"data": updated}
    assert sb.objects(LOC, "redirects") == [updated]


def test_patch_refuses_domain_and_path(raw: httpx.Client) -> None:
    created = raw.post(CREATE, json=body()).json()["data"]
    response = raw.patch(
        f"{CREATE}/{created['id']}",
        json={"target": "https://x.test", "action": "url", "locationId": LOC, "path": "/new"},
    )
    assert_unprocessable(response, ["property path should not exist"])
    response = raw.patch(
        f"{CREATE}/{created['id']}", json={"target": "https://x.test", "locationId": LOC}
    )
    assert response.status_code == 422
    assert "action should not be empty" in response.json()["message"]


def test_delete_answers_status_ok(client: httpx.Client, sb: Sandbox) -> None:
    keep = create(client, path="/keep")
    gone = create(client, path="/gone")
    response = client.delete(f"{CREATE}/{gone['id']}", params={"locationId": LOC})
    assert response.status_code == 200
    assert response.json() == {"data": {"status": "ok"}}
    assert sb.objects(LOC, "redirects") == [keep]


def test_delete_requires_location_id(raw: httpx.Client) -> None:
    created = raw.post(CREATE, json=body()).json()["data"]
    assert_unprocessable(
        raw.delete(f"{CREATE}/{created['id']}"), ["locationId should not be empty"]
    )


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    response = client.delete(f"{CREATE}/nosuchredirect000000", params={"locationId": LOC})
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Redirect not found"}
    response = client.patch(
        f"{CREATE}/nosuchredirect000000",
        json={"target": "https://x.test", "action": "url", "locationId": LOC},
    )
    assert response.status_code == 404


def test_same_domain_and_path_in_any_case_is_refused(raw: httpx.Client, sb: Sandbox) -> None:
    assert raw.post(CREATE, json=body()).status_code == 200
    response = raw.post(CREATE, json=body(domain="WWW.Acme-Dental.com", path="/old-offer"))
    assert_unprocessable(response, ["A redirect for WWW.Acme-Dental.com/old-offer already exists"])
    assert len(sb.objects(LOC, "redirects")) == 1
    assert raw.post(CREATE, json=body(domain="acme-dental.com")).status_code == 200


def test_action_enum_is_lower_case(raw: httpx.Client) -> None:
    response = raw.post(CREATE, json=body(action="URL"))
    assert response.status_code == 422
    assert response.json()["message"] == [
        "action must be one of the following values: funnel, website, url, all"
    ]
    response = raw.post(CREATE, json={"locationId": LOC, "domain": "a.test"})
    assert response.status_code == 422
    assert "path should not be empty" in response.json()["message"]


def test_other_locations_are_forbidden_and_invisible(sb: Sandbox, client: httpx.Client) -> None:
    other_token = sb.provision_location(OTHER_LOC)
    mine = create(client)
    with make_client(sb.transport(), token=other_token) as other:
        theirs = other.post(CREATE, json=body(locationId=OTHER_LOC)).json()["data"]
        assert (
            other.get(LIST, params={"locationId": LOC, "limit": 10, "offset": 0}).status_code == 403
        )
        assert other.post(CREATE, json=body(path="/x")).status_code == 403
        response = other.patch(
            f"{CREATE}/{mine['id']}",
            json={"target": "https://x.test", "action": "url", "locationId": OTHER_LOC},
        )
        assert response.status_code == 404
        assert (
            other.delete(f"{CREATE}/{mine['id']}", params={"locationId": OTHER_LOC}).status_code
            == 404
        )
    assert listing(client)["data"]["data"] == [mine]
    assert sb.objects(OTHER_LOC, "redirects") == [theirs]


def test_version_header_is_required(raw: httpx.Client) -> None:
    # funnels.json documents no 400; the answer has the common BadRequestDTO shape.
    response = raw.get(
        LIST, params={"locationId": LOC, "limit": 1, "offset": 0}, headers={"Version": ""}
    )
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "message": "Version header was not found"}


def test_seeded_redirects_look_like_created_ones(sb: Sandbox, client: httpx.Client) -> None:
    created = sb.seed(
        {
            "locations": {
                LOC: {
                    "redirects": [
                        {"domain": "www.acme.test", "path": "/A", "target": "https://t.test/a"},
                        {
                            "domain": "www.acme.test",
                            "path": "/b",
                            "target": "f1",
                            "action": "funnel",
                        },
                    ]
                }
            }
        }
    )
    ids = created[f"{LOC}/redirects"]
    assert all(FIRESTORE_ID.fullmatch(i) for i in ids)
    found = listing(client)["data"]
    assert found["count"] == 2
    assert found["data"][0] == {
        "id": ids[0],
        "locationId": LOC,
        "domain": "www.acme.test",
        "path": "/A",
        "pathLowercase": "/a",
        "type": "Permanent",
        "target": "https://t.test/a",
        "action": "url",
    }
    assert found["data"][1]["action"] == "funnel"
    with pytest.raises(ValueError, match="already exists"):
        sb.seed(
            {
                "locations": {
                    LOC: {"redirects": [{"domain": "WWW.acme.test", "path": "/a", "target": "x"}]}
                }
            }
        )
