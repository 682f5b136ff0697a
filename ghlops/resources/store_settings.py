"""Adapter for ``storeSettings`` (apps/store.json ``/store/store-setting``), a singleton.

GET /store/store-setting?altId=&altType=location answers ``{"status", "message", "data":
#StoreSettingSchema}``; POST /store/store-setting (``altId``, ``altType``, ``shippingOrigin``
required, the notifications optional) creates or updates the location's settings and answers
201 with the same envelope. The store spec declares no Version: 2021-07-28 is sent (the
gateway requires one, API notes appendix E).

A location that has never saved its store settings has none: the spec documents only a 200,
so ghlops reads any of a 404, a 400 saying "not found", or a 200 whose ``data`` is missing,
null or empty as "no settings yet" (an empty object, which the update POSTs whole).

``shippingOrigin.country`` is typed ``number`` in the spec with one nested list of country
codes as its enum and the example ``"US"``: ghlops sends and compares the code as a string
(docs/api-assumptions.md). Compared: the fields the manifest sets, nested ones included; the
POST sends the whole object (live values merged with the declared ones), so it converges
whether the API replaces the settings or merges them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ghlops.client.errors import ApiError
from ghlops.models.store_settings import StoreSettings
from ghlops.resources.alt_located import location_params
from ghlops.resources.base import Ctx
from ghlops.resources.singleton import SingletonAdapter

VERSION = "2021-07-28"  # not declared by apps/store.json; sent as the safe default
PATH = "/store/store-setting"
_ORIGIN = ("name", "country", "state", "city", "street1", "street2", "zip", "phone", "email")
_NOTIFICATION = ("enabled", "subject", "emailTemplateId", "defaultEmailTemplateId")
_NOTIFICATIONS = ("storeOrderNotification", "storeOrderFulfillmentNotification")


def _none_yet(exc: ApiError) -> bool:
    """A read answered "this location has no settings" (404, or 400 saying not found)."""
    return exc.status == 404 or (exc.status == 400 and "not found" in exc.detail.lower())


class StoreSettingsAdapter(SingletonAdapter):
    kind = "storeSettings"
    singular = "store settings"
    model = StoreSettings
    version = VERSION
    compare_fields = ("shippingOrigin", *_NOTIFICATIONS)
    required_paths = (
        "shippingOrigin",
        *(f"shippingOrigin.{f}" for f in ("name", "country", "city", "street1", "zip")),
        *(f"{n}.{f}" for n in _NOTIFICATIONS for f in _NOTIFICATION),
    )

    def read_one(self, ctx: Ctx) -> Mapping[str, Any] | None:
        try:
            body = ctx.api.request("GET", PATH, version=self.version, params=location_params(ctx))
        except ApiError as exc:
            if _none_yet(exc):
                return None
            raise
        data = body.get("data") if isinstance(body, Mapping) else None
        if data is not None and not isinstance(data, Mapping):
            raise TypeError(f"'data' of GET {PATH} is not an object")
        return data or None

    def live_fields(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        origin = raw.get("shippingOrigin")
        if isinstance(origin, Mapping):
            fields["shippingOrigin"] = {
                k: _text(origin[k]) for k in _ORIGIN if origin.get(k) is not None
            }
        for name in _NOTIFICATIONS:
            notification = raw.get(name)
            if isinstance(notification, Mapping):
                fields[name] = {
                    k: notification[k] for k in _NOTIFICATION if notification.get(k) is not None
                }
        return fields

    def write(self, ctx: Ctx, fields: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
        body = {
            **location_params(ctx),
            **{k: fields[k] for k in self.compare_fields if k in fields},
        }
        ctx.api.request("POST", PATH, version=self.version, json=body)


def _text(value: Any) -> Any:
    """A country or zip the API may answer as a number (``country`` is typed so): as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value
