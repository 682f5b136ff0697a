"""Adapter for ``customObjects`` (apps/objects.json, Version 2021-07-28).

GET /objects/?locationId= (``{"objects": [...]}``, no pagination; it lists the standard objects
too, ``standard: true``: contact, opportunity, business, which are never managed), POST /objects/
(201 ``{"object": {...}}``; **Agency-Access** only: ghlops sends it with the agency's token, so
a project that creates custom objects needs an ``agency:`` section), GET|PUT /objects/{key}
(the path names the object by its key; PUT's body requires ``locationId`` and
``searchableProperties``). There is **no delete**: a pruned object, and a change of what cannot
change (the primary display property), are ``manual`` changes with the steps in the GHL UI.

Identity: ``key`` (``custom_objects.pets``). Compared: ``labels``, ``description``;
``primaryDisplayProperty`` (the key of the record's title field, created with the object from
``primaryDisplayPropertyDetails``) cannot change. ``searchableProperties`` is write-only (never
returned) and replaced on every update: one the manifest omits is sent as the primary display
property, and the plan says so.

Fields and folders are nested kinds (``customObjectFields``, ``customObjectFolders``, see
``custom_object_fields``); the primary display field belongs to the object and is not a field
item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.base import ResourceSpec
from ghlops.models.custom_object import CustomObject, short_key
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, ExportSkip, LiveItem
from ghlops.resources.keyed import live_of

VERSION = "2021-07-28"
PATH = "/objects/"
UI = "Settings → Objects"


def full_key(object_key: str, key: str) -> str:
    """A field key in full (``breed`` of ``custom_objects.pets`` -> ``custom_objects.pets.breed``)."""
    return f"{object_key}.{short_key(key)}"


def fields_path(object_key: str) -> str:
    return f"/custom-fields/object-key/{object_key}"


class CustomObjectAdapter(Adapter):
    kind = "customObjects"
    singular = "custom object"
    model = CustomObject
    version = VERSION
    deletable = False
    compare_fields = ("labels", "description", "primaryDisplayProperty", "searchableProperties")
    immutable_fields = ("primaryDisplayProperty",)
    write_only_fields = ("searchableProperties",)
    rename_field = "key"
    renames = False  # the key is the identity and cannot change
    agency_writes = ("create",)  # POST /objects/ admits Agency-Access only
    plain_fields = ("key", "primaryDisplayPropertyDetails.key", "fields.options.key")

    # -- pure half -------------------------------------------------------------------------
    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"key:{fields['key']}",)

    def display_key(self, fields: Mapping[str, Any]) -> str:
        return str(fields["key"])

    def desired_item(self, spec: ResourceSpec, source: SourcePos | None = None) -> DesiredItem:
        from ghlops.resources.custom_object_fields import FIELDS, FOLDERS

        assert isinstance(spec, CustomObject)
        data = spec.model_dump(exclude_none=True)
        folders = data.pop("folders", None) or []
        fields = data.pop("fields", None) or []
        data = self.normalise_desired(data)
        item = DesiredItem(
            kind=self.kind,
            key=self.display_key(data),
            fields=data,
            match_keys=self.match_keys(data),
            source=source,
            identity=self.identify(data),
        )
        children = tuple(
            replace(
                FOLDERS.child_item(item, raw, source),
                protect=f.protect,
                renamed_from=f.renamedFrom,
            )
            for raw, f in zip(folders, spec.folders or (), strict=True)
        ) + tuple(
            replace(
                FIELDS.child_item(item, raw, source),
                protect=f.protect,
                renamed_from=f.renamedFrom,
            )
            for raw, f in zip(fields, spec.fields or (), strict=True)
        )
        return replace(item, children=children)

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        key = str(fields["key"])
        details = dict(fields["primaryDisplayPropertyDetails"])
        details["key"] = full_key(key, details["key"])
        fields["primaryDisplayPropertyDetails"] = details
        fields["primaryDisplayProperty"] = details["key"]
        if "searchableProperties" in fields:
            fields["searchableProperties"] = [
                full_key(key, k) for k in fields["searchableProperties"]
            ]
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        labels = raw.get("labels") or {}
        fields: dict[str, Any] = {
            "key": raw["key"],
            "labels": {"singular": labels.get("singular"), "plural": labels.get("plural")},
            "primaryDisplayProperty": raw.get("primaryDisplayProperty"),
        }
        if raw.get("description") is not None:
            fields["description"] = raw["description"]
        return live_of(self, raw["id"], fields, raw)

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """The custom objects only: standard objects (contact, opportunity, business) are GHL's."""
        return [self.live_item(raw) for raw in raws if is_custom(raw)]

    def write_only_reasons(self, item: DesiredItem, *, changed: bool) -> tuple[str, ...]:
        if not changed:
            return ()
        if "searchableProperties" in item.fields:
            return (
                "also sends searchableProperties (GHL never returns them, so ghlops cannot "
                "tell whether they changed)",
            )
        return (
            "GHL replaces searchableProperties on every update and never returns them: not in "
            f"the manifest, they are sent as the primary display property "
            f"{item.fields['primaryDisplayProperty']!r}",
        )

    def manual_steps(
        self, action: str, desired: DesiredItem | None, live: LiveItem | None
    ) -> tuple[str, ...]:
        item = live or desired
        fields: Mapping[str, Any] = item.fields if item is not None else {}
        plural = (fields.get("labels") or {}).get("plural") or fields.get("key", "")
        where = f"{UI} → {plural!r}"
        if action == "delete":
            return (f"{where} → Delete object (its records, fields and associations go with it)",)
        if action == "replace":
            return (
                f"{where}: the primary display property cannot be changed through the API; "
                "to re-create the object, delete it there and apply again (its records are lost)",
            )
        return ()

    # -- I/O half --------------------------------------------------------------------------
    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        body = ctx.api.request(
            "GET", PATH, version=self.version, params={"locationId": ctx.location_id}
        )
        return self.live_items(ctx, body["objects"])

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        if ctx.agency is None:
            raise GhlopsError(
                f"custom object {item.key!r}: GHL creates custom objects only with an agency "
                "token (POST /objects/ is Agency-Access): add an agency: section (company_id, "
                "token_env) to ghlops.yaml"
            )
        fields = item.fields
        body: dict[str, Any] = {
            "locationId": ctx.location_id,
            "key": fields["key"],
            "labels": dict(fields["labels"]),
            "primaryDisplayPropertyDetails": dict(fields["primaryDisplayPropertyDetails"]),
        }
        if "description" in fields:
            body["description"] = fields["description"]
        answer = ctx.agency.request("POST", PATH, version=self.version, json=body)
        return str(answer["object"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        fields = item.fields
        body: dict[str, Any] = {
            "locationId": ctx.location_id,
            "labels": dict(fields["labels"]),
            "searchableProperties": list(
                fields.get("searchableProperties", [fields["primaryDisplayProperty"]])
            ),
        }
        if "description" in fields:
            body["description"] = fields["description"]
        ctx.api.request("PUT", f"{PATH}{fields['key']}", version=self.version, json=body)

    # -- export ----------------------------------------------------------------------------
    def export_lookups(self, ctx: Ctx, items: Sequence[LiveItem], export: ExportCtx) -> None:
        """The primary display field of each object (its name and type are only in the
        object's fields): one read per object."""
        for live in items:
            answer = ctx.api.request(
                "GET",
                fields_path(live.key),
                version=self.version,
                params={"locationId": ctx.location_id},
            )
            primary = short_key(str(live.fields.get("primaryDisplayProperty") or ""))
            for raw in answer.get("fields") or ():
                if short_key(str(raw.get("fieldKey", ""))) == primary:
                    export.lookups[live.key] = raw

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        fields = live.fields
        primary = export.lookups.get(live.key)
        if primary is None:
            raise ExportSkip(
                f"its primary display field {fields.get('primaryDisplayProperty')!r} was not "
                "found among its fields"
            )
        item: dict[str, Any] = {"key": fields["key"], "labels": dict(fields["labels"])}
        if fields.get("description"):
            item["description"] = fields["description"]
        item["primaryDisplayPropertyDetails"] = {
            "key": short_key(str(fields["primaryDisplayProperty"])),
            "name": primary.get("name") or short_key(str(fields["primaryDisplayProperty"])),
            "dataType": primary.get("dataType"),
        }
        return item


def is_custom(raw: Mapping[str, Any]) -> bool:
    """A custom object (not one of GHL's standard objects)."""
    return raw.get("standard") is not True and str(raw.get("key", "")).startswith("custom_objects.")
