"""Adapter for ``prices``, nested in ``products`` (apps/products.json, Version 2021-07-28).

GET|POST /products/{productId}/price, GET|PUT|DELETE /products/{productId}/price/{priceId}
(``locationId`` in the query of GET/DELETE and in the body of POST/PUT). Answers are the bare
price object (id ``_id``, 24-hex; parent link ``product``), ``{"status": true}`` for a delete;
create answers 201. The list is paginated ``limit``/``offset`` with a numeric ``total``: every
page of every live product is read (one call per product when its prices fit in a page).

Identity: ``name`` within the product; the key is ``"<product key>/<price name>"``. Prices are
declared inside their product (``prices:``); the product adapter builds them as children, and
the planner matches them among the prices of the live product their product matched.

Update: PUT is a full replacement with the create fields required, so ghlops reads the price
first (one GET) and sends its readable fields overlaid with the manifest's: fields the manifest
does not declare keep their live values. Fields GHL accepts but never returns (see
``write_only_fields``) cannot be carried over that way; the plan says so on every update.

Amounts: the spec's examples disagree on units (request ``99.99``, response ``199999``). ghlops
sends ``amount`` exactly as written and compares it with what GHL returns, i.e. it assumes major
units (199 = 199.00) and that GHL returns what it was sent; unverified against the live API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.product import Price
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem

VERSION = "2021-07-28"
PAGE_SIZE = 100  # limit sent on every list call (the API's own default, 0, means "no limit")

# Key live_items adds to a raw price before live_item maps it: the live product it belongs to
# (a LiveItem).
PRODUCT = "_product"

# Readable request fields: returned by GET, so a full-replacement PUT can carry them over.
_READABLE = (
    "name",
    "type",
    "currency",
    "amount",
    "recurring",
    "membershipOffers",
    "variantOptionIds",
    "compareAtPrice",
    "userId",
    "trackInventory",
    "availableQuantity",
    "allowOutOfStockPurchases",
)
_MONEY = ("amount", "compareAtPrice", "setupFee")
_COMPARED = (
    "name",
    "type",
    "currency",
    "amount",
    "recurring",
    "compareAtPrice",
    "trackInventory",
    "availableQuantity",
    "allowOutOfStockPurchases",
)


def price_key(product: str, name: str) -> str:
    return f"{product}/{name}"


def whole_numbers(fields: dict[str, Any]) -> dict[str, Any]:
    """``199.0`` -> ``199`` for the money fields (the model reads numbers as floats), so plans
    show and requests send what the manifest says."""
    for name in _MONEY:
        value = fields.get(name)
        if isinstance(value, float) and value.is_integer():
            fields[name] = int(value)
    return fields


def write_only_reasons(
    adapter: Adapter, item: DesiredItem, *, changed: bool, whole: str
) -> tuple[str, ...]:
    """What a plan says about the write-only fields of a matched product or price.

    ``changed``: the item is updated (a full-replacement PUT of the ``whole`` object); the reasons
    name the write-only fields sent along, and those that may be cleared because GHL cannot give
    them back. Not ``changed``: notes for a location without a change of this item, when it
    declares write-only fields.
    """
    declared = [f for f in adapter.write_only_fields if f in item.fields]
    if not changed:
        if not declared:
            return ()
        return (
            f"{adapter.singular} {item.key!r}: write-only fields {', '.join(declared)} are not "
            "compared (GHL never returns them, so ghlops cannot tell whether they changed); "
            f"they are sent with the next change to the {adapter.singular}",
        )
    reasons = []
    if declared:
        reasons.append(
            f"also sends write-only fields {', '.join(declared)} (GHL never returns them, so "
            "ghlops cannot tell whether they changed)"
        )
    lost = [f for f in adapter.write_only_fields if f not in item.fields]
    if lost:
        reasons.append(
            f"GHL replaces the whole {whole} on update: write-only fields not in the manifest "
            f"({', '.join(lost)}) cannot be read back to carry over, so GHL may clear them"
        )
    return tuple(reasons)


class PriceAdapter(Adapter):
    kind = "prices"
    singular = "price"
    model = Price
    version = VERSION
    parent_kind = "products"
    compare_fields = _COMPARED
    write_only_fields = (
        "description",
        "sku",
        "setupFee",
        "trialPeriod",
        "totalCycles",
        "isDigitalProduct",
        "digitalDelivery",
        "shippingOptions",
    )

    # -- pure half -----------------------------------------------------------------------------

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """The name, within the product (the planner matches prices inside their product)."""
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        """``fields`` carries ``_product`` (see :data:`PRODUCT`): ``<product key>/<name>``."""
        return price_key(str(fields[PRODUCT].key), str(fields["name"]))

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        return whole_numbers(fields)

    def child_item(
        self, product: DesiredItem, fields: dict[str, Any], source: SourcePos | None = None
    ) -> DesiredItem:
        """The desired item of one price declared inside ``product``."""
        fields = self.normalise_desired(fields)
        return DesiredItem(
            kind=self.kind,
            key=self.display_key({**fields, PRODUCT: product}),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
            parent=product.key,
            identity=self.identify(fields, product.ident),
        )

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = whole_numbers({k: raw[k] for k in _COMPARED if raw.get(k) is not None})
        product: LiveItem = raw[PRODUCT]
        return LiveItem(
            self.kind,
            self.display_key({**fields, PRODUCT: product}),
            str(raw["_id"]),
            fields,
            self.match_keys(fields),
            raw,
            parent=product.key,
            parent_id=product.id,
            identity=self.identify(fields, product.ident),
        )

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        return write_only_reasons(self, item, changed=changed, whole="price")

    # -- I/O half ------------------------------------------------------------------------------

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        items: list[LiveItem] = []
        for product in ctx.live.get(self.parent_kind or "", ()):
            raws = ctx.api.paginate(
                f"/products/{product.id}/price",
                version=self.version,
                items="prices",
                total="total",
                params={"locationId": ctx.location_id},
                page_size=PAGE_SIZE,
            )
            # the product asked about is authoritative (``product`` is optional in the answer)
            items += self.live_items(ctx, [{**raw, "product": product.id} for raw in raws])
        return items

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Live prices, each under its live product (from ``ctx.live``, by ``product`` id)."""
        products = {p.id: p for p in ctx.live.get(self.parent_kind or "", ())}
        items = []
        for raw in raws:
            product = products.get(str(raw.get("product")))
            if product is None:
                raise GhlopsError(f"price {raw.get('_id')}: its product was not read")
            items.append(self.live_item({**raw, PRODUCT: product}))
        return items

    def _body(
        self, ctx: Ctx, item: DesiredItem, live: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if live is not None:
            body.update({k: live[k] for k in _READABLE if live.get(k) is not None})
        body.update(item.fields)
        if body.get("type") != "recurring":
            body.pop("recurring", None)
        body["locationId"] = ctx.location_id
        return body

    def _product_id(self, ctx: Ctx, parent: str | None) -> str:
        if parent is None:
            raise GhlopsError("a price without its product")
        return ctx.id_of(self.parent_kind or "", parent)

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        product_id = self._product_id(ctx, item.parent)
        body = ctx.api.request(
            "POST",
            f"/products/{product_id}/price",
            version=self.version,
            json=self._body(ctx, item),
        )
        return str(body["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        path = f"/products/{self._product_id(ctx, item.parent)}/price/{object_id}"
        params = {"locationId": ctx.location_id}
        live = ctx.api.request("GET", path, version=self.version, params=params)
        ctx.api.request("PUT", path, version=self.version, json=self._body(ctx, item, live))

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"/products/{self._product_id(ctx, parent)}/price/{object_id}",
            version=self.version,
            params={"locationId": ctx.location_id},
        )
