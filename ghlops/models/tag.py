"""Manifest model for ``tags``."""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ManagedSpec


class Tag(ManagedSpec):
    """A contact tag of a location. Its name is its identity."""

    name: str = Field(min_length=1, description="Tag name")
