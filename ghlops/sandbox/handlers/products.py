"""Products, their prices and product collections of a sub-account (``apps/products.json``).

Wire shapes follow the spec: requests ``CreateProductDto`` / ``UpdateProductDto``,
``CreatePriceDto`` / ``UpdatePriceDto``, ``CreateProductCollectionsDto`` /
``UpdateProductCollectionsDto``; answers are the **bare** product and price objects
(``DefaultProductResponseDto``, ``DefaultPriceResponseDto``, no wrapper key, id field ``_id``),
``{"status": true}`` for deletes, and ``{"data": ...}`` envelopes for collections. Ids are 24-hex
Mongo ObjectIds. Creates answer 201, as the spec documents.

Behaviour the spec leaves open, as emulated here:

* Lists: ``limit``/``offset``; ``limit`` 0 or absent means "no limit" for products and prices (the
  spec's default is 0, which is MongoDB's "no limit"), 10 for collections (the spec's default).
  Products answer ``total`` as an array ``[{"total": n}]`` (``ListProductsStats``), prices and
  collections as a number.
* ``PUT`` of a product or a price is a full replacement (the update DTOs require the same fields
  as the create DTOs): fields the body leaves out are gone afterwards, except the product's slug,
  which is kept (it is the product's address in the store). ``prices`` in a product PUT is
  accepted and ignored: prices belong to their product through their own ``product`` field.
* Product and collection slugs are unique within a location (400 otherwise); a product created
  without a slug gets one made from its name. A product's ``collectionIds`` must name collections
  of its location (400 otherwise); deleting a collection removes it from its products.
* Price ``amount`` is stored and returned exactly as sent (the spec's examples disagree on units:
  ``99.99`` in the request, ``199999`` in the response). A ``recurring`` price needs
  ``recurring``; a ``one_time`` price does not keep one.
* Fields the request DTOs accept but the response DTOs lack (product ``medias``,
  ``isLabelEnabled``, ``seo``, ``taxInclusive``; price ``sku``, ``description``,
  ``shippingOptions``, ``isDigitalProduct``, ``setupFee``, ``meta``, ``trialPeriod``,
  ``totalCycles``, ``digitalDelivery``) are stored but never returned.
* The collections list answers its items as objects (``CollectionSchema``), although
  ``ListCollectionResponseDto`` types ``data`` as an array of arrays (a spec bug).
* Deleting a product deletes its prices. An unknown product or price answers **400**
  ``"Product not found"`` / ``"Price not found"``: the spec documents ``400 "Product not found"``
  (``GET /products/{productId}``) and no 404 for any product or price operation. An unknown
  collection answers 404 (not documented by the spec).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import SandboxHTTPError, bad_request, not_found, unprocessable
from ghlops.sandbox.ids import object_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store, StoredObject

JSON = Any

routes = RouteTable("products")
routes.kind("products", schema="DefaultProductResponseDto")
routes.kind("prices", schema="DefaultPriceResponseDto")
routes.kind("productCollections", schema="CollectionSchema")

DELETED = {"status": True}

PRODUCT_NOT_FOUND = "Product not found"
PRICE_NOT_FOUND = "Price not found"
COLLECTION_NOT_FOUND = "Collection not found"

# Request fields of the product DTOs the sandbox stores (``locationId`` and ``prices`` aside).
_PRODUCT_FIELDS = (
    "name",
    "description",
    "productType",
    "image",
    "statementDescriptor",
    "availableInStore",
    "medias",
    "variants",
    "collectionIds",
    "isTaxesEnabled",
    "taxes",
    "automaticTaxCategoryId",
    "isLabelEnabled",
    "label",
    "slug",
    "seo",
    "taxInclusive",
)
# Request fields of the price DTOs the sandbox stores (``locationId`` aside).
_PRICE_FIELDS = (
    "name",
    "type",
    "currency",
    "amount",
    "recurring",
    "description",
    "membershipOffers",
    "trialPeriod",
    "totalCycles",
    "setupFee",
    "variantOptionIds",
    "compareAtPrice",
    "userId",
    "meta",
    "trackInventory",
    "availableQuantity",
    "allowOutOfStockPurchases",
    "sku",
    "shippingOptions",
    "isDigitalProduct",
    "digitalDelivery",
)
_COLLECTION_FIELDS = ("name", "slug", "image", "seo")


def now() -> str:
    """The current time as GHL writes it: ISO 8601, milliseconds, ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def slugify(name: str) -> str:
    """``"Teeth Whitening!"`` -> ``"teeth-whitening"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "product"


def _page(ctx: RequestContext, items: list[Any], default_limit: int) -> list[Any]:
    """``limit``/``offset`` as the spec declares them (numbers; a limit of 0 means no limit)."""
    try:
        limit = int(float(ctx.query.get("limit", default_limit)))
        offset = int(float(ctx.query.get("offset", 0)))
    except ValueError:  # pragma: no cover - the query validator refuses non-numbers first
        raise bad_request("limit and offset must be numbers") from None
    if limit < 0 or offset < 0:
        raise bad_request("limit and offset must not be negative")
    return items[offset : offset + limit] if limit else items[offset:]


def _body_location(ctx: RequestContext, field: str = "locationId") -> str:
    """The location a write body names (it must be the token's own)."""
    location_id = str(ctx.body[field])
    ctx.check_location(location_id)
    return location_id


def _owned(
    store: Store, kind: str, object_id_: str, location_id: str, missing: str
) -> StoredObject:
    obj = store.get(kind, object_id_)
    if obj is None or obj.location_id != location_id:
        raise _missing(missing)
    return obj


def _missing(message: str) -> SandboxHTTPError:
    """An unknown object: 400 for products and prices (as the spec documents), else 404."""
    if message in (PRODUCT_NOT_FOUND, PRICE_NOT_FOUND):
        return bad_request(message)  # shaped like BadRequestDTO
    return not_found(message)


def _copy(body: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: body[name] for name in names if body.get(name) is not None}


# -- collections -----------------------------------------------------------------------------


def _collection_slug_taken(
    store: Store, location_id: str, slug: str, but: str | None = None
) -> bool:
    return any(
        o.data.get("slug") == slug and o.id != but
        for o in store.list(location_id, "productCollections")
    )


def _new_collection(store: Store, location_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    if _collection_slug_taken(store, location_id, str(fields["slug"])):
        raise bad_request(f"Collection with slug {fields['slug']} already exists")
    wanted = fields.get("collectionId") or fields.get("_id")
    if wanted is not None and (
        not re.fullmatch(r"[0-9a-f]{24}", str(wanted)) or store.get("productCollections", wanted)
    ):
        raise bad_request(f"collectionId {wanted} is not a free Mongo id")
    collection: dict[str, Any] = {
        "_id": str(wanted or object_id()),
        "altId": location_id,
        "name": fields["name"],
        "slug": fields["slug"],
        "image": fields.get("image") or "",
        "seo": dict(fields.get("seo") or {}),
        "createdAt": now(),
    }
    store.insert(location_id, "productCollections", collection["_id"], collection)
    return collection


@routes.seeder("productCollections")
def seed_collection(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A collection as the GHL UI makes it: ``{"name", "slug"}`` plus optional fields."""
    return str(_new_collection(store, location_id, fields)["_id"])


@routes.get("/products/collections")
def list_collections(ctx: RequestContext) -> JSON:
    location_id = str(ctx.query["altId"])
    ctx.check_location(location_id)
    found = [o.data for o in ctx.store.list(location_id, "productCollections")]
    if ctx.query.get("collectionIds"):
        wanted = set(ctx.query["collectionIds"].split(","))
        found = [c for c in found if c["_id"] in wanted]
    if ctx.query.get("name"):
        needle = ctx.query["name"].lower()
        found = [c for c in found if needle in str(c["name"]).lower()]
    page = _page(ctx, found, 10)
    return {"data": [ctx.render("productCollections", c) for c in page], "total": len(found)}


@routes.post("/products/collections")
def create_collection(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx, "altId")
    collection = _new_collection(ctx.store, location_id, ctx.body)
    return {"data": ctx.render("productCollections", collection)}


@routes.get("/products/collections/{collectionId}")
def get_collection(ctx: RequestContext) -> JSON:
    location_id = str(ctx.query["altId"])
    ctx.check_location(location_id)
    obj = _owned(
        ctx.store,
        "productCollections",
        ctx.path_params["collectionId"],
        location_id,
        COLLECTION_NOT_FOUND,
    )
    return {"data": ctx.render("productCollections", obj.data), "status": True}


@routes.put("/products/collections/{collectionId}")
def update_collection(ctx: RequestContext) -> JSON:
    # Partial: only altId and altType are required.
    location_id = _body_location(ctx, "altId")
    obj = _owned(
        ctx.store,
        "productCollections",
        ctx.path_params["collectionId"],
        location_id,
        COLLECTION_NOT_FOUND,
    )
    collection = obj.data
    slug = ctx.body.get("slug")
    if slug is not None and _collection_slug_taken(ctx.store, location_id, slug, but=obj.id):
        raise bad_request(f"Collection with slug {slug} already exists")
    collection.update(_copy(ctx.body, _COLLECTION_FIELDS))
    ctx.store.update("productCollections", obj.id, collection)
    return {"status": True, "message": "Successfully updated"}


@routes.delete("/products/collections/{collectionId}")
def delete_collection(ctx: RequestContext) -> JSON:
    location_id = str(ctx.query["altId"])
    ctx.check_location(location_id)
    gone = ctx.path_params["collectionId"]
    _owned(ctx.store, "productCollections", gone, location_id, COLLECTION_NOT_FOUND)
    ctx.store.delete("productCollections", gone)
    for product in ctx.store.list(location_id, "products"):
        ids = product.data.get("collectionIds") or []
        if gone in ids:
            product.data["collectionIds"] = [i for i in ids if i != gone]
            ctx.store.update("products", product.id, product.data)
    return {"status": True, "message": "Successfully deleted"}


# -- products --------------------------------------------------------------------------------


def _unique_product_slug(store: Store, location_id: str, base: str, but: str | None) -> str:
    taken = {o.data.get("slug") for o in store.list(location_id, "products") if o.id != but}
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _product_document(
    store: Store,
    location_id: str,
    body: Mapping[str, Any],
    *,
    existing: StoredObject | None = None,
) -> dict[str, Any]:
    """The stored product for a create (``existing`` None) or a full-replacement update."""
    fields = _copy(body, _PRODUCT_FIELDS)
    but = existing.id if existing else None
    slug = fields.get("slug")
    if slug is not None:
        taken = {o.data.get("slug") for o in store.list(location_id, "products") if o.id != but}
        if slug in taken:
            raise bad_request(f"Product with slug {slug} already exists")
    elif existing is not None and existing.data.get("slug"):
        fields["slug"] = existing.data["slug"]
    else:
        fields["slug"] = _unique_product_slug(store, location_id, slugify(fields["name"]), but)
    collections = {o.id for o in store.list(location_id, "productCollections")}
    unknown = [c for c in fields.get("collectionIds", []) if c not in collections]
    if unknown:
        raise bad_request(f"Invalid collection id(s): {', '.join(unknown)}")
    stamp = now()
    return {
        "_id": existing.id if existing else object_id(),
        "locationId": location_id,
        "variants": [],
        "collectionIds": [],
        "isTaxesEnabled": False,
        "taxes": [],
        **fields,
        "createdAt": existing.data["createdAt"] if existing else stamp,
        "updatedAt": stamp,
    }


@routes.seeder("products")
def seed_product(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A product as the GHL UI makes it: ``{"name", "productType"}`` plus optional fields."""
    fields.setdefault("productType", "DIGITAL")
    product = _product_document(store, location_id, fields)
    store.insert(location_id, "products", product["_id"], product)
    return str(product["_id"])


def _find_product(ctx: RequestContext, wanted: str, location_id: str) -> StoredObject:
    """A product by id or by slug (the spec: "ID or the slug of the product")."""
    obj = ctx.store.get("products", wanted)
    if obj is not None and obj.location_id == location_id:
        return obj
    for other in ctx.store.list(location_id, "products"):
        if other.data.get("slug") == wanted:
            return other
    raise _missing(PRODUCT_NOT_FOUND)


@routes.get("/products/")
def list_products(ctx: RequestContext) -> JSON:
    location_id = ctx.location_id
    found = [o.data for o in ctx.store.list(location_id, "products")]
    if ctx.query.get("search"):
        needle = ctx.query["search"].lower()
        found = [p for p in found if needle in str(p["name"]).lower()]
    wanted: set[str] = set()
    if ctx.query.get("collectionIds"):
        wanted |= set(ctx.query["collectionIds"].split(","))
    if ctx.query.get("collectionSlug"):
        slug = ctx.query["collectionSlug"]
        wanted |= {
            o.id
            for o in ctx.store.list(location_id, "productCollections")
            if o.data.get("slug") == slug
        }
    if ctx.query.get("collectionIds") or ctx.query.get("collectionSlug"):
        found = [p for p in found if wanted & set(p.get("collectionIds") or [])]
    if "availableInStore" in ctx.query:
        flag = ctx.query["availableInStore"] == "true"
        found = [p for p in found if bool(p.get("availableInStore")) is flag]
    if ctx.query.get("sortOrder") == "desc":
        found.reverse()
    page = _page(ctx, found, 0)
    return {
        "products": [ctx.render("products", p) for p in page],
        "total": [{"total": len(found)}],
    }


@routes.post("/products/")
def create_product(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    product = _product_document(ctx.store, location_id, ctx.body)
    ctx.store.insert(location_id, "products", product["_id"], product)
    return ctx.render("products", product)


@routes.get("/products/{productId}")
def get_product(ctx: RequestContext) -> JSON:
    product = _find_product(ctx, ctx.path_params["productId"], ctx.location_id)
    return ctx.render("products", product.data)


@routes.put("/products/{productId}")
def update_product(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    existing = _find_product(ctx, ctx.path_params["productId"], location_id)
    product = _product_document(ctx.store, location_id, ctx.body, existing=existing)
    ctx.store.update("products", existing.id, product)
    return ctx.render("products", product)


@routes.delete("/products/{productId}")
def delete_product(ctx: RequestContext) -> JSON:
    product = _find_product(ctx, ctx.path_params["productId"], ctx.location_id)
    ctx.store.delete("products", product.id)  # its prices are stored under it and go too
    return DELETED


# -- prices ----------------------------------------------------------------------------------


def _price_document(
    location_id: str,
    product_id: str,
    body: Mapping[str, Any],
    *,
    existing: StoredObject | None = None,
) -> dict[str, Any]:
    """The stored price for a create or a full-replacement update."""
    fields = _copy(body, _PRICE_FIELDS)
    if fields["type"] == "recurring":
        if "recurring" not in fields:
            raise unprocessable(["recurring must be provided when type is recurring"])
    else:
        fields.pop("recurring", None)
    stamp = now()
    return {
        "_id": existing.id if existing else object_id(),
        "product": product_id,
        "locationId": location_id,
        "membershipOffers": [],
        "variantOptionIds": [],
        **fields,
        "createdAt": existing.data["createdAt"] if existing else stamp,
        "updatedAt": stamp,
    }


@routes.seeder("prices")
def seed_price(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A price of the product ``fields["product"]`` (an id): ``name``, ``type``, ``currency``,
    ``amount`` (defaults: one_time, USD, 0)."""
    if "product" not in fields:
        raise ValueError("a seeded price needs 'product': the id of its product")
    product_id = str(fields.pop("product"))
    _owned(store, "products", product_id, location_id, PRODUCT_NOT_FOUND)
    fields.setdefault("type", "one_time")
    fields.setdefault("currency", "USD")
    fields.setdefault("amount", 0)
    price = _price_document(location_id, product_id, fields)
    store.insert(location_id, "prices", price["_id"], price, parent_id=product_id)
    return str(price["_id"])


def _product_of(ctx: RequestContext, location_id: str) -> StoredObject:
    return _owned(
        ctx.store, "products", ctx.path_params["productId"], location_id, PRODUCT_NOT_FOUND
    )


def _price_of(ctx: RequestContext, product: StoredObject) -> StoredObject:
    price = _owned(
        ctx.store, "prices", ctx.path_params["priceId"], product.location_id, PRICE_NOT_FOUND
    )
    if price.parent_id != product.id:
        raise _missing(PRICE_NOT_FOUND)
    return price


@routes.get("/products/{productId}/price")
def list_prices(ctx: RequestContext) -> JSON:
    product = _product_of(ctx, ctx.location_id)
    found = [o.data for o in ctx.store.list(product.location_id, "prices", parent_id=product.id)]
    if ctx.query.get("ids"):
        wanted = set(ctx.query["ids"].split(","))
        found = [p for p in found if p["_id"] in wanted]
    page = _page(ctx, found, 0)
    return {"prices": [ctx.render("prices", p) for p in page], "total": len(found)}


@routes.post("/products/{productId}/price")
def create_price(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    product = _product_of(ctx, location_id)
    price = _price_document(location_id, product.id, ctx.body)
    ctx.store.insert(location_id, "prices", price["_id"], price, parent_id=product.id)
    return ctx.render("prices", price)


@routes.get("/products/{productId}/price/{priceId}")
def get_price(ctx: RequestContext) -> JSON:
    price = _price_of(ctx, _product_of(ctx, ctx.location_id))
    return ctx.render("prices", price.data)


@routes.put("/products/{productId}/price/{priceId}")
def update_price(ctx: RequestContext) -> JSON:
    location_id = _body_location(ctx)
    product = _product_of(ctx, location_id)
    existing = _price_of(ctx, product)
    price = _price_document(location_id, product.id, ctx.body, existing=existing)
    ctx.store.update("prices", existing.id, price)
    return ctx.render("prices", price)


@routes.delete("/products/{productId}/price/{priceId}")
def delete_price(ctx: RequestContext) -> JSON:
    price = _price_of(ctx, _product_of(ctx, ctx.location_id))
    ctx.store.delete("prices", price.id)
    return DELETED
