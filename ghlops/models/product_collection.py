"""Manifest model for ``productCollections`` (apps/products.json ``/products/collections``)."""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ManagedSpec, ResourceSpec


class CollectionSeo(ResourceSpec):
    """What SEO previews of the collection show (#CollectionSEODto)."""

    title: str | None = Field(default=None, description="SEO title")
    description: str | None = Field(default=None, description="SEO description")


class ProductCollection(ManagedSpec):
    """A product collection of the location's store. Its slug is its identity; products name
    their collections by slug (``products[].collections``), so collections are created before
    the products that name them."""

    name: str = Field(min_length=1, description="Collection name, e.g. Best Sellers")
    slug: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The collection's identity and store address, e.g. best-sellers (no spaces "
        "or special characters, unique in the location)",
    )
    image: str | None = Field(default=None, description="URL of the collection's thumbnail image")
    seo: CollectionSeo | None = Field(
        default=None, description="What SEO previews show: title and description"
    )
