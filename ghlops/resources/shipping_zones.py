"""Adapter for ``shippingZones`` (apps/store.json); their rates are ``shippingRates``.

GET|POST /store/shipping-zone, PUT|DELETE /store/shipping-zone/{zoneId}. The location is named
by ``altId`` + ``altType=location`` (query on GET/DELETE, body on POST/PUT), never
``locationId``. No ``Version`` header is declared; ``2021-07-28`` is sent anyway. Create answers
201 ``{"status", "message", "data"}``; PUT is partial; delete answers ``{"status", "message"}``.
Ids are 24-hex ObjectIds. The list is paginated limit/offset with a ``total``; every page is
read. ``withShippingRate`` is not used: rates are read per zone from their own paginated list
(one call per zone), so a zone with many rates is never cut short by an inline array.

Identity: ``name``. Compared: ``name`` (trivially) and ``countries``; the nested ``rates`` are
their own kind. Countries are ISO 3166-1 alpha-2 *strings*: the spec mis-types
``ShippingZoneCountryDto.code`` as a number with a nested enum, ghlops sends strings.

``countries`` is a set, not a sequence: both sides are normalised to countries sorted by code,
each with its states sorted by code, and ``states`` dropped when empty ("If states is empty,
then all states are available"), so reordering or writing ``states: []`` never diffs, whatever
order the API keeps (the sandbox keeps the order it was sent). The normalised form is also
what is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ghlops.errors import SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.models.shipping import ShippingZone
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem
from ghlops.resources.shipping_rates import (
    VERSION,
    ShippingRateAdapter,
    location_params,
    read_all,
)

ZONES_PATH = "/store/shipping-zone"


def normalise_countries(countries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Countries sorted by code, states sorted by code, empty ``states`` left out."""
    result = []
    for country in sorted(countries, key=lambda c: str(c["code"])):
        entry: dict[str, Any] = {"code": country["code"]}
        states = sorted(str(s["code"]) for s in country.get("states") or ())
        if states:
            entry["states"] = [{"code": code} for code in states]
        result.append(entry)
    return result


class ShippingZoneAdapter(Adapter):
    kind = "shippingZones"
    singular = "shipping zone"
    model = ShippingZone
    version = VERSION
    compare_fields = ("name", "countries")

    def __init__(self) -> None:
        self.rates = ShippingRateAdapter()

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields.pop("rates", None)
        fields["countries"] = normalise_countries(fields["countries"])
        return fields

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        assert isinstance(spec, ShippingZone)
        zone = super().desired_item(spec, source)
        children = tuple(self.rates.child_item(zone, rate, source) for rate in spec.rates or ())
        return replace(zone, children=children)

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        fields = {"name": raw["name"], "countries": normalise_countries(raw.get("countries") or ())}
        return LiveItem(
            self.kind,
            self.display_key(fields),
            str(raw["_id"]),
            fields,
            self.match_keys(fields),
            raw,
            identity=self.identify(fields),
        )

    # -- I/O ---------------------------------------------------------------------------------

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        return [self.live_item(zone) for zone in read_all(ctx, ZONES_PATH)]

    def _body(self, ctx: Ctx, item: DesiredItem) -> dict[str, Any]:
        return {
            **location_params(ctx),
            "name": item.fields["name"],
            "countries": normalise_countries(item.fields["countries"]),
        }

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request("POST", ZONES_PATH, version=self.version, json=self._body(ctx, item))
        return str(body["data"]["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        ctx.api.request(
            "PUT", f"{ZONES_PATH}/{object_id}", version=self.version, json=self._body(ctx, item)
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"{ZONES_PATH}/{object_id}",
            version=self.version,
            params=location_params(ctx),
        )
