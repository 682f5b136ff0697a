"""The sandbox's handler modules: one per emulated GHL API area.

To emulate another kind, write ``handlers/<area>.py`` with a module-level
``routes = RouteTable("<spec name>")`` and add it to :data:`MODULES` below. Operations GHL
published after the vendored specs are registered with ``routes.extension(...)``
(:func:`all_extensions`; only the v3 pipeline writes so far).
"""

from __future__ import annotations

from ghlops.sandbox.handlers import (
    associations,
    calendar_notifications,
    calendar_resources,
    calendars,
    custom_fields,
    custom_menus,
    funnels,
    links,
    locations,
    oauth,
    objects,
    opportunities,
    payments,
    products,
    store,
    sub_accounts,
    users,
)
from ghlops.sandbox.routing import Kind, Route, RouteTable, Seeder

MODULES = (
    locations,  # tags, customFields, customValues
    sub_accounts,  # the location's own record (GET/PUT /locations/{locationId})
    calendars,  # calendarGroups, calendars
    calendar_resources,  # calendarResources (rooms, equipments)
    calendar_notifications,  # calendarNotifications
    users,  # users (read-only; seeded)
    funnels,  # redirects
    links,  # triggerLinks
    opportunities,  # pipelines (+ the v3 writes, extensions), opportunities
    custom_menus,  # customMenus (agency-level)
    oauth,  # token endpoints (no stored kinds)
    products,  # products, prices, productCollections
    payments,  # coupons (after products: coupons name product ids)
    store,  # shippingZones, shippingRates, shippingCarriers (seeded)
    objects,  # customObjects (creating one makes its first folder and primary field)
    custom_fields,  # customObjectFolders, customObjectFields (Custom Fields V2)
    associations,  # associations between objects (not relations)
)

TABLES: tuple[RouteTable, ...] = tuple(module.routes for module in MODULES)


def all_routes() -> list[Route]:
    """The routes of every handler module."""
    return [route for table in TABLES for route in table.routes]


def all_extensions() -> list[Route]:
    """The extension routes of every handler module (operations the vendored specs lack)."""
    return [route for table in TABLES for route in table.extensions]


def all_kinds() -> list[Kind]:
    """The stored kinds of every handler module."""
    return [kind for table in TABLES for kind in table.kinds]


def all_seeders() -> dict[str, Seeder]:
    """Seeders by kind, from every handler module."""
    return {name: seeder for table in TABLES for name, seeder in table.seeders.items()}
