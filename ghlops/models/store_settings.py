"""Manifest model for ``storeSettings`` (apps/store.json ``/store/store-setting``): a singleton.

Every field is optional: only what the manifest sets is compared and written (the rest keeps
its live value). What the API requires of the whole object (``shippingOrigin`` with its name,
country, city, street and zip; each notification with all four of its fields) is checked on
the object the update would send, live values merged with the declared ones.
"""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ResourceSpec


class ShippingOrigin(ResourceSpec):
    """Where the store ships from (#StoreShippingOriginDto)."""

    name: str | None = Field(default=None, min_length=1, description="Name of the store / company")
    country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="Country code, e.g. US (the spec's list of ISO 3166 codes)",
    )
    state: str | None = Field(default=None, min_length=1, description="State code, e.g. IL")
    city: str | None = Field(default=None, min_length=1, description="City")
    street1: str | None = Field(default=None, min_length=1, description="Street address line 1")
    street2: str | None = Field(default=None, description="Street address line 2")
    zip: str | None = Field(default=None, min_length=1, description="Zip code (quote it: text)")
    phone: str | None = Field(default=None, description="Business phone number")
    email: str | None = Field(default=None, description="Email")


class OrderNotification(ResourceSpec):
    """An order email of the store (#StoreOrderNotificationDto and its fulfillment twin)."""

    enabled: bool | None = Field(default=None, description="Whether the email is sent")
    subject: str | None = Field(default=None, description="Email subject")
    emailTemplateId: str | None = Field(default=None, description="Email template id")
    defaultEmailTemplateId: str | None = Field(
        default=None, description="Default email template id"
    )


class StoreSettings(ResourceSpec):
    """The location's store settings: one per location, declared as a mapping
    (``storeSettings: {shippingOrigin: {...}}``), only ever updated; the fields set here are
    managed, the others keep their live values."""

    shippingOrigin: ShippingOrigin | None = Field(
        default=None, description="Shipping origin address (only the fields set are managed)"
    )
    storeOrderNotification: OrderNotification | None = Field(
        default=None, description="The email sent when an order is placed"
    )
    storeOrderFulfillmentNotification: OrderNotification | None = Field(
        default=None, description="The email sent when an order is fulfilled"
    )
