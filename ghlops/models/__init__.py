"""Manifest item models, one module per resource kind."""

from ghlops.models.base import ResourceSpec
from ghlops.models.custom_field import CustomField
from ghlops.models.custom_value import CustomValue
from ghlops.models.tag import Tag

__all__ = ["CustomField", "CustomValue", "ResourceSpec", "Tag"]
