"""Adapter for ``shippingCarriers`` (apps/store.json; no Version declared, 2021-07-28 sent).

GET /store/shipping-carrier?altId=&altType=location answers every carrier at once (``{"status",
"message", "data": [...]}``, no pagination); POST (``altId``, ``altType``, ``name``,
``callbackUrl`` required; 201 ``{"status", "message", "data"}``), PUT /{id} (partial),
DELETE /{id}?altId=&altType=location. Ids are 24-hex (``_id``).

Identity: ``name`` (shipping rates name their carrier by it). Compared: ``name``,
``callbackUrl``, ``services`` (order kept), ``allowsMultipleServiceSelection``, each only when
the manifest sets it. A rename with ``renamedFrom`` keeps the carrier, so its rates keep it.

Carriers are often installed by Marketplace apps rather than declared: rates may name such a
carrier without declaring it (see shipping_rates.py). Deleting a carrier (only with
``policy.prune``) is destructive: the rates that use it can no longer quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.models.shipping_carrier import ShippingCarrier
from ghlops.resources.alt_located import AltLocatedAdapter, location_params
from ghlops.resources.base import Ctx, LiveItem
from ghlops.resources.keyed import NamedAdapter, live_of

VERSION = "2021-07-28"  # not declared by apps/store.json; sent as the safe default
PATH = "/store/shipping-carrier"
_FIELDS = ("name", "callbackUrl", "services", "allowsMultipleServiceSelection")


def list_carriers(ctx: Ctx) -> list[Mapping[str, Any]]:
    """The location's shipping carriers (not paginated: ``{"status", "message", "data"}``)."""
    body = ctx.api.request("GET", PATH, version=VERSION, params=location_params(ctx))
    carriers = body["data"]
    if not isinstance(carriers, list):
        raise TypeError(f"'data' of GET {PATH} is not a list")
    return carriers


class ShippingCarrierAdapter(AltLocatedAdapter, NamedAdapter):
    kind = "shippingCarriers"
    singular = "shipping carrier"
    model = ShippingCarrier
    version = VERSION
    path = PATH
    compare_fields = _FIELDS
    export_defaults = {"services": [], "allowsMultipleServiceSelection": False}

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields: dict[str, Any] = {k: raw[k] for k in _FIELDS if raw.get(k) is not None}
        fields["services"] = [
            {"name": s.get("name"), "value": s.get("value")} for s in raw.get("services") or ()
        ]
        fields["allowsMultipleServiceSelection"] = bool(raw.get("allowsMultipleServiceSelection"))
        return live_of(self, raw["_id"], fields, raw)

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return ("the shipping rates that use it can no longer quote",)

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        return [self.live_item(raw) for raw in list_carriers(ctx)]
