"""Adapter for ``shippingRates``, nested in ``shippingZones`` (apps/store.json).

GET|POST /store/shipping-zone/{zoneId}/shipping-rate, PUT|DELETE …/shipping-rate/{rateId}.
The location is named by ``altId`` (the location id) + ``altType=location``: query parameters on
GET/DELETE, body fields on POST/PUT. The spec declares no ``Version`` header on any store
operation; ghlops sends ``2021-07-28`` anyway (the notes' safe default). Create answers 201
``{"status", "message", "data"}``; the PUT body is all-optional (partial update); delete answers
``{"status", "message"}``. Ids are 24-hex ObjectIds. The list is paginated limit/offset with a
``total``: every page of every zone is read (one call per zone when its rates fit in a page).

Identity: ``name`` within the zone; the key is ``"<zone>/<rate>"``. Rates are declared inside
their zone in the manifest (``rates:``); the zone adapter builds them as children.

Carriers: ``carrier: <name>`` names a shipping carrier: one declared in ``shippingCarriers``
(created before the zones and their rates) or one installed by a Marketplace app. Carriers read as
their own kind (declared or pruned) are read before rates (``read_after``) and serve as the
lookup; else ``GET /store/shipping-carrier`` is called once when a declared rate names a carrier
(an export: when a live rate has one). Live ``shippingCarrierId`` values become carrier names,
and a declared name that matches no live carrier (or two) and is not declared fails that
location's plan, naming the rate and the carrier. Writes send the id the apply knows (live or
created earlier in it), else resolve the name with one more GET.
``shippingCarrierId`` is required on create even for flat rates: ghlops sends ``""`` for a rate
without a carrier (the notes' guess; unverified against the live API).

Defaults (so an omitted field does not diff forever): ``conditionType`` none,
``minCondition``/``maxCondition`` 0 (the API documents "0 or null" for no bound; a live null
reads as 0), ``isCarrierRate`` = whether ``carrier`` is set.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.models.shipping import ShippingRate
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, ExportSkip, LiveItem
from ghlops.resources.shipping_carriers import list_carriers

VERSION = "2021-07-28"  # not declared by apps/store.json; sent as the safe default
PAGE_SIZE = 100
CARRIERS = "shippingCarriers"

# Keys live_items adds to a raw rate before live_item maps it: the zone (a LiveItem) and the
# carrier's name (resolved from shippingCarrierId).
ZONE = "_zone"
CARRIER_NAME = "_carrier"

_FIELDS = (
    "name",
    "description",
    "currency",
    "amount",
    "conditionType",
    "minCondition",
    "maxCondition",
    "isCarrierRate",
    "percentageOfRateFee",
    "shippingCarrierServices",
)


def location_params(ctx: Ctx) -> dict[str, str]:
    """How every store call names the location (query on GET/DELETE, body on POST/PUT)."""
    return {"altId": ctx.location_id, "altType": "location"}


def read_all(ctx: Ctx, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
    """Every item of a store list endpoint (``{"total", "data": [...]}``, limit/offset), read
    by the client's shared paging (bounded; pages by ``total``, so a server that caps the page
    below ``PAGE_SIZE`` is still read to the end; one call when everything fits)."""
    return ctx.api.paginate(
        path,
        version=VERSION,
        items="data",
        total="total",
        params={**location_params(ctx), **(params or {})},
        page_size=PAGE_SIZE,
    )


def _whole_numbers(fields: dict[str, Any]) -> dict[str, Any]:
    """5.0 -> 5 for the numeric fields, so plans show what was written (5, not 5.0)."""
    for name in ("amount", "minCondition", "maxCondition", "percentageOfRateFee"):
        value = fields.get(name)
        if isinstance(value, float) and value.is_integer():
            fields[name] = int(value)
    return fields


def rate_key(zone: str, name: str) -> str:
    return f"{zone}/{name}"


def carrier_problem(
    rate: str,
    carrier: str,
    carriers: Sequence[Mapping[str, Any]],
    declared: Collection[str] = (),
) -> str | None:
    """Why ``carrier`` cannot be resolved among the live carriers and the names ``declared`` in
    ``shippingCarriers`` (created first), or None when it can."""
    matches = [c for c in carriers if c.get("name") == carrier]
    if len(matches) == 1 or (not matches and carrier in declared):
        return None
    if matches:
        ids = ", ".join(str(c["_id"]) for c in matches)
        return (
            f"shipping rate '{rate}': {len(matches)} shipping carriers are named "
            f"'{carrier}' ({ids}); rename one in GHL"
        )
    names = ", ".join(sorted(repr(str(c.get("name"))) for c in carriers)) or "none"
    return (
        f"shipping rate '{rate}': unknown shipping carrier '{carrier}' (carriers installed in "
        f"this location: {names}); declare it in shippingCarriers or install it in GHL"
    )


class ShippingRateAdapter(Adapter):
    kind = "shippingRates"
    singular = "shipping rate"
    model = ShippingRate
    version = VERSION
    parent_kind = "shippingZones"
    read_after = (CARRIERS,)  # when both are read: live carriers are the lookup
    compare_fields = (*_FIELDS, "carrier")

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        """The name, within the zone (the planner matches rates inside their zone)."""
        return (f"name:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        """``fields`` carries ``_zone`` (the zone's item): ``<zone>/<rate>``."""
        return rate_key(str(fields[ZONE].key), str(fields["name"]))

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields.setdefault("conditionType", "none")
        fields.setdefault("minCondition", 0)
        fields.setdefault("maxCondition", 0)
        fields.setdefault("isCarrierRate", fields.get("carrier") is not None)
        return _whole_numbers(fields)

    def child_item(
        self, zone: DesiredItem, spec: ShippingRate, source: SourcePos | None = None
    ) -> DesiredItem:
        """The desired item of one rate declared inside ``zone``."""
        fields = self.normalise_desired(spec.model_dump(exclude_none=True))
        return DesiredItem(
            kind=self.kind,
            key=self.display_key({**fields, ZONE: zone}),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
            parent=zone.key,
            identity=self.identify(fields, zone.ident),
            protect=spec.protect,
            renamed_from=spec.renamedFrom,
        )

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        raise TypeError("shipping rates are declared inside their shipping zone (rates:)")

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        """``raw`` is a rate from the API plus its zone (a LiveItem) under ``_zone`` and, when it
        has a carrier, the carrier's name under ``_carrier`` (both added by ``live_items``)."""
        fields: dict[str, Any] = {k: raw[k] for k in _FIELDS if raw.get(k) is not None}
        fields.setdefault("conditionType", "none")
        fields["minCondition"] = raw.get("minCondition") or 0
        fields["maxCondition"] = raw.get("maxCondition") or 0
        fields["isCarrierRate"] = bool(raw.get("isCarrierRate"))
        if raw.get(CARRIER_NAME) is not None:
            fields["carrier"] = raw[CARRIER_NAME]
        fields = _whole_numbers(fields)
        zone: LiveItem = raw[ZONE]
        return LiveItem(
            self.kind,
            self.display_key({**fields, ZONE: zone}),
            str(raw["_id"]),
            fields,
            self.match_keys(fields),
            raw,
            parent=zone.key,
            parent_id=zone.id,
            identity=self.identify(fields, zone.ident),
        )

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """Rates of the zones in ``ctx.live``; carriers are looked up (one GET) when a live rate
        has one or a declared rate (``ctx.desired``) names one, and a declared carrier that is
        not installed fails the plan of the location."""
        zones = {zone.id: zone for zone in ctx.live.get("shippingZones", ())}
        found = [{**raw, ZONE: zones[str(raw["shippingZoneId"])]} for raw in raws]
        declared = [
            (item.key, str(item.fields["carrier"]))
            for item in ctx.desired.get(self.kind, ())
            if item.fields.get("carrier") is not None
        ]
        live_carriers = any(rate.get("shippingCarrierId") for rate in found)
        if declared or (ctx.resolve_live_refs and live_carriers):
            if CARRIERS in ctx.live:
                carriers = [c.raw for c in ctx.live[CARRIERS]]
            else:  # carriers are not read as a kind in this run: one lookup
                carriers = list_carriers(ctx)
            known = {c.key for c in ctx.desired.get(CARRIERS, ())}
            problems = [p for r, c in declared if (p := carrier_problem(r, c, carriers, known))]
            if problems:
                raise GhlopsError("; ".join(problems))
            names = {str(c["_id"]): str(c.get("name")) for c in carriers}
            for rate in found:
                carrier_id = rate.get("shippingCarrierId")
                if carrier_id:
                    rate[CARRIER_NAME] = names.get(str(carrier_id), f"(missing {carrier_id})")
        return [self.live_item(rate) for rate in found]

    # -- I/O ---------------------------------------------------------------------------------

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raws: list[Mapping[str, Any]] = []
        for zone in ctx.live.get("shippingZones", ()):
            raws += read_all(ctx, f"/store/shipping-zone/{zone.id}/shipping-rate")
        return self.live_items(ctx, raws)

    def _carrier_id(self, ctx: Ctx, item: DesiredItem) -> str:
        carrier = item.fields.get("carrier")
        if carrier is None:
            return ""  # required by the create body even for flat rates (notes 7b; unverified)
        try:
            return ctx.id_of(CARRIERS, str(carrier))
        except (GhlopsError, LookupError):
            pass
        carriers = list_carriers(ctx)
        problem = carrier_problem(item.key, str(carrier), carriers)
        if problem:
            raise GhlopsError(problem)
        return next(str(c["_id"]) for c in carriers if c.get("name") == carrier)

    def _body(self, ctx: Ctx, item: DesiredItem) -> dict[str, Any]:
        body = {k: v for k, v in item.fields.items() if k != "carrier"}
        body["shippingCarrierId"] = self._carrier_id(ctx, item)
        return {**location_params(ctx), **body}

    def _zone_path(self, ctx: Ctx, zone: str | None) -> str:
        if zone is None:
            raise GhlopsError("a shipping rate without its shipping zone")
        return f"/store/shipping-zone/{ctx.id_of('shippingZones', zone)}/shipping-rate"

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = ctx.api.request(
            "POST",
            self._zone_path(ctx, item.parent),
            version=self.version,
            json=self._body(ctx, item),
        )
        return str(body["data"]["_id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        # The PUT body is partial; every managed field is sent (unmanaged ones are left alone).
        ctx.api.request(
            "PUT",
            f"{self._zone_path(ctx, item.parent)}/{object_id}",
            version=self.version,
            json=self._body(ctx, item),
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"{self._zone_path(ctx, parent)}/{object_id}",
            version=self.version,
            params=location_params(ctx),
        )

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        """Carrier by name; ``isCarrierRate`` only when it disagrees with ``carrier``.

        Raises:
            ExportSkip: the rate's carrier is no longer installed in the location.
        """
        item = super().export_item(live, export)
        carrier = item.get("carrier")
        if isinstance(carrier, str) and carrier.startswith("(missing "):
            raise ExportSkip(
                f"its shipping carrier {carrier[9:-1]} is not installed in the location"
            )
        if item.get("isCarrierRate") is (carrier is not None):
            del item["isCarrierRate"]
        return item
