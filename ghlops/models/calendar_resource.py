"""Manifest model for ``calendarResources``: rooms and equipments that service calendars book
(apps/calendars.json ``/calendars/resources/{resourceType}``, Version 2021-04-15).

Field names are GHL's own (``#CreateCalendarResourceDTO``) except two that are ghlops' own:

* ``resourceType`` (``rooms`` or ``equipments``) is the path segment the API files it under;
* ``calendars``: the calendars the resource is mapped to, by their natural key in ``calendars``
  (slug, or name when a calendar has no slug), sent as ``calendarIds``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ghlops.models.base import ManagedSpec

ResourceType = Literal["rooms", "equipments"]


class CalendarResource(ManagedSpec):
    """A room or an equipment, matched by ``name`` within its ``resourceType``."""

    resourceType: ResourceType = Field(
        description="rooms or equipments; part of the identity (a resource never changes type)"
    )
    name: str = Field(min_length=1, description="Unique within its resourceType in ghlops")
    description: str = Field(min_length=1, description="Required (non-empty) by the API on create")
    quantity: int | float | None = Field(
        default=None, ge=0, description="How many of the equipment exist (sent as 1 when omitted)"
    )
    outOfService: int | float | None = Field(
        default=None, ge=0, description="How many are out of service (sent as 0 when omitted)"
    )
    capacity: int | float | None = Field(
        default=None, ge=0, description="How many people the room holds (sent as 1 when omitted)"
    )
    calendars: list[str] | None = Field(
        default=None,
        max_length=100,
        description="Calendars (slug, or name without a slug) declared in calendars; one "
        "equipment maps to at most one service calendar, a room to several. Order is ignored",
    )
    isActive: bool | None = Field(
        default=None, description="Active or not (the API makes new resources active)"
    )
