"""Manifest model for ``customValues``."""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ManagedSpec


class CustomValue(ManagedSpec):
    """A location custom value (merge field ``{{ custom_values.<key> }}``)."""

    name: str = Field(min_length=1, description="Custom value name; its identity")
    value: str = Field(description="The value")
