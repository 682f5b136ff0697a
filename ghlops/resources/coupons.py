"""Adapter for ``coupons`` (apps/payments.json, Version 2021-07-28).

GET /payments/coupon/list?altId=&altType=location (``limit``/``offset``, ``{"data": [...],
"totalCount", "traceId"}``; every page is read), POST /payments/coupon (``altId``, ``altType``,
``name``, ``code``, ``discountType``, ``discountValue``, ``startDate`` required; 201 with the bare
coupon), PUT /payments/coupon (the same fields plus ``id`` required: a full replacement),
DELETE /payments/coupon with a JSON body ``{altId, altType, id}``, GET /payments/coupon?altId=
&altType=location&id=&code= (both required). Ids are 24-hex (``_id``).

Identity: ``code`` (what customers type; unique in a location). A new name with the same code
updates the coupon; a new code is another coupon, unless ``renamedFrom`` names the old code
(then the code is updated in place: ``code`` is in the update DTO). Nothing is documented as
immutable, so every difference is an update.

What the spec's answers lack: ``usageLimit`` and ``productIds`` are in the request DTOs but not in
``CouponDto``. They are write-only fields: sent, and compared only when GHL returns them after all
(then ``productIds`` are named back by product slug or name). ``limitPerCustomer`` is sent as a
boolean and answered as a number ("0 for unlimited"): any non-zero number reads as true.
Dates are compared as instants in the form GHL answers (``2026-01-01T00:00:00.000Z``).
``applyToFuturePaymentsConfig`` ``{type: forever}`` is sent with ``duration: 0, durationType:
months`` because the request schema requires all three; it reads back as ``{type: forever}``.

Products: ``products: [summer-box]`` names products by slug (or name): products declared in
``products`` (created before coupons) or made in GHL. While reading live state for a plan, live
products read as their own kind serve as the lookup (``read_after``); else the location's products
are listed once when a declared coupon names products, or when a live coupon has ``productIds``
and coupons declare ``products`` (and always for an export). A declared product that is neither
live nor declared fails the location's plan, naming the coupon and the product. Writes send
``productIds``: the ids the apply knows, else from one product list per coupon written.

Update: PUT is a full replacement, so ghlops reads the coupon first (one GET) and sends its
readable fields overlaid with the manifest's; write-only fields GHL does not return and the
manifest does not declare cannot be carried over, and the plan says so.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ghlops.errors import GhlopsError
from ghlops.models.coupon import Coupon, iso_instant
from ghlops.resources.alt_located import location_params
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, LiveItem
from ghlops.resources.keyed import live_of

VERSION = "2021-07-28"
PATH = "/payments/coupon"
PAGE_SIZE = 100  # the spec's default limit
PRODUCTS = "products"
PRODUCT_PAGE_SIZE = 100

# Key live_items adds to a raw coupon before live_item maps it: its products by key.
NAMED_PRODUCTS = "_products"

_COMPARED = (
    "name",
    "code",
    "discountType",
    "discountValue",
    "startDate",
    "endDate",
    "usageLimit",
    "products",
    "applyToFuturePayments",
    "applyToFuturePaymentsConfig",
    "limitPerCustomer",
)
FOREVER = {"type": "forever"}


def future_config(value: Any) -> dict[str, Any] | None:
    """A future-payments config as compared: ``{type: forever}``, or fixed with its duration in
    months."""
    if not isinstance(value, Mapping) or not value.get("type"):
        return None
    if value["type"] != "fixed":
        return {"type": str(value["type"])}
    config: dict[str, Any] = {"type": "fixed", "duration": value.get("duration")}
    duration = config["duration"]
    if isinstance(duration, float) and duration.is_integer():
        config["duration"] = int(duration)
    config["durationType"] = value.get("durationType") or "months"
    return config


def _instant(value: Any) -> Any:
    """A live date in the compared form (unparseable: as GHL answered it)."""
    if not value:
        return None
    try:
        return iso_instant(value)
    except ValueError:
        return value


def product_key(product: Mapping[str, Any]) -> str:
    """How coupons name a live product: its slug, else its name (products' own display key)."""
    return str(product.get("slug") or product.get("name"))


def list_products(ctx: Ctx) -> list[Mapping[str, Any]]:
    """Every product of the location (raw, every page)."""
    products: list[Mapping[str, Any]] = ctx.api.paginate(
        "/products/",
        version=VERSION,
        items="products",
        total="total",
        params={"locationId": ctx.location_id},
        page_size=PRODUCT_PAGE_SIZE,
    )
    return products


def _find(products: Sequence[Mapping[str, Any]], ref: str) -> list[Mapping[str, Any]]:
    """The live products a coupon's reference names: by slug, else by name."""
    by_slug = [p for p in products if p.get("slug") == ref]
    return by_slug or [p for p in products if p.get("name") == ref]


def product_problems(
    wanted: Sequence[tuple[str, str]],
    products: Sequence[Mapping[str, Any]],
    declared: Collection[str] = (),
) -> list[str]:
    """Why declared ``(coupon, product)`` references cannot be resolved among live products and
    the product keys ``declared`` in ``products`` (which the apply creates first)."""
    problems = []
    for coupon, ref in wanted:
        matches = _find(products, ref)
        if len(matches) == 1 or (not matches and ref in declared):
            continue
        if matches:
            ids = ", ".join(str(p["_id"]) for p in matches)
            problems.append(
                f"coupon '{coupon}': {len(matches)} products are named '{ref}' ({ids}); name "
                "the product by its slug"
            )
            continue
        problems.append(
            f"coupon '{coupon}': unknown product '{ref}' (not a slug or name of a product of "
            "this location); declare it in products or make it in GHL"
        )
    return problems


class CouponAdapter(Adapter):
    kind = "coupons"
    singular = "coupon"
    model = Coupon
    version = VERSION
    compare_fields = _COMPARED
    write_only_fields = ("usageLimit", "products")
    read_after = (PRODUCTS,)  # when both are read: live products are the lookup
    rename_field = "code"
    export_defaults = {
        "applyToFuturePayments": True,
        "applyToFuturePaymentsConfig": FOREVER,
        "limitPerCustomer": False,
    }

    # -- pure half -----------------------------------------------------------------------------

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"code:{fields['code']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["code"])

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        if "products" in fields:
            fields["products"] = sorted(set(fields["products"]))
        if "applyToFuturePaymentsConfig" in fields:
            fields["applyToFuturePaymentsConfig"] = future_config(
                fields["applyToFuturePaymentsConfig"]
            )
        value = fields.get("discountValue")
        if isinstance(value, float) and value.is_integer():
            fields["discountValue"] = int(value)
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {
            k: raw[k]
            for k in ("name", "code", "discountType", "applyToFuturePayments", "usageLimit")
            if raw.get(k) is not None
        }
        fields["discountValue"] = raw.get("discountValue")
        if isinstance(fields["discountValue"], float) and fields["discountValue"].is_integer():
            fields["discountValue"] = int(fields["discountValue"])
        for name in ("startDate", "endDate"):
            instant = _instant(raw.get(name))
            if instant is not None:
                fields[name] = instant
        config = future_config(raw.get("applyToFuturePaymentsConfig"))
        if config is not None:
            fields["applyToFuturePaymentsConfig"] = config
        if raw.get("limitPerCustomer") is not None:
            fields["limitPerCustomer"] = bool(raw["limitPerCustomer"])
        if NAMED_PRODUCTS in raw:
            fields["products"] = sorted(set(raw[NAMED_PRODUCTS]))
        elif raw.get("productIds") is not None:
            fields["products"] = sorted({f"id:{i}" for i in raw["productIds"]})
        return live_of(self, raw["_id"], fields, raw)

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        """Like products', but these fields are compared when GHL does return them."""
        declared = [f for f in self.write_only_fields if f in item.fields]
        lost = [f for f in self.write_only_fields if f not in item.fields]
        if not changed:
            if not declared:
                return ()
            return (
                f"coupon {item.key!r}: {', '.join(declared)} are compared only when GHL returns "
                "them (the spec's answer lacks them); they are sent with the next change to the "
                "coupon",
            )
        reasons = []
        if declared:
            reasons.append(f"also sends {', '.join(declared)}")
        if lost:
            reasons.append(
                "GHL replaces the whole coupon on update: "
                f"{', '.join(lost)} (not in the manifest) are carried over only if GHL returns "
                "them, else GHL may clear them"
            )
        return tuple(reasons)

    # -- I/O half ------------------------------------------------------------------------------

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raws = ctx.api.paginate(
            f"{PATH}/list",
            version=self.version,
            items="data",
            total="totalCount",
            params=location_params(ctx),
            page_size=PAGE_SIZE,
        )
        return self.live_items(ctx, raws)

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Live coupons with their products by key; fails on an unknown declared product."""
        declared = ctx.desired.get(self.kind, ())
        wanted = [
            (item.key, str(ref)) for item in declared for ref in item.fields.get("products", ())
        ]
        refers = ctx.resolve_live_refs or any("products" in item.fields for item in declared)
        if not wanted and not (refers and any(raw.get("productIds") for raw in raws)):
            return [self.live_item(raw) for raw in raws]
        if PRODUCTS in ctx.live:
            products = [p.raw for p in ctx.live[PRODUCTS]]
        else:  # products are not read as a kind in this run: one lookup
            products = list_products(ctx)
        problems = product_problems(
            wanted, products, {p.key for p in ctx.desired.get(PRODUCTS, ())}
        )
        if problems:
            raise GhlopsError("; ".join(problems))
        keys = {str(p["_id"]): product_key(p) for p in products}
        return [
            self.live_item(raw)
            if raw.get("productIds") is None
            else self.live_item(
                {**raw, NAMED_PRODUCTS: [keys.get(str(i), f"id:{i}") for i in raw["productIds"]]}
            )
            for raw in raws
        ]

    def _product_ids(self, ctx: Ctx, item: DesiredItem) -> list[str]:
        """The ids of the coupon's products: all known to the apply (live products it planned,
        or created earlier in it), else from one product list."""
        refs = [str(r) for r in item.fields["products"]]
        try:
            return [ctx.id_of(PRODUCTS, ref) for ref in refs]
        except (GhlopsError, LookupError):
            pass
        products = list_products(ctx)
        problems = product_problems([(item.key, r) for r in refs], products)
        if problems:
            raise GhlopsError("; ".join(problems))
        return [str(_find(products, r)[0]["_id"]) for r in refs]

    def _body(
        self, ctx: Ctx, item: DesiredItem, live: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if live is not None:  # carry over what the manifest does not declare
            mapped = self.live_item(live).fields
            body.update({k: v for k, v in mapped.items() if k != "products"})
            if live.get("productIds") is not None:
                body["productIds"] = [str(i) for i in live["productIds"]]
        body.update({k: v for k, v in item.fields.items() if k != "products"})
        if "products" in item.fields:
            body["productIds"] = self._product_ids(ctx, item)
        config = body.get("applyToFuturePaymentsConfig")
        if config is not None and config.get("type") == "forever":
            # the request schema requires duration and durationType even for forever
            body["applyToFuturePaymentsConfig"] = {
                "type": "forever",
                "duration": 0,
                "durationType": "months",
            }
        return {**location_params(ctx), **body}

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        answer = ctx.api.request("POST", PATH, version=self.version, json=self._body(ctx, item))
        return str(answer["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        code = item.renamed_from or item.fields["code"]
        live = ctx.api.request(
            "GET",
            PATH,
            version=self.version,
            params={**location_params(ctx), "id": object_id, "code": code},
        )
        body = {**self._body(ctx, item, live), "id": object_id}
        ctx.api.request("PUT", PATH, version=self.version, json=body)

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE", PATH, version=self.version, json={**location_params(ctx), "id": object_id}
        )

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """Products by slug or name; when one cannot be named (an id matching no product of the
        location), ``products`` is left out, with a note."""
        item = super().export_item(live, export)
        unknown = [p for p in item.get("products", ()) if str(p).startswith("id:")]
        if unknown:
            del item["products"]
            export.notes.append(
                f"coupon {live.key!r}: products left out: {', '.join(unknown)} match no product "
                "of the location"
            )
        return item
