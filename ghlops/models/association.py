"""Manifest model for ``associations`` (apps/associations.json): a named link type between two
objects (``contact``, ``opportunity``, ``business`` or a custom object), with a label per side."""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ManagedSpec

OBJECT_PATTERN = r"^(contact|opportunity|business|custom_objects\.[a-z0-9]+(?:_[a-z0-9]+)*)$"
STANDARD_OBJECTS = ("contact", "opportunity", "business")


class Association(ManagedSpec):
    """An association between two object types. Its objects cannot change after creation (a
    change replaces it, and GHL deletes every relation made with it)."""

    key: str = Field(
        pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$",
        description="The association's identity, e.g. pet_owner (lowercase, underscores)",
    )
    firstObjectKey: str = Field(
        pattern=OBJECT_PATTERN,
        description="contact, opportunity, business, or a custom object's key "
        "(custom_objects.pets); cannot change",
    )
    firstObjectLabel: str = Field(min_length=1, description="What the first side is called")
    secondObjectKey: str = Field(
        pattern=OBJECT_PATTERN,
        description="contact, opportunity, business, or a custom object's key; cannot change",
    )
    secondObjectLabel: str = Field(min_length=1, description="What the second side is called")
