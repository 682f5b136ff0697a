"""Coupons (apps/payments.json ``/payments/coupon``): create, list (pages, filters), get, PUT,
delete with a JSON body, validation, seeding, errors.

Successful answers are spec-checked by the ``client`` fixture (every one of them must match the
operation's documented response schema and carry no undocumented field).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, OTHER_LOC

COUPON = "/payments/coupon"
HEX24 = re.compile(r"[0-9a-f]{24}")
WHERE = {"altId": LOC, "altType": "location"}
FOREVER = {"type": "forever", "duration": 0, "durationType": "months"}


def body(code: str = "SPRING10", **extra: Any) -> dict[str, Any]:
    return {
        **WHERE,
        "name": "Spring",
        "code": code,
        "discountType": "percentage",
        "discountValue": 10,
        "startDate": "2026-03-01T00:00:00Z",
        **extra,
    }


def create(client: httpx.Client, code: str = "SPRING10", **extra: Any) -> dict[str, Any]:
    response = client.post(COUPON, json=body(code, **extra))
    assert response.status_code == 201, response.text  # the spec documents 201
    coupon: dict[str, Any] = response.json()
    return coupon


def listed(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get(f"{COUPON}/list", params={**WHERE, **params})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_create_answers_the_bare_coupon_with_defaults(client: httpx.Client) -> None:
    coupon = create(client, endDate="2999-01-31T23:59:00+01:00", limitPerCustomer=True)
    assert HEX24.fullmatch(coupon["_id"])
    assert coupon["traceId"]
    assert {k: v for k, v in coupon.items() if k not in ("_id", "traceId")} == {
        "usageCount": 0,
        "limitPerCustomer": 1,  # a boolean in the request, a number in the answer
        "altId": LOC,
        "altType": "location",
        "name": "Spring",
        "code": "SPRING10",
        "discountType": "percentage",
        "discountValue": 10,
        "status": "active",
        "startDate": "2026-03-01T00:00:00.000Z",
        "endDate": "2999-01-31T22:59:00.000Z",
        "applyToFuturePayments": True,
        "applyToFuturePaymentsConfig": {"type": "forever"},
        "createdAt": coupon["createdAt"],
        "updatedAt": coupon["createdAt"],
    }


def test_usage_limit_and_products_are_stored_but_never_answered(
    client: httpx.Client, sb: Sandbox
) -> None:
    product = client.post(
        "/products/", json={"locationId": LOC, "name": "Kit", "productType": "PHYSICAL"}
    ).json()
    coupon = create(client, usageLimit=5, productIds=[product["_id"]])
    assert "usageLimit" not in coupon and "productIds" not in coupon
    with sb.store.transaction():
        [stored] = sb.store.list(LOC, "coupons")
    assert (stored.data["usageLimit"], stored.data["productIds"]) == (5, [product["_id"]])
    assert "productIds" not in listed(client)["data"][0]


def test_a_forever_config_needs_its_duration_as_the_schema_says(client: httpx.Client) -> None:
    response = client.post(COUPON, json=body(applyToFuturePaymentsConfig={"type": "forever"}))
    assert response.status_code == 422
    coupon = create(client, applyToFuturePaymentsConfig=FOREVER)
    assert coupon["applyToFuturePaymentsConfig"] == {"type": "forever"}
    fixed = {"type": "fixed", "duration": 3, "durationType": "months"}
    assert create(client, "SUB3", applyToFuturePaymentsConfig=fixed)[
        "applyToFuturePaymentsConfig"
    ] == (fixed)


def test_list_pages_by_limit_and_offset_with_the_total(client: httpx.Client) -> None:
    made = [create(client, f"C{i:03}")["_id"] for i in range(105)]
    first = listed(client)
    assert first["totalCount"] == 105
    assert [c["_id"] for c in first["data"]] == made[:100]  # the spec's default limit
    rest = listed(client, limit=100, offset=100)
    assert [c["_id"] for c in rest["data"]] == made[100:]
    assert listed(client, search="c10")["totalCount"] == 5  # name or code, any case


def test_status_follows_the_dates(client: httpx.Client) -> None:
    create(client, "LATER", startDate="2999-01-01T00:00:00Z")
    create(client, "GONE", startDate="2000-01-01T00:00:00Z", endDate="2000-02-01T00:00:00Z")
    create(client, "NOW", startDate="2000-01-01T00:00:00Z")
    statuses = {c["code"]: c["status"] for c in listed(client)["data"]}
    assert statuses == {"LATER": "scheduled", "GONE": "expired", "NOW": "active"}
    assert [c["code"] for c in listed(client, status="expired")["data"]] == ["GONE"]


def test_get_by_id_or_code(client: httpx.Client) -> None:
    coupon = create(client)
    by_id = client.get(COUPON, params={**WHERE, "id": coupon["_id"], "code": "x"})
    assert by_id.status_code == 200
    assert by_id.json()["_id"] == coupon["_id"]
    by_code = client.get(COUPON, params={**WHERE, "id": "0" * 24, "code": "SPRING10"})
    assert by_code.json()["_id"] == coupon["_id"]
    missing = client.get(COUPON, params={**WHERE, "id": "0" * 24, "code": "NOPE"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "Coupon not found"


def test_put_replaces_the_coupon_keeping_id_and_usage(client: httpx.Client, sb: Sandbox) -> None:
    coupon = create(client, endDate="2999-01-01T00:00:00Z", usageLimit=5)
    response = client.put(
        COUPON,
        json=body("SPRING11", id=coupon["_id"], name="Spring 2", discountType="amount"),
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["_id"], updated["code"], updated["name"]) == (
        coupon["_id"],
        "SPRING11",
        "Spring 2",
    )
    assert "endDate" not in updated  # a full replacement: what the body leaves out is gone
    [stored] = sb.objects(LOC, "coupons")
    assert stored["createdAt"] == coupon["createdAt"]


def test_delete_takes_a_json_body(client: httpx.Client, sb: Sandbox) -> None:
    coupon = create(client)
    response = client.request("DELETE", COUPON, json={**WHERE, "id": coupon["_id"]})
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert sb.objects(LOC, "coupons") == []
    again = client.request("DELETE", COUPON, json={**WHERE, "id": coupon["_id"]})
    assert again.status_code == 404


def test_bad_coupons_are_refused(client: httpx.Client) -> None:
    create(client)
    for bad, message in (
        (body(), "Coupon with code SPRING10 already exists"),
        (body("X", discountValue=120), "between 0 and 100"),
        (body("X", startDate="tomorrow"), "startDate must be a date"),
        (body("X", endDate="2026-01-01T00:00:00Z"), "endDate must be after startDate"),
        (body("X", productIds=["0" * 24]), "Products not found"),
    ):
        response = client.post(COUPON, json=bad)
        assert response.status_code == 422, bad  # the only error the spec documents
        [said] = response.json()["message"]
        assert message in said
    missing = {k: v for k, v in body("X").items() if k != "startDate"}
    assert client.post(COUPON, json=missing).status_code == 422  # required by the schema


def test_another_locations_coupons_are_out_of_reach(client: httpx.Client, sb: Sandbox) -> None:
    sb.provision_location(OTHER_LOC)
    theirs = sb.seed(
        {
            "locations": {
                OTHER_LOC: {
                    "coupons": [
                        {
                            "name": "Theirs",
                            "code": "THEIRS",
                            "discountType": "amount",
                            "discountValue": 5,
                            "startDate": "2026-01-01T00:00:00Z",
                        }
                    ]
                }
            }
        }
    )
    assert theirs
    other = {"altId": OTHER_LOC, "altType": "location"}
    assert client.get(f"{COUPON}/list", params=other).status_code == 403
    [coupon] = sb.objects(OTHER_LOC, "coupons")
    response = client.request("DELETE", COUPON, json={**WHERE, "id": coupon["_id"]})
    assert response.status_code == 404  # not a coupon of this location


def test_seeded_coupons_have_their_usage(sb: Sandbox, client: httpx.Client) -> None:
    sb.seed(
        {
            "locations": {
                LOC: {
                    "coupons": [
                        {
                            "name": "Used",
                            "code": "USED",
                            "discountType": "amount",
                            "discountValue": 5,
                            "startDate": "2026-01-01T00:00:00Z",
                            "usageCount": 4,
                        }
                    ]
                }
            }
        }
    )
    [coupon] = listed(client)["data"]
    assert (coupon["code"], coupon["usageCount"]) == ("USED", 4)
