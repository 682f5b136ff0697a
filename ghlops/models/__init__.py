"""Manifest item models, one module per resource kind."""

from ghlops.models.association import Association
from ghlops.models.base import ResourceSpec
from ghlops.models.calendar import Calendar, CalendarGroup
from ghlops.models.calendar_notification import CalendarNotification, NotificationSchedule
from ghlops.models.calendar_resource import CalendarResource
from ghlops.models.coupon import Coupon, FuturePayments
from ghlops.models.custom_field import CustomField
from ghlops.models.custom_menu_link import CustomMenuLink
from ghlops.models.custom_object import CustomObject, CustomObjectField, CustomObjectFolder
from ghlops.models.custom_value import CustomValue
from ghlops.models.location_settings import LocationFlags, LocationSettings, SocialLinks
from ghlops.models.pipeline import Pipeline
from ghlops.models.product import Price, Product
from ghlops.models.product_collection import CollectionSeo, ProductCollection
from ghlops.models.redirect import Redirect
from ghlops.models.shipping import ShippingRate, ShippingZone
from ghlops.models.shipping_carrier import CarrierService, ShippingCarrier
from ghlops.models.store_settings import OrderNotification, ShippingOrigin, StoreSettings
from ghlops.models.tag import Tag
from ghlops.models.trigger_link import TriggerLink

__all__ = [
    "Association",
    "Calendar",
    "CalendarGroup",
    "CalendarNotification",
    "CalendarResource",
    "CarrierService",
    "CollectionSeo",
    "Coupon",
    "CustomField",
    "CustomMenuLink",
    "CustomObject",
    "CustomObjectField",
    "CustomObjectFolder",
    "CustomValue",
    "FuturePayments",
    "LocationFlags",
    "LocationSettings",
    "NotificationSchedule",
    "OrderNotification",
    "Pipeline",
    "Price",
    "Product",
    "ProductCollection",
    "Redirect",
    "ResourceSpec",
    "ShippingCarrier",
    "ShippingOrigin",
    "ShippingRate",
    "ShippingZone",
    "SocialLinks",
    "StoreSettings",
    "Tag",
    "TriggerLink",
]
