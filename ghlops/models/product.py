"""Manifest models for ``products`` and their nested ``prices`` (apps/products.json).

Field names are the API's, except ``collections``: the product's collections by slug (the API's
``collectionIds`` hold ids, which differ per location). Fields the API accepts but never returns
are marked write-only: ghlops sends them but cannot compare them with the live product.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ghlops.models.base import ManagedSpec, ResourceSpec

ProductType = Literal["DIGITAL", "PHYSICAL", "SERVICE", "PHYSICAL/DIGITAL"]
PriceType = Literal["one_time", "recurring"]
SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
WRITE_ONLY = "Write-only: sent to GHL, never read back, so never compared. "


class Recurring(ResourceSpec):
    interval: Literal["day", "week", "month", "year"] = Field(description="Billing interval")
    intervalCount: int = Field(ge=1, description="Number of intervals between two charges")


class ShippingWeight(ResourceSpec):
    value: float = Field(ge=0)
    unit: Literal["kg", "lb", "g", "oz"]


class ShippingDimensions(ResourceSpec):
    height: float = Field(ge=0)
    width: float = Field(ge=0)
    length: float = Field(ge=0)
    unit: Literal["cm", "in", "m"]


class ShippingOptions(ResourceSpec):
    weight: ShippingWeight | None = None
    dimensions: ShippingDimensions | None = None


class Price(ManagedSpec):
    """A price of a product, matched by ``name`` within its product."""

    name: str = Field(min_length=1, description="Price name; unique within its product")
    type: PriceType = Field(description="one_time or recurring")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")
    amount: float = Field(
        ge=0,
        description="Amount in major units as written (199 = 199.00); sent to GHL unchanged",
    )
    recurring: Recurring | None = Field(
        default=None, description="Required for (and only for) recurring prices"
    )
    compareAtPrice: float | None = Field(default=None, ge=0, description="Strike-through price")
    trackInventory: bool | None = None
    availableQuantity: int | None = Field(default=None, ge=0)
    allowOutOfStockPurchases: bool | None = None
    description: str | None = Field(default=None, description=WRITE_ONLY)
    sku: str | None = Field(default=None, description=WRITE_ONLY)
    setupFee: float | None = Field(default=None, ge=0, description=WRITE_ONLY)
    trialPeriod: int | None = Field(default=None, ge=0, description=WRITE_ONLY + "Days")
    totalCycles: int | None = Field(default=None, ge=1, description=WRITE_ONLY)
    isDigitalProduct: bool | None = Field(default=None, description=WRITE_ONLY)
    digitalDelivery: list[str] | None = Field(default=None, description=WRITE_ONLY)
    shippingOptions: ShippingOptions | None = Field(default=None, description=WRITE_ONLY)

    @model_validator(mode="after")
    def _recurring_matches_type(self) -> Price:
        if self.type == "recurring" and self.recurring is None:
            raise ValueError("a recurring price needs 'recurring' (interval, intervalCount)")
        if self.type == "one_time" and self.recurring is not None:
            raise ValueError("a one_time price cannot have 'recurring'")
        return self


class ProductLabel(ResourceSpec):
    title: str = Field(min_length=1)
    startDate: str | None = Field(default=None, description="YYYY-MM-DDTHH:mm:ssZ")
    endDate: str | None = Field(default=None, description="YYYY-MM-DDTHH:mm:ssZ")


class ProductMedia(ResourceSpec):
    id: str = Field(min_length=1, description="Your id for the media item")
    url: str = Field(min_length=1)
    type: Literal["image", "video"]
    title: str | None = None
    isFeatured: bool | None = None


class ProductSeo(ResourceSpec):
    title: str | None = None
    description: str | None = None


class Product(ManagedSpec):
    """A product, matched by ``slug`` when given, else by ``name``; its prices are nested."""

    name: str = Field(min_length=1, description="Product name")
    slug: str | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        description="Store address of the product; when given the product is matched by it "
        "(a rename keeps the product), else by name",
    )
    productType: ProductType = Field(description="DIGITAL, PHYSICAL, SERVICE or PHYSICAL/DIGITAL")
    description: str | None = None
    image: str | None = Field(default=None, description="Image URL")
    statementDescriptor: str | None = Field(default=None, description="Card statement text")
    availableInStore: bool | None = None
    collections: list[str] | None = Field(
        default=None,
        description="Slugs of product collections of the location (made in GHL); order ignored",
    )
    label: ProductLabel | None = None
    medias: list[ProductMedia] | None = Field(default=None, description=WRITE_ONLY)
    isLabelEnabled: bool | None = Field(default=None, description=WRITE_ONLY)
    seo: ProductSeo | None = Field(default=None, description=WRITE_ONLY)
    taxInclusive: bool | None = Field(default=None, description=WRITE_ONLY)
    prices: list[Price] | None = Field(
        default=None, description="The product's prices, matched by name within the product"
    )

    @model_validator(mode="after")
    def _unique_price_names(self) -> Product:
        seen: set[str] = set()
        for price in self.prices or ():
            if price.name in seen:
                raise ValueError(f"two prices are named {price.name!r}")
            seen.add(price.name)
        return self
