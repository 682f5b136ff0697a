"""Adapter for ``products`` (apps/products.json, Version 2021-07-28); prices are nested.

GET|POST /products/ (``locationId`` in the query of GET, in the body of POST),
GET|PUT|DELETE /products/{productId} (``locationId`` query on GET/DELETE, body on PUT). Answers
are the bare product object (id ``_id``, 24-hex), ``{"status": true}`` for a delete; create
answers 201. The list is paginated ``limit``/``offset``; its ``total`` is an array
``[{"total": n}]``, which ghlops does not need: it reads pages until a short one.

Identity: ``slug`` when the manifest gives one (a rename with the same slug updates the product
and keeps its id), else ``name``. A live product answers to both its slug and its name, so a
product declared by name also matches one whose slug GHL made up.

Collections: ``collections: [summer]`` names product collections by slug: collections declared in
``productCollections`` (created before products, see product_collections.py) or made in GHL.
While reading live state for a plan, collections read as their own kind (because they are
declared or pruned) are read before products (``read_after``) and serve as the lookup; else the
location's collections are listed once (``GET /products/collections``, every page) when a
declared product names a collection, or declares ``collections`` and a live product has
``collectionIds`` (an export: when a live product has ``collectionIds``). Live ids become slugs
(an id matching no collection shows as ``id:<id>``); a declared slug that is neither a live
collection nor declared in ``productCollections`` fails that location's plan, naming the product
and the slug. Writes send ``collectionIds``: the ids the apply knows (live collections it
planned, or created earlier in it), else from one list call per product written. Order is
ignored.

Update: PUT is a full replacement (``name``, ``locationId``, ``productType`` required), so ghlops
reads the product first (one GET) and sends its readable fields overlaid with the manifest's:
fields the manifest does not declare (image, variants, taxes, ...) keep their live values. Fields
GHL accepts but never returns (``write_only_fields``) cannot be carried over; the plan says so.
ghlops does not send ``prices`` (the update DTO's list of price ids): prices are managed through
their own endpoints.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.models.product import Product
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, LiveItem
from ghlops.resources.prices import PriceAdapter, write_only_reasons
from ghlops.resources.product_collections import list_collections

VERSION = "2021-07-28"
PAGE_SIZE = 100  # limit sent on every list call (the products list's own default, 0, is "all")
PRODUCT_COLLECTIONS = "productCollections"

# Key list_live adds to a raw product before live_item maps it: its collections as slugs.
COLLECTIONS = "_collections"

# Readable request fields: returned by GET, so a full-replacement PUT can carry them over.
_READABLE = (
    "name",
    "description",
    "productType",
    "image",
    "statementDescriptor",
    "availableInStore",
    "variants",
    "collectionIds",
    "isTaxesEnabled",
    "taxes",
    "automaticTaxCategoryId",
    "label",
    "slug",
)
_COMPARED = (
    "name",
    "slug",
    "productType",
    "description",
    "image",
    "statementDescriptor",
    "availableInStore",
    "collections",
    "label",
)

PRICES = PriceAdapter()


def collection_problems(
    wanted: Sequence[tuple[str, str]],
    collections: Sequence[Mapping[str, Any]],
    declared: Collection[str] = (),
) -> list[str]:
    """Why declared ``(product, slug)`` references cannot be resolved among live collections
    and the slugs ``declared`` in ``productCollections`` (which the apply creates first)."""
    problems = []
    for product, slug in wanted:
        matches = [c for c in collections if c.get("slug") == slug]
        if not matches and slug in declared:
            continue
        if len(matches) == 1:
            continue
        if matches:
            ids = ", ".join(str(c["_id"]) for c in matches)
            problems.append(
                f"product '{product}': {len(matches)} product collections have the slug "
                f"'{slug}' ({ids}); change one in GHL"
            )
            continue
        known = ", ".join(sorted(repr(str(c.get("slug"))) for c in collections)) or "none"
        problems.append(
            f"product '{product}': unknown product collection '{slug}' (collections of this "
            f"location: {known}); declare it in productCollections or make it in GHL"
        )
    return problems


def _collection_ids(ctx: Ctx, item: DesiredItem) -> list[str]:
    """The ids of the item's collections: all known to the apply (live collections it planned,
    or created earlier in it), else from one list call."""
    slugs = [str(s) for s in item.fields["collections"]]
    try:
        return [ctx.id_of(PRODUCT_COLLECTIONS, slug) for slug in slugs]
    except (GhlopsError, LookupError):
        pass
    collections = list_collections(ctx)
    problems = collection_problems([(item.key, s) for s in slugs], collections)
    if problems:
        raise GhlopsError("; ".join(problems))
    by_slug = {str(c["slug"]): str(c["_id"]) for c in collections}
    return [by_slug[s] for s in slugs]


class ProductAdapter(Adapter):
    kind = "products"
    singular = "product"
    model = Product
    version = VERSION
    compare_fields = _COMPARED
    write_only_fields = ("medias", "isLabelEnabled", "seo", "taxInclusive")
    read_after = (PRODUCT_COLLECTIONS,)  # when both are read: live collections are the lookup

    # -- pure half -----------------------------------------------------------------------------

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """A declared product's identity: its slug when given, else its name."""
        if fields.get("slug"):
            return (f"slug:{fields['slug']}",)
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields.get("slug") or fields["name"])

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        if "collections" in fields:
            fields["collections"] = sorted(set(fields["collections"]))
        return fields

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        data = spec.model_dump(exclude_none=True)
        prices = data.pop("prices", None) or []
        fields = self.normalise_desired(data)
        product = DesiredItem(
            kind=self.kind,
            key=self.display_key(fields),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
            identity=self.identify(fields),
        )
        assert isinstance(spec, Product)
        children = tuple(
            replace(
                PRICES.child_item(product, fields, source),
                protect=price.protect,
                renamed_from=price.renamedFrom,
            )
            for fields, price in zip(prices, spec.prices or (), strict=True)
        )
        return replace(product, children=children)

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {
            k: raw[k] for k in _COMPARED if k != "collections" and raw.get(k) is not None
        }
        if COLLECTIONS in raw:
            fields["collections"] = sorted(set(raw[COLLECTIONS]))
        else:
            fields["collections"] = sorted({f"id:{i}" for i in raw.get("collectionIds") or ()})
        match = [f"name:{fields['name']}"]
        if fields.get("slug"):
            match.insert(0, f"slug:{fields['slug']}")
        return LiveItem(
            self.kind,
            self.display_key(fields),
            str(raw["_id"]),
            fields,
            tuple(match),
            raw,
            identity=self.identify(fields, keys=match),
        )

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        return write_only_reasons(self, item, changed=changed, whole="product")

    # -- I/O half ------------------------------------------------------------------------------

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raws = ctx.api.paginate(
            "/products/",
            version=self.version,
            items="products",
            total="total",  # [{"total": n}]
            params={"locationId": ctx.location_id},
            page_size=PAGE_SIZE,
        )
        return self.live_items(ctx, raws)

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Live products with their collections as slugs; fails on an unknown declared slug."""
        wanted = [
            (item.key, str(slug))
            for item in ctx.desired.get(self.kind, ())
            for slug in item.fields.get("collections", ())
        ]
        refers = ctx.resolve_live_refs or any(
            "collections" in item.fields for item in ctx.desired.get(self.kind, ())
        )
        if not wanted and not (refers and any(raw.get("collectionIds") for raw in raws)):
            return [self.live_item(raw) for raw in raws]
        if PRODUCT_COLLECTIONS in ctx.live:
            collections = [c.raw for c in ctx.live[PRODUCT_COLLECTIONS]]
        else:  # collections are not read as a kind in this run: one lookup
            collections = list_collections(ctx)
        declared = {c.key for c in ctx.desired.get(PRODUCT_COLLECTIONS, ())}
        problems = collection_problems(wanted, collections, declared)
        if problems:
            raise GhlopsError("; ".join(problems))
        slugs = {str(c["_id"]): str(c["slug"]) for c in collections}
        return [
            self.live_item(
                {
                    **raw,
                    COLLECTIONS: [
                        slugs.get(str(i), f"id:{i}") for i in raw.get("collectionIds") or ()
                    ],
                }
            )
            for raw in raws
        ]

    def _body(
        self, ctx: Ctx, item: DesiredItem, live: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if live is not None:
            body.update({k: live[k] for k in _READABLE if live.get(k) is not None})
        body.update({k: v for k, v in item.fields.items() if k != "collections"})
        if "collections" in item.fields:
            body["collectionIds"] = _collection_ids(ctx, item)
        body["locationId"] = ctx.location_id
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST", "/products/", version=self.version, json=self._body(ctx, item)
        )
        return str(body["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        path = f"/products/{object_id}"
        live = ctx.api.request(
            "GET", path, version=self.version, params={"locationId": ctx.location_id}
        )
        ctx.api.request("PUT", path, version=self.version, json=self._body(ctx, item, live))

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"/products/{object_id}",
            version=self.version,
            params={"locationId": ctx.location_id},
        )

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """Collections by slug; when one of them cannot be named (an id matching no collection
        of the location), ``collections`` is left out, with a note."""
        item = super().export_item(live, export)
        unknown = [c for c in item.get("collections", ()) if str(c).startswith("id:")]
        if unknown:
            del item["collections"]
            export.notes.append(
                f"product {live.key!r}: collections left out: {', '.join(unknown)} match no "
                "product collection of the location"
            )
        return item
