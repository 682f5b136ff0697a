"""Shipping zones, rates and carriers and the store settings (apps/store.json): CRUD,
envelopes, altId/altType, pagination, the Version header the spec does not declare, and its
quirks (country codes typed as numbers; shippingCarrierId required for flat rates).

Every answer is checked against the spec, with one correction: the spec declares
``ShippingZoneCountryDto.code`` and ``StoreShippingOriginDto.country`` as numbers whose enum is
one nested list of strings, which no value can satisfy; the check reads each as a string of
that enum (``check_store_response``).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import BASE_URL, LOC, OTHER_LOC, VERSION
from tests.helpers.spec_check import (
    BASE_URI,
    check_response,
    documents,
    response_schema_uri,
    undocumented_fields,
)

ZONES = "/store/shipping-zone"
CARRIERS = "/store/shipping-carrier"
OBJECT_ID = re.compile(r"[0-9a-f]{24}")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
WHERE = {"altId": LOC, "altType": "location"}


# -- the spec check, with the country code corrected ----------------------------------------


@functools.cache
def corrected_registry() -> Registry[Any]:
    docs = copy.deepcopy(documents())
    schemas = docs["apps/store.json"]["components"]["schemas"]
    for schema, prop in (("ShippingZoneCountryDto", "code"), ("StoreShippingOriginDto", "country")):
        code = schemas[schema]["properties"][prop]
        [codes] = code["enum"]  # the one nested list
        code.update(type="string", enum=codes)
    return Registry().with_resources(
        (BASE_URI + rel, Resource.from_contents(doc, default_specification=DRAFT202012))
        for rel, doc in docs.items()
    )


def check_store_response(method: str, path: str, status: int, body: Any) -> None:
    uri = response_schema_uri(method, path, status)
    if uri is None:  # undocumented statuses (403, 404): spec_check knows their shapes
        check_response(method, path, status, body)
        return
    validator = Draft202012Validator({"$ref": uri}, registry=corrected_registry())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} -> {status}: {errors[0].message} at {list(errors[0].path)}"
    resolver = corrected_registry().resolver(base_uri=uri)
    extra = undocumented_fields(body, {"$ref": uri}, resolver)
    assert not extra, f"{method} {path} -> {status}: undocumented fields {extra}"


def store_hook(response: httpx.Response) -> None:
    response.read()
    request = response.request
    check_store_response(request.method, request.url.path, response.status_code, response.json())


def store_client(sb: Sandbox, token: str, version: str | None = VERSION) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["Version"] = version
    return httpx.Client(
        transport=sb.transport(),
        base_url=BASE_URL,
        headers=headers,
        event_hooks={"response": [store_hook]},
    )


@pytest.fixture
def shop(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    with store_client(sb, token) as client:
        yield client


def zone_body(name: str = "Domestic", countries: Any = None) -> dict[str, Any]:
    if countries is None:
        countries = [{"code": "US", "states": [{"code": "CA"}, {"code": "NY"}]}, {"code": "CA"}]
    return {**WHERE, "name": name, "countries": countries}


def rate_body(name: str = "Standard", **fields: Any) -> dict[str, Any]:
    body = {
        **WHERE,
        "name": name,
        "currency": "USD",
        "amount": 5,
        "conditionType": "none",
        "minCondition": 0,
        "maxCondition": 0,
        "shippingCarrierId": "",
    }
    return {**body, **fields}


def new_zone(shop: httpx.Client, name: str = "Domestic") -> dict[str, Any]:
    response = shop.post(ZONES, json=zone_body(name))
    assert response.status_code == 201, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def rates_of(zone: dict[str, Any]) -> str:
    return f"{ZONES}/{zone['_id']}/shipping-rate"


# -- the spec's quirks ----------------------------------------------------------------------


def test_the_spec_itself_cannot_describe_a_zone_with_countries() -> None:
    zone = {
        "status": True,
        "message": "Successfully created",
        "data": {
            "_id": "655b33a82209e60b6adb87a5",
            "altId": LOC,
            "altType": "location",
            "name": "Domestic",
            "countries": [{"code": "US"}],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        },
    }
    with pytest.raises(AssertionError, match="is not of type 'number'"):
        check_response("POST", ZONES, 201, zone)
    check_store_response("POST", ZONES, 201, zone)  # as a string of the enum: fine


def test_country_codes_are_strings_of_the_specs_enum(shop: httpx.Client) -> None:
    assert new_zone(shop)["countries"] == [
        {"code": "US", "states": [{"code": "CA"}, {"code": "NY"}]},
        {"code": "CA"},
    ]
    number = shop.post(ZONES, json=zone_body(countries=[{"code": 840}]))
    assert number.status_code == 422
    assert number.json()["message"] == ["countries.0.code must be a string"]
    unknown = shop.post(ZONES, json=zone_body(countries=[{"code": "XX"}]))
    assert unknown.status_code == 422
    assert unknown.json()["message"][0].startswith(
        "countries.0.code must be one of the following values: US, CA, AF"
    )
    state = shop.post(ZONES, json=zone_body(countries=[{"code": "US", "states": [{"code": "Q"}]}]))
    assert state.status_code == 422
    assert state.json()["message"][0].startswith("countries.0.states.0.code must be one of")


@pytest.mark.parametrize("version", [None, VERSION, "2023-02-21", "anything"])
def test_version_header_is_optional_as_the_spec_declares_none(
    sb: Sandbox, token: str, version: str | None
) -> None:
    with store_client(sb, token, version=version) as shop:
        zone = new_zone(shop)
        assert shop.get(ZONES, params=WHERE).json()["data"] == [zone]
        rate = shop.post(rates_of(zone), json=rate_body())
        assert rate.status_code == 201
        assert shop.get(CARRIERS, params=WHERE).status_code == 200


def test_flat_rate_takes_an_empty_shipping_carrier_id(shop: httpx.Client) -> None:
    zone = new_zone(shop)
    response = shop.post(rates_of(zone), json=rate_body())
    assert response.status_code == 201
    rate = response.json()["data"]
    assert rate["shippingCarrierId"] == "" and rate["isCarrierRate"] is False
    missing = {k: v for k, v in rate_body().items() if k != "shippingCarrierId"}
    refused = shop.post(rates_of(zone), json=missing)
    assert refused.status_code == 422
    assert refused.json()["message"] == [
        "shippingCarrierId should not be empty",
        "shippingCarrierId must be a string",
    ]
    null = shop.post(rates_of(zone), json=rate_body(shippingCarrierId=None))
    assert null.status_code == 422


# -- zones ----------------------------------------------------------------------------------


def test_zone_crud_envelopes_and_ids(shop: httpx.Client, sb: Sandbox) -> None:
    created = shop.post(ZONES, json=zone_body())
    assert created.status_code == 201
    body = created.json()
    assert body["status"] is True and body["message"]
    zone = body["data"]
    assert OBJECT_ID.fullmatch(zone["_id"])
    assert zone["altId"] == LOC and zone["altType"] == "location" and zone["name"] == "Domestic"
    assert ISO_TIME.fullmatch(zone["createdAt"]) and ISO_TIME.fullmatch(zone["updatedAt"])

    got = shop.get(f"{ZONES}/{zone['_id']}", params=WHERE)
    assert got.status_code == 200 and got.json()["data"] == zone

    renamed = shop.put(f"{ZONES}/{zone['_id']}", json={**WHERE, "name": "Home"})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["name"] == "Home"
    assert renamed.json()["data"]["countries"] == zone["countries"]  # partial update
    recountried = shop.put(f"{ZONES}/{zone['_id']}", json={"countries": [{"code": "MX"}]})
    assert recountried.status_code == 200  # altId is optional on PUT: the token's location
    assert recountried.json()["data"]["countries"] == [{"code": "MX"}]
    assert sb.objects(LOC, "shippingZones") == [recountried.json()["data"]]

    deleted = shop.delete(f"{ZONES}/{zone['_id']}", params=WHERE)
    assert deleted.status_code == 200
    assert deleted.json() == {"status": True, "message": "Successfully deleted"}
    assert shop.get(f"{ZONES}/{zone['_id']}", params=WHERE).status_code == 404
    assert shop.delete(f"{ZONES}/{zone['_id']}", params=WHERE).status_code == 404
    assert sb.objects(LOC, "shippingZones") == []


def test_zone_list_pages_with_limit_offset_and_total(shop: httpx.Client) -> None:
    names = [f"zone {i}" for i in range(5)]
    for name in names:
        new_zone(shop, name)
    everything = shop.get(ZONES, params=WHERE).json()
    assert everything["total"] == 5 and [z["name"] for z in everything["data"]] == names
    pages = [
        shop.get(ZONES, params={**WHERE, "limit": 2, "offset": offset}).json()
        for offset in (0, 2, 4, 6)
    ]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [[z["name"] for z in p["data"]] for p in pages] == [
        names[0:2],
        names[2:4],
        names[4:],
        [],
    ]
    assert shop.get(ZONES, params={**WHERE, "limit": -1}).status_code == 400
    assert shop.get(ZONES, params={**WHERE, "limit": "many"}).status_code == 422


def test_with_shipping_rate_inlines_each_zones_rates(shop: httpx.Client) -> None:
    home, away = new_zone(shop, "Home"), new_zone(shop, "Away")
    standard = shop.post(rates_of(home), json=rate_body("Standard")).json()["data"]
    assert "shippingRates" not in shop.get(ZONES, params=WHERE).json()["data"][0]
    zones = shop.get(ZONES, params={**WHERE, "withShippingRate": "true"}).json()["data"]
    assert [z["shippingRates"] for z in zones] == [[standard], []]
    one = shop.get(f"{ZONES}/{away['_id']}", params={**WHERE, "withShippingRate": True})
    assert one.json()["data"]["shippingRates"] == []


def test_location_comes_from_alt_id_and_must_be_the_tokens(shop: httpx.Client, sb: Sandbox) -> None:
    sb.provision_location(OTHER_LOC)
    foreign = shop.post(ZONES, json={**zone_body(), "altId": OTHER_LOC})
    assert foreign.status_code == 403
    assert shop.get(ZONES, params={**WHERE, "altId": OTHER_LOC}).status_code == 403
    missing = shop.get(ZONES, params={"altType": "location"})
    assert missing.status_code == 422 and missing.json()["message"] == ["altId should not be empty"]
    agency = shop.get(ZONES, params={**WHERE, "altType": "agency"})
    assert agency.status_code == 422
    assert agency.json()["message"] == ["altType must be one of the following values: location"]
    no_location = shop.post(ZONES, json={"name": "x", "countries": [{"code": "US"}]})
    assert no_location.status_code == 422
    assert sb.objects(LOC, "shippingZones") == [] and sb.objects(OTHER_LOC, "shippingZones") == []


def test_another_locations_zone_is_not_found(shop: httpx.Client, sb: Sandbox) -> None:
    other_token = sb.provision_location(OTHER_LOC)
    with store_client(sb, other_token) as other:
        theirs = other.post(ZONES, json={**zone_body(), "altId": OTHER_LOC}).json()["data"]
    assert shop.get(f"{ZONES}/{theirs['_id']}", params=WHERE).status_code == 404
    assert shop.put(f"{ZONES}/{theirs['_id']}", json={**WHERE, "name": "x"}).status_code == 404
    assert shop.delete(f"{ZONES}/{theirs['_id']}", params=WHERE).status_code == 404
    assert shop.get(ZONES, params=WHERE).json() == {"total": 0, "data": []}


# -- rates ----------------------------------------------------------------------------------


def test_rate_crud_envelopes_and_partial_update(shop: httpx.Client, sb: Sandbox) -> None:
    zone = new_zone(shop)
    created = shop.post(rates_of(zone), json=rate_body(description="2-5 days"))
    assert created.status_code == 201
    rate = created.json()["data"]
    assert OBJECT_ID.fullmatch(rate["_id"]) and rate["shippingZoneId"] == zone["_id"]
    assert rate["description"] == "2-5 days" and rate["amount"] == 5

    got = shop.get(f"{rates_of(zone)}/{rate['_id']}", params=WHERE)
    assert got.status_code == 200 and got.json()["data"] == rate
    updated = shop.put(f"{rates_of(zone)}/{rate['_id']}", json={**WHERE, "amount": 7.5})
    assert updated.status_code == 200
    after = updated.json()["data"]
    assert after["amount"] == 7.5 and after["_id"] == rate["_id"]
    assert {k: v for k, v in after.items() if k not in ("amount", "updatedAt")} == {
        k: v for k, v in rate.items() if k not in ("amount", "updatedAt")
    }
    assert sb.objects(LOC, "shippingRates") == [after]

    deleted = shop.delete(f"{rates_of(zone)}/{rate['_id']}", params=WHERE)
    assert deleted.json() == {"status": True, "message": "Successfully deleted"}
    assert shop.get(f"{rates_of(zone)}/{rate['_id']}", params=WHERE).status_code == 404


def test_null_bounds_are_stored_as_zero(shop: httpx.Client) -> None:
    zone = new_zone(shop)
    body = rate_body(conditionType="price", minCondition=None, maxCondition=None)
    # minCondition/maxCondition are required: null is refused like a missing value ...
    assert shop.post(rates_of(zone), json=body).status_code == 422
    # ... and 0 means "no bound", as the spec says
    rate = shop.post(rates_of(zone), json=rate_body(conditionType="price", minCondition=50))
    assert rate.json()["data"]["minCondition"] == 50 and rate.json()["data"]["maxCondition"] == 0


def test_rate_list_pages_and_belongs_to_its_zone(shop: httpx.Client) -> None:
    home, away = new_zone(shop, "Home"), new_zone(shop, "Away")
    names = [f"rate {i}" for i in range(3)]
    for name in names:
        shop.post(rates_of(home), json=rate_body(name))
    other = shop.post(rates_of(away), json=rate_body("elsewhere")).json()["data"]
    page = shop.get(rates_of(home), params={**WHERE, "limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and [r["name"] for r in page["data"]] == names[1:]
    assert shop.get(rates_of(away), params=WHERE).json() == {"total": 1, "data": [other]}
    # a rate is found only under its own zone
    assert shop.get(f"{rates_of(home)}/{other['_id']}", params=WHERE).status_code == 404


def test_deleting_a_zone_deletes_its_rates(shop: httpx.Client, sb: Sandbox) -> None:
    home, away = new_zone(shop, "Home"), new_zone(shop, "Away")
    shop.post(rates_of(home), json=rate_body("a"))
    kept = shop.post(rates_of(away), json=rate_body("b")).json()["data"]
    assert shop.delete(f"{ZONES}/{home['_id']}", params=WHERE).status_code == 200
    assert sb.objects(LOC, "shippingRates") == [kept]
    assert shop.get(rates_of(home), params=WHERE).status_code == 404


def test_carrier_rates_need_a_carrier_of_the_location(shop: httpx.Client, sb: Sandbox) -> None:
    [carrier_id] = sb.seed({"locations": {LOC: {"shippingCarriers": [{"name": "ShipStation"}]}}})[
        f"{LOC}/shippingCarriers"
    ]
    [foreign_id] = sb.seed({"locations": {OTHER_LOC: {"shippingCarriers": [{"name": "X"}]}}})[
        f"{OTHER_LOC}/shippingCarriers"
    ]
    zone = new_zone(shop)
    no_carrier = shop.post(rates_of(zone), json=rate_body(isCarrierRate=True))
    assert no_carrier.status_code == 400
    assert no_carrier.json()["message"] == "shippingCarrierId is required for a carrier rate"
    foreign = shop.post(rates_of(zone), json=rate_body(shippingCarrierId=foreign_id))
    assert foreign.status_code == 404
    ok = shop.post(
        rates_of(zone),
        json=rate_body(
            "Carrier",
            amount=2,
            isCarrierRate=True,
            shippingCarrierId=carrier_id,
            percentageOfRateFee=10,
            shippingCarrierServices=[{"name": "Ground", "value": "GROUND"}],
        ),
    )
    assert ok.status_code == 201
    rate = ok.json()["data"]
    assert rate["shippingCarrierId"] == carrier_id and rate["isCarrierRate"] is True
    assert rate["shippingCarrierServices"] == [{"name": "Ground", "value": "GROUND"}]
    flat = shop.put(
        f"{rates_of(zone)}/{rate['_id']}",
        json={**WHERE, "isCarrierRate": False, "shippingCarrierId": ""},
    )
    assert flat.status_code == 200 and flat.json()["data"]["shippingCarrierId"] == ""


# -- carriers -------------------------------------------------------------------------------


def test_seeded_carriers_are_listed(shop: httpx.Client, sb: Sandbox) -> None:
    assert shop.get(CARRIERS, params=WHERE).json() == {
        "status": True,
        "message": "Successfully fetched",
        "data": [],
    }
    ids = sb.seed(
        {
            "locations": {
                LOC: {
                    "shippingCarriers": [
                        {"name": "ShipStation", "marketplaceAppId": "655b33a82209e60b6adb87a5"},
                        {"name": "FedEx", "services": [{"name": "Ground", "value": "G"}]},
                    ]
                }
            }
        }
    )[f"{LOC}/shippingCarriers"]
    carriers = shop.get(CARRIERS, params=WHERE).json()["data"]
    assert [c["_id"] for c in carriers] == ids
    assert all(OBJECT_ID.fullmatch(c["_id"]) for c in carriers)
    assert [c["name"] for c in carriers] == ["ShipStation", "FedEx"]
    assert carriers[0]["marketplaceAppId"] == "655b33a82209e60b6adb87a5"
    assert OBJECT_ID.fullmatch(carriers[1]["marketplaceAppId"])
    assert carriers[1]["services"] == [{"name": "Ground", "value": "G"}]
    assert sb.objects(LOC, "shippingCarriers") == carriers


def test_carrier_crud_through_the_api(shop: httpx.Client) -> None:
    body = {**WHERE, "name": "Mine", "callbackUrl": "https://example.com/rates"}
    created = shop.post(CARRIERS, json=body)
    assert created.status_code == 201
    carrier = created.json()["data"]
    assert OBJECT_ID.fullmatch(carrier["_id"]) and carrier["callbackUrl"] == body["callbackUrl"]
    url = f"{CARRIERS}/{carrier['_id']}"
    assert shop.get(url, params=WHERE).json()["data"] == carrier
    renamed = shop.put(url, json={**WHERE, "name": "Ours"}).json()["data"]
    assert renamed["name"] == "Ours" and renamed["callbackUrl"] == carrier["callbackUrl"]
    assert shop.delete(url, params=WHERE).json() == {
        "status": True,
        "message": "Successfully deleted",
    }
    assert shop.get(url, params=WHERE).status_code == 404
    missing = shop.post(CARRIERS, json={**WHERE, "name": "No URL"})
    assert missing.status_code == 422


def test_seeders_store_zones_and_rates(sb: Sandbox) -> None:
    [zone_id] = sb.seed(
        {"locations": {LOC: {"shippingZones": [{"name": "Z", "countries": [{"code": "US"}]}]}}}
    )[f"{LOC}/shippingZones"]
    ids = sb.seed(
        {"locations": {LOC: {"shippingRates": [{"name": "r", "shippingZoneId": zone_id}]}}}
    )[f"{LOC}/shippingRates"]
    [rate] = sb.objects(LOC, "shippingRates")
    assert rate["_id"] == ids[0] and rate["shippingZoneId"] == zone_id
    assert rate["shippingCarrierId"] == "" and rate["amount"] == 0
    check_store_response(
        "GET", f"{ZONES}/{zone_id}/shipping-rate", 200, {"total": 1, "data": [rate]}
    )
    with pytest.raises(ValueError, match="shippingZoneId"):
        sb.seed({"locations": {LOC: {"shippingRates": [{"name": "orphan"}]}}})


# -- store settings -------------------------------------------------------------------------

SETTINGS = "/store/store-setting"
ORIGIN = {
    "name": "Pawsome Pets",
    "country": "US",
    "state": "IL",
    "city": "Springfield",
    "street1": "1 Main St",
    "zip": "62701",
}
NOTIFICATION = {
    "enabled": True,
    "subject": "Order placed",
    "emailTemplateId": "6788d542f0462ffd6bc29bb9",
    "defaultEmailTemplateId": "6788d542f0462ffd6bc29bb0",
}


def test_the_spec_itself_cannot_describe_store_settings_with_a_country() -> None:
    settings = {
        "status": True,
        "data": {
            **WHERE,
            "_id": "655b33a82209e60b6adb87a5",
            "shippingOrigin": ORIGIN,
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        },
    }
    with pytest.raises(AssertionError, match="is not of type 'number'"):
        check_response("GET", SETTINGS, 200, settings)
    check_store_response("GET", SETTINGS, 200, settings)  # as a string of the enum: fine


def test_store_settings_are_created_then_updated_in_place(shop: httpx.Client, sb: Sandbox) -> None:
    missing = shop.get(SETTINGS, params=WHERE)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Store setting not found"
    created = shop.post(SETTINGS, json={**WHERE, "shippingOrigin": ORIGIN})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] is True and body["message"] == "Successfully created"
    data = body["data"]
    assert OBJECT_ID.fullmatch(data["_id"]) and ISO_TIME.fullmatch(data["createdAt"])
    assert data["shippingOrigin"] == ORIGIN and data["altId"] == LOC
    assert shop.get(SETTINGS, params=WHERE).json()["data"] == data

    moved = {**ORIGIN, "city": "Shelbyville"}
    updated = shop.post(
        SETTINGS,
        json={**WHERE, "shippingOrigin": moved, "storeOrderNotification": NOTIFICATION},
    )
    assert updated.status_code == 201 and updated.json()["message"] == "Successfully updated"
    again = updated.json()["data"]
    assert again["_id"] == data["_id"] and again["createdAt"] == data["createdAt"]
    assert again["shippingOrigin"] == moved and again["storeOrderNotification"] == NOTIFICATION
    # a notification not sent is kept; the origin is replaced whole
    kept = shop.post(SETTINGS, json={**WHERE, "shippingOrigin": ORIGIN}).json()["data"]
    assert kept["storeOrderNotification"] == NOTIFICATION and kept["shippingOrigin"] == ORIGIN
    assert len(sb.objects(LOC, "storeSettings")) == 1


def test_store_settings_bodies_are_validated_by_the_spec(shop: httpx.Client) -> None:
    no_origin = shop.post(SETTINGS, json=WHERE)
    assert no_origin.status_code == 422
    assert "shippingOrigin should not be empty" in no_origin.json()["message"]
    partial = shop.post(SETTINGS, json={**WHERE, "shippingOrigin": {"city": "Springfield"}})
    assert partial.status_code == 422
    assert "shippingOrigin.zip should not be empty" in partial.json()["message"]
    number = shop.post(SETTINGS, json={**WHERE, "shippingOrigin": {**ORIGIN, "country": 840}})
    assert number.status_code == 422
    assert number.json()["message"] == ["shippingOrigin.country must be a string"]
    unknown = shop.post(SETTINGS, json={**WHERE, "shippingOrigin": {**ORIGIN, "country": "XX"}})
    assert unknown.status_code == 422
    assert unknown.json()["message"][0].startswith(
        "shippingOrigin.country must be one of the following values: US, CA, AF"
    )
    half = {**WHERE, "shippingOrigin": ORIGIN, "storeOrderNotification": {"enabled": True}}
    refused = shop.post(SETTINGS, json=half)
    assert refused.status_code == 422
    assert "storeOrderNotification.subject should not be empty" in refused.json()["message"]
    extra = shop.post(SETTINGS, json={**WHERE, "shippingOrigin": ORIGIN, "currency": "USD"})
    assert extra.status_code == 422
    assert extra.json()["message"] == ["property currency should not exist"]


def test_store_settings_are_the_tokens_locations_own(shop: httpx.Client, sb: Sandbox) -> None:
    sb.provision_location(OTHER_LOC)
    other = {"altId": OTHER_LOC, "altType": "location"}
    assert shop.get(SETTINGS, params=other).status_code == 403
    assert shop.post(SETTINGS, json={**other, "shippingOrigin": ORIGIN}).status_code == 403
    assert shop.get(SETTINGS, params={"altId": LOC}).status_code == 422  # altType required
    assert shop.post(SETTINGS, json={**WHERE, "shippingOrigin": ORIGIN}).status_code == 201
    assert sb.objects(OTHER_LOC, "storeSettings") == []
