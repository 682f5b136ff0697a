"""The registry of resource kinds, in dependency order.

Adding a kind means writing its adapter module and listing it here.
"""

from __future__ import annotations

from ghlops.resources.associations import AssociationAdapter
from ghlops.resources.base import Adapter
from ghlops.resources.calendar_groups import CalendarGroupAdapter
from ghlops.resources.calendar_notifications import CalendarNotificationAdapter
from ghlops.resources.calendar_resources import CalendarResourceAdapter
from ghlops.resources.calendars import CalendarAdapter
from ghlops.resources.coupons import CouponAdapter
from ghlops.resources.custom_fields import CustomFieldAdapter
from ghlops.resources.custom_menu_links import CustomMenuLinkAdapter
from ghlops.resources.custom_object_fields import (
    CustomObjectFieldAdapter,
    CustomObjectFolderAdapter,
)
from ghlops.resources.custom_objects import CustomObjectAdapter
from ghlops.resources.custom_values import CustomValueAdapter
from ghlops.resources.location_settings import LocationSettingsAdapter
from ghlops.resources.pipelines import PipelineAdapter
from ghlops.resources.prices import PriceAdapter
from ghlops.resources.product_collections import ProductCollectionAdapter
from ghlops.resources.products import ProductAdapter
from ghlops.resources.redirects import RedirectAdapter
from ghlops.resources.shipping_carriers import ShippingCarrierAdapter
from ghlops.resources.shipping_rates import ShippingRateAdapter
from ghlops.resources.shipping_zones import ShippingZoneAdapter
from ghlops.resources.store_settings import StoreSettingsAdapter
from ghlops.resources.tags import TagAdapter
from ghlops.resources.trigger_links import TriggerLinkAdapter

_ADAPTERS: tuple[Adapter, ...] = (
    TagAdapter(),
    CustomFieldAdapter(),
    CustomValueAdapter(),
    CalendarGroupAdapter(),  # before calendars, which refer to groups by slug
    CalendarAdapter(),
    CalendarNotificationAdapter(),  # nested in calendars; after them
    CalendarResourceAdapter(),  # after calendars, which it names
    RedirectAdapter(),
    TriggerLinkAdapter(),
    PipelineAdapter(),
    ShippingCarrierAdapter(),  # before zones and their rates, which name carriers
    ShippingZoneAdapter(),
    ShippingRateAdapter(),  # nested in shippingZones; after them
    ProductCollectionAdapter(),  # before products, which name them by slug
    ProductAdapter(),
    PriceAdapter(),  # nested in products; after them
    CouponAdapter(),  # after products, which it names by slug
    CustomObjectAdapter(),  # objects -> their folders -> their fields -> associations
    CustomObjectFolderAdapter(),  # nested in customObjects; before the fields placed in them
    CustomObjectFieldAdapter(),  # nested in customObjects
    AssociationAdapter(),  # after the custom objects it names by key
    StoreSettingsAdapter(),  # a singleton: one per location, only updated
    LocationSettingsAdapter(),  # a singleton written with the agency token
    CustomMenuLinkAdapter(),  # agency-level: planned once, under "agency"
)

ADAPTERS: dict[str, Adapter] = {a.kind: a for a in _ADAPTERS}
if len(ADAPTERS) != len(_ADAPTERS):  # pragma: no cover - a programming error caught at import
    raise RuntimeError("two adapters claim the same kind")


def kinds() -> list[str]:
    """Every kind in dependency order (create order), nested kinds included."""
    return list(ADAPTERS)


def bundle_kinds() -> list[str]:
    """The top-level keys of a bundle file (nested kinds live inside their parent's items)."""
    return [k for k, a in ADAPTERS.items() if a.parent_kind is None]


def children_of(kind: str) -> list[Adapter]:
    return [a for a in ADAPTERS.values() if a.parent_kind == kind]


def get(kind: str) -> Adapter:
    return ADAPTERS[kind]
