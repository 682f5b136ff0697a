"""Adapter for ``calendarResources``: rooms and equipments (apps/calendars.json, 2021-04-15).

GET /calendars/resources/{rooms|equipments}?locationId=&limit=&skip= (both required; a bare JSON
array, no total: every page is read, until an empty page), POST /calendars/resources/{type}
(201, the bare object), PUT|DELETE /calendars/resources/{type}/{id}. The create body requires
every field (``description``, non-empty, which the model requires too; ``quantity``,
``outOfService``, ``capacity``, ``calendarIds``): omitted ones are sent as
:data:`CREATE_DEFAULTS`. The update body has no required field: updates
send what the manifest sets. ``isActive`` is in the update body only: a resource declared
inactive is created, then updated.

Identity: ``name`` within ``resourceType`` (the path segment, so a resource never changes type;
another type is another resource). The natural key shown is ``<type>/<name>`` (``rooms/Suite 1``).

Ids: the spec's response schemas have no id property. The adapter reads ``id``, or ``_id`` (the
other reasonable reading), and says so when neither is there.

References: ``calendars`` names calendars by their natural key (slug, or name without a slug),
sent as ``calendarIds``; live ids map back through the calendars read before (an id that is not
a calendar of the location stays an id, so it shows in a diff). Compared as a set (sorted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.models.calendar_resource import CalendarResource
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem, Ref

PATH = "/calendars/resources"
TYPES = ("rooms", "equipments")
PAGE_SIZE = 100
# What an omitted field of the create body (where all are required) is sent as.
CREATE_DEFAULTS: dict[str, Any] = {
    "quantity": 1,
    "outOfService": 0,
    "capacity": 1,
    "calendarIds": [],
}
_NUMBERS = ("quantity", "outOfService", "capacity")


def _tidy(value: Any) -> Any:
    """A whole float (``2.0``) as an int: the API's numbers are JSON numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def object_id(raw: Mapping[str, Any]) -> str:
    """The id of a live resource: ``id``, else ``_id`` (the spec names neither).

    Raises:
        GhlopsError: the object has neither.
    """
    found = raw.get("id") or raw.get("_id")
    if not found:
        raise GhlopsError(
            f"calendar resource {raw.get('name')!r}: the API answered without an id "
            "(neither 'id' nor '_id'), so it cannot be managed"
        )
    return str(found)


class CalendarResourceAdapter(Adapter):
    kind = "calendarResources"
    singular = "calendar resource"
    model = CalendarResource
    version = "2021-04-15"
    depends_on = ("calendars",)  # calendarIds name calendars
    compare_fields = (
        "description",
        "quantity",
        "outOfService",
        "capacity",
        "calendars",
        "isActive",
    )
    identity_fields = ("resourceType",)
    export_defaults = {"isActive": True}

    # -- pure half -------------------------------------------------------------------------
    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"{fields['resourceType']}:{fields['name']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return f"{fields['resourceType']}/{fields['name']}"

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        item = super().desired_item(spec, source)
        refs = tuple(
            Ref(field="calendars", kind="calendars", key=str(key))
            for key in item.fields.get("calendars", ())
        )
        return replace(item, refs=refs) if refs else item

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        if "calendars" in fields:
            fields["calendars"] = sorted(set(fields["calendars"]))
        for name in _NUMBERS:
            if name in fields:
                fields[name] = _tidy(fields[name])
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        """Without context: ``calendars`` holds the raw calendar ids."""
        return self._live(raw, {})

    def _live(self, raw: Mapping[str, Any], calendar_keys: Mapping[str, str]) -> LiveItem:
        fields: dict[str, Any] = {
            "resourceType": raw["resourceType"],
            "name": raw["name"],
            "description": raw.get("description") or "",
            # CalendarResourceByIdResponseDTO requires isActive; an object without it is active
            "isActive": raw.get("isActive") is not False,
            "calendars": sorted(
                {calendar_keys.get(str(c), str(c)) for c in raw.get("calendarIds") or ()}
            ),
        }
        for name in _NUMBERS:
            if raw.get(name) is not None:
                fields[name] = _tidy(raw[name])
        return LiveItem(
            self.kind,
            self.display_key(fields),
            object_id(raw),
            fields,
            self.match_keys(fields),
            raw,
            identity=self.identify(fields),
        )

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        keys = {c.id: c.key for c in ctx.live.get("calendars", ())}
        return [self._live(raw, keys) for raw in raws]

    # -- I/O half --------------------------------------------------------------------------
    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raws: list[Mapping[str, Any]] = []
        for resource_type in TYPES:
            found = ctx.api.paginate(
                f"{PATH}/{resource_type}",
                version=self.version,
                items="",
                params={"locationId": ctx.location_id},
                page_size=PAGE_SIZE,
                style="skip",
            )
            # the list's objects carry their type; an object without it is of the type listed
            raws += [{"resourceType": resource_type, **r} for r in found]
        return self.live_items(ctx, raws)

    def _body(self, ctx: Ctx, item: DesiredItem) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, value in item.fields.items():
            if name == "calendars":
                body["calendarIds"] = [ctx.id_of("calendars", str(key)) for key in value]
            elif name not in ("resourceType", "isActive"):
                body[name] = value
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = {**CREATE_DEFAULTS, **self._body(ctx, item), "locationId": ctx.location_id}
        path = f"{PATH}/{item.fields['resourceType']}"
        answer = ctx.api.request("POST", path, version=self.version, json=body)
        new_id = object_id(answer)
        if item.fields.get("isActive") is False:  # not in the create body
            ctx.api.request(
                "PUT", f"{path}/{new_id}", version=self.version, json={"isActive": False}
            )
        return new_id

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        body = self._body(ctx, item)
        if "isActive" in item.fields:
            body["isActive"] = item.fields["isActive"]
        ctx.api.request(
            "PUT",
            f"{PATH}/{item.fields['resourceType']}/{object_id}",
            version=self.version,
            json=body,
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        resource_type = key.split("/", 1)[0]
        ctx.api.request("DELETE", f"{PATH}/{resource_type}/{object_id}", version=self.version)
