"""Shipping zones, rates and carriers, and the store settings of a sub-account (``apps/store.json``).

Wire shapes follow the spec: ``CreateShippingZoneDto`` / ``UpdateShippingZoneDto`` /
``ShippingZoneSchema``, ``CreateShippingRateDto`` / ``UpdateShippingRateDto`` /
``ShippingRateSchema``, ``CreateShippingCarrierDto`` / ``UpdateShippingCarrierDto`` /
``ShippingCarrierSchema``, ``CreateStoreSettingDto`` / ``StoreSettingSchema``. Single objects come as ``{"status": true, "message", "data"}``
(create 201), deletes as ``{"status": true, "message"}``, zone and rate lists as
``{"total", "data": [...]}`` and the carrier list as ``{"status", "message", "data": [...]}``.
Ids are 24-hex ObjectIds.

The location is ``altId`` (with ``altType`` ``location``, the only value of its enum): a query
parameter on GET/DELETE and a body field on POST/PUT (optional on PUT: the token's location
then). It must be one the token may act on (403 otherwise). No operation of this spec declares
a ``Version`` header, so requests are accepted with any ``Version`` or none.

Decisions where the spec is silent or wrong:
- ``ShippingZoneCountryDto.code`` and ``StoreShippingOriginDto.country`` are declared
  ``"type": "number"`` with a nested enum (``[["US", "CA", ...]]``) and example ``"US"``: country
  codes are accepted as the strings of that enum (a number is refused, as nothing could satisfy
  the spec's declaration), and answered as those strings.
- Store settings: one object per location. ``GET /store/store-setting`` of a location that never
  saved any answers 404 ``"Store setting not found"`` (the spec documents only a 200, whose
  schema requires a shipping origin the sandbox would have to invent); ``POST`` creates them, or
  replaces the fields it sends (``shippingOrigin`` whole, each notification sent whole, the
  notifications not sent kept), keeping the ``_id`` and ``createdAt``.
- ``shippingCarrierId`` is required on rate create even for flat rates: ``""`` is accepted for a
  rate without a carrier; a non-empty id must be a carrier of the location, and a carrier rate
  (``isCarrierRate``) needs one.
- ``minCondition``/``maxCondition``: "0 or null if there is no minimum/maximum"; a null is
  stored as 0 (the response schema types them as numbers).
- ``countries`` and their ``states`` are stored in the order sent.
- Lists: ``limit`` 0 or absent means no limit (the spec's default is 0, MongoDB's "no limit");
  ``total`` is the number of all the location's (zone's) objects. ``withShippingRate=true``
  adds every rate of each zone as ``shippingRates``.
- Deleting a zone deletes its rates. Names are not made unique.
- Carriers belong to Marketplace apps: they are seeded (``Sandbox.seed``), though the spec's
  carrier endpoints are emulated too; a carrier created through the API gets a new
  ``marketplaceAppId``.
- Unknown ids answer 404 (not in the spec; what a NestJS service answers).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found, unprocessable
from ghlops.sandbox.ids import object_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.spec import default_library
from ghlops.sandbox.store import Store, StoredObject

JSON = Any

routes = RouteTable("store")
routes.kind("shippingZones", schema="ShippingZoneSchema")
routes.kind("shippingRates", schema="ShippingRateSchema")
routes.kind("shippingCarriers", schema="ShippingCarrierSchema")
routes.kind("storeSettings", schema="StoreSettingSchema")

ZONE_NOT_FOUND = "Shipping zone not found"
RATE_NOT_FOUND = "Shipping rate not found"
CARRIER_NOT_FOUND = "Shipping carrier not found"
SETTINGS_NOT_FOUND = "Store setting not found"
ALT_TYPE = "location"


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = default_library().document("apps/store.json")["components"]["schemas"]
    return schemas


def _country_codes(schema: str = "ShippingZoneCountryDto", prop: str = "code") -> list[str]:
    """The strings of one of the spec's (nested) country enums."""
    enum = _schemas()[schema]["properties"][prop]["enum"]
    return [str(code) for code in (enum[0] if enum and isinstance(enum[0], list) else enum)]


# The spec's countries, corrected: codes are strings (see the module docstring).
_COUNTRIES_FIX = {
    "countries": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"type": "string", "enum": _country_codes()},
                "states": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ShippingZoneCountryStateDto"},
                },
            },
        },
    }
}


def _corrected_origin() -> dict[str, Any]:
    """StoreShippingOriginDto with its country code read as a string of its enum."""
    origin = copy.deepcopy(_schemas()["StoreShippingOriginDto"])
    origin["properties"]["country"] = {
        "type": "string",
        "enum": _country_codes("StoreShippingOriginDto", "country"),
    }
    return dict(origin)


_ORIGIN_FIX = {"shippingOrigin": _corrected_origin()}
# shippingCarrierId is required, but flat rates have no carrier: "" is accepted.
_CARRIER_ID_FIX = {"shippingCarrierId": {"type": "string", "x-allow-empty": True}}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ok(message: str, data: Any = None) -> JSON:
    body: dict[str, Any] = {"status": True, "message": message}
    if data is not None:
        body["data"] = data
    return body


def _query_location(ctx: RequestContext) -> str:
    location_id = str(ctx.query["altId"])  # required by the spec: checked before the handler
    ctx.check_location(location_id)
    return location_id


def _body_location(ctx: RequestContext) -> str:
    location_id = ctx.body.get("altId")
    if location_id is None:  # optional on PUT: the token's own location
        if ctx.principal is None or ctx.principal.location_id is None:
            raise unprocessable(["altId should not be empty"])
        return ctx.principal.location_id
    ctx.check_location(str(location_id))
    return str(location_id)


def _page(ctx: RequestContext, items: list[Any]) -> JSON:
    try:
        limit = int(float(ctx.query.get("limit", 0)))
        offset = int(float(ctx.query.get("offset", 0)))
    except ValueError:
        raise bad_request("limit and offset must be numbers") from None
    if limit < 0 or offset < 0:
        raise bad_request("limit and offset must not be negative")
    page = items[offset : offset + limit] if limit else items[offset:]
    return {"total": len(items), "data": page}


def _owned(store: Store, location_id: str, kind: str, oid: str, missing: str) -> StoredObject:
    obj = store.get(kind, oid)
    if obj is None or obj.location_id != location_id:
        raise not_found(missing)
    return obj


def _with_rates(flag: str | None) -> bool:
    return flag == "true"


# -- shipping zones ------------------------------------------------------------------------


def _zone_view(ctx: RequestContext, location_id: str, zone: dict[str, Any], rates: bool) -> JSON:
    view = ctx.render("shippingZones", zone)
    if rates:
        view["shippingRates"] = [
            ctx.render("shippingRates", o.data)
            for o in ctx.store.list(location_id, "shippingRates", parent_id=zone["_id"])
        ]
    return view


def _countries(value: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Countries as stored: ``code`` and, when given, ``states`` (as sent)."""
    result = []
    for country in value:
        entry: dict[str, Any] = {"code": country["code"]}
        if country.get("states") is not None:
            entry["states"] = [{"code": s["code"]} for s in country["states"]]
        result.append(entry)
    return result


@routes.get("/store/shipping-zone")
def list_zones(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    rates = _with_rates(ctx.query.get("withShippingRate"))
    zones = [
        _zone_view(ctx, location_id, o.data, rates)
        for o in ctx.store.list(location_id, "shippingZones")
    ]
    return _page(ctx, zones)


@routes.post("/store/shipping-zone", extra_body_properties=_COUNTRIES_FIX)
def create_zone(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    now = _now()
    zone = {
        "_id": object_id(),
        "altId": location_id,
        "altType": ALT_TYPE,
        "name": ctx.body["name"],
        "countries": _countries(ctx.body["countries"]),
        "createdAt": now,
        "updatedAt": now,
    }
    ctx.store.insert(location_id, "shippingZones", zone["_id"], zone)
    return _ok("Successfully created", ctx.render("shippingZones", zone))


@routes.get("/store/shipping-zone/{shippingZoneId}")
def get_zone(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    zone = _owned(
        ctx.store, location_id, "shippingZones", ctx.path_params["shippingZoneId"], ZONE_NOT_FOUND
    ).data
    rates = _with_rates(ctx.query.get("withShippingRate"))
    return _ok("Successfully fetched", _zone_view(ctx, location_id, zone, rates))


@routes.put("/store/shipping-zone/{shippingZoneId}", extra_body_properties=_COUNTRIES_FIX)
def update_zone(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    zone = _owned(
        ctx.store, location_id, "shippingZones", ctx.path_params["shippingZoneId"], ZONE_NOT_FOUND
    ).data
    if ctx.body.get("name") is not None:
        zone["name"] = ctx.body["name"]
    if ctx.body.get("countries") is not None:
        zone["countries"] = _countries(ctx.body["countries"])
    zone["updatedAt"] = _now()
    ctx.store.update("shippingZones", zone["_id"], zone)
    return _ok("Successfully updated", ctx.render("shippingZones", zone))


@routes.delete("/store/shipping-zone/{shippingZoneId}")
def delete_zone(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    zone_id = ctx.path_params["shippingZoneId"]
    _owned(ctx.store, location_id, "shippingZones", zone_id, ZONE_NOT_FOUND)
    ctx.store.delete("shippingZones", zone_id)  # and its rates, stored under it
    return _ok("Successfully deleted")


# -- shipping rates ------------------------------------------------------------------------

_RATE_FIELDS = (
    "name",
    "description",
    "currency",
    "amount",
    "conditionType",
    "minCondition",
    "maxCondition",
    "isCarrierRate",
    "shippingCarrierId",
    "percentageOfRateFee",
    "shippingCarrierServices",
)


def _check_carrier(store: Store, location_id: str, rate: dict[str, Any]) -> None:
    carrier_id = rate.get("shippingCarrierId") or ""
    if carrier_id:
        _owned(store, location_id, "shippingCarriers", carrier_id, CARRIER_NOT_FOUND)
    elif rate.get("isCarrierRate"):
        raise bad_request("shippingCarrierId is required for a carrier rate")


def _zone_of(ctx: RequestContext, location_id: str) -> dict[str, Any]:
    zone_id = ctx.path_params["shippingZoneId"]
    return _owned(ctx.store, location_id, "shippingZones", zone_id, ZONE_NOT_FOUND).data


def _rate_of(ctx: RequestContext, location_id: str, zone_id: str) -> dict[str, Any]:
    rate_id = ctx.path_params["shippingRateId"]
    obj = _owned(ctx.store, location_id, "shippingRates", rate_id, RATE_NOT_FOUND)
    if obj.parent_id != zone_id:
        raise not_found(RATE_NOT_FOUND)
    return obj.data


@routes.get("/store/shipping-zone/{shippingZoneId}/shipping-rate")
def list_rates(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    zone = _zone_of(ctx, location_id)
    rates = ctx.store.list(location_id, "shippingRates", parent_id=zone["_id"])
    return _page(ctx, [ctx.render("shippingRates", o.data) for o in rates])


@routes.post(
    "/store/shipping-zone/{shippingZoneId}/shipping-rate", extra_body_properties=_CARRIER_ID_FIX
)
def create_rate(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    zone = _zone_of(ctx, location_id)
    now = _now()
    rate: dict[str, Any] = {
        "_id": object_id(),
        "altId": location_id,
        "altType": ALT_TYPE,
        **{k: ctx.body[k] for k in _RATE_FIELDS if ctx.body.get(k) is not None},
        "shippingZoneId": zone["_id"],
        "createdAt": now,
        "updatedAt": now,
    }
    rate["minCondition"] = ctx.body.get("minCondition") or 0
    rate["maxCondition"] = ctx.body.get("maxCondition") or 0
    rate.setdefault("isCarrierRate", False)
    _check_carrier(ctx.store, location_id, rate)
    ctx.store.insert(location_id, "shippingRates", rate["_id"], rate, parent_id=zone["_id"])
    return _ok("Successfully created", ctx.render("shippingRates", rate))


@routes.get("/store/shipping-zone/{shippingZoneId}/shipping-rate/{shippingRateId}")
def get_rate(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    rate = _rate_of(ctx, location_id, _zone_of(ctx, location_id)["_id"])
    return _ok("Successfully fetched", ctx.render("shippingRates", rate))


@routes.put(
    "/store/shipping-zone/{shippingZoneId}/shipping-rate/{shippingRateId}",
    extra_body_properties=_CARRIER_ID_FIX,
)
def update_rate(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    rate = _rate_of(ctx, location_id, _zone_of(ctx, location_id)["_id"])
    for name in _RATE_FIELDS:
        if ctx.body.get(name) is not None:
            rate[name] = ctx.body[name]
    _check_carrier(ctx.store, location_id, rate)
    rate["updatedAt"] = _now()
    ctx.store.update("shippingRates", rate["_id"], rate)
    return _ok("Successfully updated", ctx.render("shippingRates", rate))


@routes.delete("/store/shipping-zone/{shippingZoneId}/shipping-rate/{shippingRateId}")
def delete_rate(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    rate = _rate_of(ctx, location_id, _zone_of(ctx, location_id)["_id"])
    ctx.store.delete("shippingRates", rate["_id"])
    return _ok("Successfully deleted")


# -- shipping carriers ---------------------------------------------------------------------

_CARRIER_FIELDS = ("name", "callbackUrl", "services", "allowsMultipleServiceSelection")


def _carrier(location_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    carrier: dict[str, Any] = {
        "_id": str(fields.get("_id") or object_id()),
        "altId": location_id,
        "altType": ALT_TYPE,
        "name": fields["name"],
        "callbackUrl": fields.get("callbackUrl") or "https://carrier.invalid/shipping-rates",
        "services": list(fields.get("services") or []),
        "allowsMultipleServiceSelection": bool(fields.get("allowsMultipleServiceSelection")),
        "marketplaceAppId": str(fields.get("marketplaceAppId") or object_id()),
        "createdAt": now,
        "updatedAt": now,
    }
    return carrier


@routes.seeder("shippingCarriers")
def seed_carrier(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A carrier as installing its Marketplace app would create it (``name`` required)."""
    if not fields.get("name"):
        raise ValueError("a shipping carrier needs a name")
    carrier = _carrier(location_id, fields)
    store.insert(location_id, "shippingCarriers", carrier["_id"], carrier)
    return str(carrier["_id"])


@routes.seeder("shippingZones")
def seed_zone(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A zone (``name`` required; ``countries`` default none)."""
    if not fields.get("name"):
        raise ValueError("a shipping zone needs a name")
    now = _now()
    zone = {
        "_id": str(fields.get("_id") or object_id()),
        "altId": location_id,
        "altType": ALT_TYPE,
        "name": fields["name"],
        "countries": _countries(fields.get("countries") or []),
        "createdAt": now,
        "updatedAt": now,
    }
    store.insert(location_id, "shippingZones", zone["_id"], zone)
    return str(zone["_id"])


@routes.seeder("shippingRates")
def seed_rate(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A rate of the zone ``shippingZoneId`` (``name`` required; a free flat rate in USD unless
    fields say otherwise)."""
    zone = store.get("shippingZones", str(fields.get("shippingZoneId")))
    if zone is None or zone.location_id != location_id:
        raise ValueError("a shipping rate needs the shippingZoneId of a zone of its location")
    if not fields.get("name"):
        raise ValueError("a shipping rate needs a name")
    now = _now()
    rate = {
        "currency": "USD",
        "amount": 0,
        "conditionType": "none",
        "minCondition": 0,
        "maxCondition": 0,
        "isCarrierRate": False,
        "shippingCarrierId": "",
        **{k: v for k, v in fields.items() if k in _RATE_FIELDS},
        "_id": str(fields.get("_id") or object_id()),
        "altId": location_id,
        "altType": ALT_TYPE,
        "shippingZoneId": zone.id,
        "createdAt": now,
        "updatedAt": now,
    }
    store.insert(location_id, "shippingRates", rate["_id"], rate, parent_id=zone.id)
    return str(rate["_id"])


@routes.get("/store/shipping-carrier")
def list_carriers(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    carriers = ctx.store.list(location_id, "shippingCarriers")
    return _ok("Successfully fetched", [ctx.render("shippingCarriers", o.data) for o in carriers])


@routes.post("/store/shipping-carrier")
def create_carrier(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    carrier = _carrier(location_id, {k: ctx.body.get(k) for k in _CARRIER_FIELDS})
    ctx.store.insert(location_id, "shippingCarriers", carrier["_id"], carrier)
    return _ok("Successfully created", ctx.render("shippingCarriers", carrier))


@routes.get("/store/shipping-carrier/{shippingCarrierId}")
def get_carrier(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    carrier_id = ctx.path_params["shippingCarrierId"]
    carrier = _owned(ctx.store, location_id, "shippingCarriers", carrier_id, CARRIER_NOT_FOUND)
    return _ok("Successfully fetched", ctx.render("shippingCarriers", carrier.data))


@routes.put("/store/shipping-carrier/{shippingCarrierId}")
def update_carrier(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    carrier_id = ctx.path_params["shippingCarrierId"]
    carrier = _owned(ctx.store, location_id, "shippingCarriers", carrier_id, CARRIER_NOT_FOUND).data
    for name in _CARRIER_FIELDS:
        if ctx.body.get(name) is not None:
            carrier[name] = ctx.body[name]
    carrier["updatedAt"] = _now()
    ctx.store.update("shippingCarriers", carrier_id, carrier)
    return _ok("Successfully updated", ctx.render("shippingCarriers", carrier))


@routes.delete("/store/shipping-carrier/{shippingCarrierId}")
def delete_carrier(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    carrier_id = ctx.path_params["shippingCarrierId"]
    _owned(ctx.store, location_id, "shippingCarriers", carrier_id, CARRIER_NOT_FOUND)
    ctx.store.delete("shippingCarriers", carrier_id)
    return _ok("Successfully deleted")


# -- store settings ------------------------------------------------------------------------

_NOTIFICATIONS = ("storeOrderNotification", "storeOrderFulfillmentNotification")


def _settings_of(store: Store, location_id: str) -> dict[str, Any] | None:
    found = store.list(location_id, "storeSettings")
    return found[0].data if found else None


@routes.get("/store/store-setting")
def get_store_settings(ctx: RequestContext) -> JSON:
    location_id = _query_location(ctx)
    settings = _settings_of(ctx.store, location_id)
    if settings is None:
        raise not_found(SETTINGS_NOT_FOUND)
    return _ok("Successfully fetched", ctx.render("storeSettings", settings))


@routes.post("/store/store-setting", extra_body_properties=_ORIGIN_FIX)
def save_store_settings(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    now = _now()
    settings = _settings_of(ctx.store, location_id)
    created = settings is None
    if settings is None:
        settings = {"_id": object_id(), "altId": location_id, "altType": ALT_TYPE, "createdAt": now}
    settings["shippingOrigin"] = dict(ctx.body["shippingOrigin"])
    for name in _NOTIFICATIONS:
        if ctx.body.get(name) is not None:
            settings[name] = dict(ctx.body[name])
    settings["updatedAt"] = now
    if created:
        ctx.store.insert(location_id, "storeSettings", settings["_id"], settings)
    else:
        ctx.store.update("storeSettings", settings["_id"], settings)
    message = "Successfully created" if created else "Successfully updated"
    return _ok(message, ctx.render("storeSettings", settings))
