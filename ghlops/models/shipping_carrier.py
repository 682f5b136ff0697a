"""Manifest model for ``shippingCarriers`` (apps/store.json ``/store/shipping-carrier``)."""

from __future__ import annotations

from pydantic import Field

from ghlops.models.base import ManagedSpec, ResourceSpec


class CarrierService(ResourceSpec):
    """One service a carrier offers (#ShippingCarrierServiceDto)."""

    name: str = Field(min_length=1, description="Service name, e.g. Priority Mail Express")
    value: str = Field(min_length=1, description="Service code, e.g. PriorityMailExpress")


class ShippingCarrier(ManagedSpec):
    """A shipping carrier of the location's store: GHL asks ``callbackUrl`` for live rates.
    Its name is its identity; shipping rates name their carrier by it (``rates[].carrier``)."""

    name: str = Field(min_length=1, description="Carrier name, e.g. FedEx; its identity")
    callbackUrl: str = Field(
        min_length=1,
        description="Public URL GHL calls to get shipping rates, e.g. "
        "https://example.com/get-shipping-rates",
    )
    services: list[CarrierService] | None = Field(
        default=None, description="Services sellers can pick in carrier rates (order kept)"
    )
    allowsMultipleServiceSelection: bool | None = Field(
        default=None,
        description="Sellers may pick several services in one rate (GHL's default: false)",
    )
