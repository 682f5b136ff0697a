"""Adapter for ``productCollections`` (apps/products.json, Version 2021-07-28).

GET /products/collections?altId=&altType=location (``limit``/``offset``, ``{"data": [...],
"total"}``; every page is read), POST /products/collections (``altId``, ``altType``, ``name``,
``slug`` required; 201 ``{"data": {...}}``), PUT /products/collections/{id} (partial: only
``altId``/``altType`` required), DELETE /products/collections/{id}?altId=&altType=location.
Ids are 24-hex (``_id``).

Identity: ``slug`` (unique in a location, the collection's store address, and how products name
their collections). A new name with the same slug updates the collection; a new slug is another
collection. Compared: ``name``, ``slug``, ``image``, ``seo`` (only what the manifest sets; a live
collection without an image answers ``""``, without SEO ``{}``: both read as not set).

Deleting a collection takes it out of every product (GHL keeps the products): the plan says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.product_collection import ProductCollection
from ghlops.resources.alt_located import AltLocatedAdapter, location_params
from ghlops.resources.base import Ctx, LiveItem
from ghlops.resources.keyed import live_of

VERSION = "2021-07-28"
PATH = "/products/collections"
PAGE_SIZE = 100
_FIELDS = ("name", "slug", "image", "seo")


def list_collections(ctx: Ctx) -> list[Mapping[str, Any]]:
    """Every product collection of the location (raw, every page)."""
    collections: list[Mapping[str, Any]] = ctx.api.paginate(
        PATH,
        version=VERSION,
        items="data",
        total="total",
        params=location_params(ctx),
        page_size=PAGE_SIZE,
    )
    return collections


class ProductCollectionAdapter(AltLocatedAdapter):
    kind = "productCollections"
    singular = "product collection"
    model = ProductCollection
    version = VERSION
    path = PATH
    compare_fields = _FIELDS

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"slug:{fields['slug']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["slug"])

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {"name": raw["name"], "slug": raw["slug"]}
        if raw.get("image"):
            fields["image"] = raw["image"]
        seo = {k: v for k, v in (raw.get("seo") or {}).items() if v is not None}
        if seo:
            fields["seo"] = seo
        return live_of(self, raw["_id"], fields, raw)

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return ("GHL takes it out of every product in it (the products stay)",)

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        return [self.live_item(raw) for raw in list_collections(ctx)]
