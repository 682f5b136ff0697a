"""The sandbox's handler modules: one per emulated GHL API area.

To emulate another kind, write ``handlers/<area>.py`` with a module-level
``routes = RouteTable("<spec name>")`` and add it to :data:`MODULES` below.
"""

from __future__ import annotations

from ghlops.sandbox.handlers import (
    calendars,
    custom_menus,
    funnels,
    locations,
    oauth,
    opportunities,
    products,
    store,
    users,
)
from ghlops.sandbox.routing import Kind, Route, RouteTable, Seeder

MODULES = (
    locations,  # tags, customFields, customValues
    calendars,  # calendarGroups, calendars
    users,  # users (read-only; seeded)
    funnels,  # redirects
    opportunities,  # pipelines (read-only)
    custom_menus,  # customMenus (agency-level)
    oauth,  # token endpoints (no stored kinds)
    products,  # products, prices, productCollections
    store,  # shippingZones, shippingRates, shippingCarriers (seeded)
)

TABLES: tuple[RouteTable, ...] = tuple(module.routes for module in MODULES)


def all_routes() -> list[Route]:
    """The routes of every handler module."""
    return [route for table in TABLES for route in table.routes]


def all_kinds() -> list[Kind]:
    """The stored kinds of every handler module."""
    return [kind for table in TABLES for kind in table.kinds]


def all_seeders() -> dict[str, Seeder]:
    """Seeders by kind, from every handler module."""
    return {name: seeder for table in TABLES for name, seeder in table.seeders.items()}
