"""Coupons of a sub-account (``apps/payments.json``, ``/payments/coupon``).

Wire shapes follow the spec: requests ``CreateCouponParams`` / ``UpdateCouponParams`` /
``DeleteCouponParams`` (all name the location as ``altId`` + ``altType: location`` in the body;
update and delete name the coupon as ``id`` in the body, delete has a JSON body); answers are the
bare coupon plus ``traceId`` (``CreateCouponResponseDto``; create 201, update and get 200),
``{"data": [...], "totalCount", "traceId"}`` for the list and ``{"success": true, "traceId"}``
for a delete. Ids are 24-hex Mongo ObjectIds.

Behaviour the spec leaves open, as emulated here:

* The list pages with ``limit`` (default 100, the spec's) and ``offset``; ``status`` and ``search``
  (name or code, ignoring case) filter it. ``totalCount`` counts every match.
* ``PUT`` is a full replacement (the update DTO requires the create fields): optional fields the
  body leaves out fall back to their defaults or are gone afterwards.
* ``usageLimit`` and ``productIds`` are stored but never returned: ``CouponDto`` lacks them.
* ``limitPerCustomer`` is sent as a boolean and answered as a number (``CouponDto``: "0 for
  unlimited"): true is stored as 1.
* Dates are answered as GHL's Mongo dates are, ``YYYY-MM-DDTHH:mm:ss.sssZ`` (the spec's
  examples). ``status`` is derived from the dates and the current time.
* ``applyToFuturePayments`` defaults to true, ``applyToFuturePaymentsConfig`` to
  ``{"type": "forever"}`` (the spec's defaults); a forever config is answered as ``{"type":
  "forever"}`` whatever duration came with it.
* Codes are unique in a location; ``productIds`` must name products of the location; a
  percentage is at most 100. Refused bodies answer 422 (``UnprocessableDTO``, the only error the
  spec documents for coupons), as do dates that do not parse and an ``endDate`` not after
  ``startDate``.
* ``GET`` requires both ``id`` and ``code`` (as the spec does) and finds the coupon by ``id``,
  else by ``code`` ("either its unique identifier or promotional code"). An unknown coupon
  (get, update, delete) answers 404 ``"Coupon not found"`` (not documented by the spec).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import SandboxHTTPError, not_found, unprocessable
from ghlops.sandbox.ids import object_id, uuid_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store, StoredObject

JSON = Any

routes = RouteTable("payments")
routes.kind("coupons", schema="CouponDto")

KIND = "coupons"
COUPON_NOT_FOUND = "Coupon not found"
LIST_LIMIT = 100  # the spec's default


def _refused(message: str) -> SandboxHTTPError:
    """A refused body: 422 with the message in a list, the only error the spec documents."""
    return unprocessable([message])


def _now() -> datetime:
    return datetime.now(UTC)


def _instant(value: Any, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise _refused(f"{name} must be a date in YYYY-MM-DDTHH:mm:ssZ format") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _mongo_date(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _status(coupon: Mapping[str, Any]) -> str:
    now = _now()
    if _instant(coupon["startDate"], "startDate") > now:
        return "scheduled"
    end = coupon.get("endDate")
    if end and _instant(end, "endDate") <= now:
        return "expired"
    return "active"


def _view(ctx: RequestContext, coupon: Mapping[str, Any]) -> dict[str, Any]:
    return ctx.render(KIND, {**coupon, "status": _status(coupon)})


def _location(ctx: RequestContext, source: Mapping[str, Any]) -> str:
    location_id = str(source["altId"])
    ctx.check_location(location_id)
    return location_id


def _coupon(
    store: Store,
    location_id: str,
    body: Mapping[str, Any],
    existing: StoredObject | None = None,
) -> dict[str, Any]:
    """The stored coupon for a create (``existing`` None) or a full-replacement update."""
    but = existing.id if existing else None
    code = str(body["code"])
    if any(o.data["code"] == code and o.id != but for o in store.list(location_id, KIND)):
        raise _refused(f"Coupon with code {code} already exists")
    if body["discountType"] == "percentage" and not 0 < body["discountValue"] <= 100:
        raise _refused("discountValue must be between 0 and 100 for a percentage")
    if body["discountValue"] <= 0:
        raise _refused("discountValue must be positive")
    start = _instant(body["startDate"], "startDate")
    end = _instant(body["endDate"], "endDate") if body.get("endDate") else None
    if end is not None and end <= start:
        raise _refused("endDate must be after startDate")
    products = {o.id for o in store.list(location_id, "products")}
    unknown = [i for i in body.get("productIds") or () if i not in products]
    if unknown:
        raise _refused(f"Products not found: {', '.join(map(str, unknown))}")
    config = dict(body.get("applyToFuturePaymentsConfig") or {"type": "forever"})
    if config.get("type") == "forever":
        config = {"type": "forever"}
    stamp = _mongo_date(_now())
    coupon: dict[str, Any] = {
        "_id": existing.id if existing else object_id(),
        "usageCount": existing.data["usageCount"] if existing else 0,
        "limitPerCustomer": 1 if body.get("limitPerCustomer") else 0,
        "altId": location_id,
        "altType": "location",
        "name": body["name"],
        "code": code,
        "discountType": body["discountType"],
        "discountValue": body["discountValue"],
        "startDate": _mongo_date(start),
        "applyToFuturePayments": body.get("applyToFuturePayments", True),
        "applyToFuturePaymentsConfig": config,
        "createdAt": existing.data["createdAt"] if existing else stamp,
        "updatedAt": stamp,
    }
    if end is not None:
        coupon["endDate"] = _mongo_date(end)
    for name in ("usageLimit", "productIds"):  # stored, never returned (CouponDto lacks them)
        if body.get(name) is not None:
            coupon[name] = body[name]
    return coupon


def _owned(store: Store, location_id: str, coupon_id: str) -> StoredObject:
    obj = store.get(KIND, coupon_id)
    if obj is None or obj.location_id != location_id:
        raise not_found(COUPON_NOT_FOUND)
    return obj


@routes.get("/payments/coupon/list")
def list_coupons(ctx: RequestContext) -> JSON:
    location_id = _location(ctx, ctx.query)
    found = [_view(ctx, o.data) for o in ctx.store.list(location_id, KIND)]
    if ctx.query.get("status"):
        found = [c for c in found if c["status"] == ctx.query["status"]]
    if ctx.query.get("search"):
        needle = ctx.query["search"].lower()
        found = [c for c in found if needle in c["name"].lower() or needle in c["code"].lower()]
    try:
        limit = int(float(ctx.query.get("limit", LIST_LIMIT)))
        offset = int(float(ctx.query.get("offset", 0)))
    except ValueError:  # pragma: no cover - the query validator refuses non-numbers first
        raise _refused("limit and offset must be numbers") from None
    if limit < 1 or offset < 0:
        raise _refused("limit must be positive and offset not negative")
    return {"data": found[offset : offset + limit], "totalCount": len(found), "traceId": uuid_id()}


@routes.post("/payments/coupon")
def create_coupon(ctx: RequestContext) -> JSON:
    location_id = _location(ctx, ctx.body)
    coupon = _coupon(ctx.store, location_id, ctx.body)
    ctx.store.insert(location_id, KIND, coupon["_id"], coupon)
    return {**_view(ctx, coupon), "traceId": uuid_id()}


@routes.get("/payments/coupon")
def get_coupon(ctx: RequestContext) -> JSON:
    location_id = _location(ctx, ctx.query)
    obj = ctx.store.get(KIND, ctx.query["id"])
    if obj is None or obj.location_id != location_id:
        by_code = [
            o for o in ctx.store.list(location_id, KIND) if o.data["code"] == ctx.query["code"]
        ]
        if not by_code:
            raise not_found(COUPON_NOT_FOUND)
        obj = by_code[0]
    return {**_view(ctx, obj.data), "traceId": uuid_id()}


@routes.put("/payments/coupon")
def update_coupon(ctx: RequestContext) -> JSON:
    location_id = _location(ctx, ctx.body)
    obj = _owned(ctx.store, location_id, str(ctx.body["id"]))
    coupon = _coupon(ctx.store, location_id, ctx.body, existing=obj)
    ctx.store.update(KIND, obj.id, coupon)
    return {**_view(ctx, coupon), "traceId": uuid_id()}


@routes.delete("/payments/coupon")
def delete_coupon(ctx: RequestContext) -> JSON:
    location_id = _location(ctx, ctx.body)
    obj = _owned(ctx.store, location_id, str(ctx.body["id"]))
    ctx.store.delete(KIND, obj.id)
    return {"success": True, "traceId": uuid_id()}


@routes.seeder(KIND)
def seed_coupon(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A coupon as made in the GHL UI: the create fields (``name``, ``code``, ``discountType``,
    ``discountValue``, ``startDate``; optional ``endDate``, ``usageLimit``, ``productIds``,
    ``applyToFuturePayments``, ``applyToFuturePaymentsConfig``, ``limitPerCustomer``) and
    ``usageCount``."""
    coupon = _coupon(store, location_id, fields)
    coupon["usageCount"] = int(fields.get("usageCount", 0))
    if fields.get("_id") and re.fullmatch(r"[0-9a-f]{24}", str(fields["_id"])):
        coupon["_id"] = str(fields["_id"])
    store.insert(location_id, KIND, coupon["_id"], coupon)
    return str(coupon["_id"])
