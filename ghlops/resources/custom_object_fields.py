"""Adapters for ``customObjectFolders`` and ``customObjectFields``, nested in ``customObjects``
(apps/custom-fields.json, the Custom Fields V2 API, Version 2021-07-28).

GET /custom-fields/object-key/{objectKey}?locationId= answers ``{"fields": [...], "folders":
[...]}`` (no pagination): one read per live object for each of the two kinds.

Folders: POST /custom-fields/folder (``objectKey``, ``name``, ``locationId``; 201, the bare
folder), PUT /custom-fields/folder/{id} (``name``, ``locationId``), DELETE
/custom-fields/folder/{id}?locationId=. Identity: ``name`` within the object (a rename is an
update with ``renamedFrom``).

Fields: POST /custom-fields/ (``locationId``, ``showInForms``, ``dataType``, ``fieldKey``,
``objectKey``, ``parentId`` required; 201 ``{"field": {...}}``), GET|PUT|DELETE
/custom-fields/{id}. Identity: the field key without the object's prefix (live keys are read
either as ``custom_objects.pets.breed`` or as ``custom_object.pets.breed``, the spec's two
spellings); the key shown is ``<object key>/<short key>``. ``parentId`` is the folder, named by
``folder``; a field without one goes into the object's first folder (read at create time), and
creating it fails with a clear error when the object has none. ``dataType``, ``folder`` and
``allowCustomOption`` are not in the update body: a change replaces the field (its data is
lost). ``showInForms`` is required on update: one the manifest omits keeps its live value (one
GET before the PUT).

Options: the update's ``options`` "will completely replace the existing options array. You must
include all existing options ... Removal of options is not supported". ghlops therefore compares
options as "every declared option is live, with its label and url" (live options the manifest
dropped are not a difference, since no call can remove them) and sends the declared options
followed by the live ones not declared. The primary display field belongs to its object
(``primaryDisplayPropertyDetails``) and is not listed as a field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ghlops.errors import GhlopsError, SourcePos
from ghlops.models.custom_object import CustomObjectField, CustomObjectFolder, short_key
from ghlops.resources.base import Adapter, Ctx, DesiredItem, ExportCtx, LiveItem
from ghlops.resources.custom_objects import VERSION, fields_path, full_key

# Keys list_live adds to a raw field or folder before live_items maps it: the live object it
# belongs to (a LiveItem), and the folder names by id from the same answer.
OBJECT = "_object"
FOLDER_NAMES = "_folders"
_OPTIONAL = (
    "description",
    "placeholder",
    "showInForms",
    "acceptedFormats",
    "maxFileLimit",
    "allowCustomOption",
)


class DeclaredOptions(list[Any]):
    """Declared options, equal to live options that hold each of them (by key, with the same
    label and url): live options the manifest dropped are no difference, as the API cannot
    remove options."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, list):
            return NotImplemented
        live = {str(o.get("key")): o for o in other if isinstance(o, Mapping)}
        return all(live.get(str(o["key"])) == o for o in self)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None


def _option(raw: Mapping[str, Any]) -> dict[str, Any]:
    option = {"key": str(raw.get("key", "")), "label": str(raw.get("label", ""))}
    if raw.get("url"):
        option["url"] = str(raw["url"])
    return option


def _object_of(ctx: Ctx, raw: Mapping[str, Any]) -> LiveItem:
    """The live object a raw field or folder belongs to: the one read for it, else by its
    ``objectKey`` (``custom_object.pet`` is read as ``custom_objects.pet``)."""
    if OBJECT in raw:
        found: LiveItem = raw[OBJECT]
        return found
    key = str(raw.get("objectKey", ""))
    if key.startswith("custom_object."):
        key = "custom_objects." + key.removeprefix("custom_object.")
    for item in ctx.live.get("customObjects", ()):
        if item.key == key:
            return item
    raise GhlopsError(f"custom field {raw.get('id')}: its object {key!r} was not read")


def _read(ctx: Ctx, adapter: Adapter, part: str) -> list[LiveItem]:
    """``part`` (``fields`` or ``folders``) of every live custom object: one read per object."""
    raws: list[Mapping[str, Any]] = []
    for obj in ctx.live.get("customObjects", ()):
        answer = ctx.api.request(
            "GET",
            fields_path(obj.key),
            version=VERSION,
            params={"locationId": ctx.location_id},
        )
        names = {str(f["id"]): str(f.get("name", "")) for f in answer.get("folders") or ()}
        raws += [{**raw, OBJECT: obj, FOLDER_NAMES: names} for raw in answer.get(part) or ()]
    return adapter.live_items(ctx, raws)


class _Nested(Adapter):
    """What folders and fields share: nested in ``customObjects``, keyed within the object."""

    version = VERSION
    parent_kind = "customObjects"

    def _short(self, fields: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def display_key(self, fields: Mapping[str, Any]) -> str:
        """``fields`` carries ``_object`` (the parent item): ``<object key>/<short key>``."""
        return f"{fields[OBJECT].key}/{self._short(fields)}"

    def child_item(
        self, parent: DesiredItem, fields: dict[str, Any], source: SourcePos | None = None
    ) -> DesiredItem:
        """The desired item of one child declared inside the custom object ``parent``."""
        fields = self.normalise_desired(fields)
        return DesiredItem(
            kind=self.kind,
            key=self.display_key({**fields, OBJECT: parent}),
            fields=fields,
            match_keys=self.match_keys(fields),
            source=source,
            parent=parent.key,
            identity=self.identify(fields, parent.ident),
        )

    def _live(self, raw: Mapping[str, Any], obj: LiveItem, fields: dict[str, Any]) -> LiveItem:
        return LiveItem(
            self.kind,
            self.display_key({**fields, OBJECT: obj}),
            str(raw["id"]),
            fields,
            self.match_keys(fields),
            {k: v for k, v in raw.items() if k not in (OBJECT, FOLDER_NAMES)},
            parent=obj.key,
            parent_id=obj.id,
            identity=self.identify(fields, obj.ident),
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        raise NotImplementedError


class CustomObjectFolderAdapter(_Nested):
    kind = "customObjectFolders"
    singular = "custom object folder"
    model = CustomObjectFolder
    compare_fields = ("name",)

    def _short(self, fields: Mapping[str, Any]) -> str:
        return str(fields["name"])

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"name:{fields['name']}",)

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        return self._live(raw, raw[OBJECT], {"name": raw["name"]})

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        return [self._live(raw, _object_of(ctx, raw), {"name": raw["name"]}) for raw in raws]

    def delete_reasons(self, live: LiveItem) -> tuple[str, ...]:
        return ("what GHL does with the fields in it is undocumented",)

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        return _read(ctx, self, "folders")

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        body = {
            "objectKey": item.parent,
            "name": item.fields["name"],
            "locationId": ctx.location_id,
        }
        answer = ctx.api.request("POST", "/custom-fields/folder", version=self.version, json=body)
        return str(answer["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        body = {"name": item.fields["name"], "locationId": ctx.location_id}
        ctx.api.request(
            "PUT", f"/custom-fields/folder/{object_id}", version=self.version, json=body
        )

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request(
            "DELETE",
            f"/custom-fields/folder/{object_id}",
            version=self.version,
            params={"locationId": ctx.location_id},
        )


class CustomObjectFieldAdapter(_Nested):
    kind = "customObjectFields"
    singular = "custom object field"
    model = CustomObjectField
    compare_fields = (
        "name",
        "dataType",
        "folder",
        "description",
        "placeholder",
        "showInForms",
        "options",
        "acceptedFormats",
        "maxFileLimit",
        "allowCustomOption",
    )
    # not in #UpdateCustomFieldsDTO: a change is a delete and a create
    immutable_fields = ("dataType", "folder", "allowCustomOption")
    export_defaults = {"showInForms": True}
    plain_fields = ("options.key",)

    def _short(self, fields: Mapping[str, Any]) -> str:
        return short_key(str(fields["fieldKey"]))

    def match_keys(self, fields: Mapping[str, Any]) -> tuple[str, ...]:
        return (f"fieldKey:{short_key(str(fields['fieldKey']))}",)

    def normalise_desired(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields["fieldKey"] = short_key(str(fields["fieldKey"]))
        if fields.get("options") is not None:
            fields["options"] = DeclaredOptions(_option(o) for o in fields["options"])
        return fields

    def _fields(self, raw: Mapping[str, Any], folders: Mapping[str, str]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "fieldKey": short_key(str(raw["fieldKey"])),
            "dataType": raw.get("dataType"),
        }
        if raw.get("name") is not None:
            fields["name"] = raw["name"]
        parent = str(raw.get("parentId") or "")
        if parent:
            fields["folder"] = folders.get(parent, f"id:{parent}")
        for name in _OPTIONAL:
            if raw.get(name) is not None:
                fields[name] = raw[name]
        if isinstance(fields.get("maxFileLimit"), float) and fields["maxFileLimit"].is_integer():
            fields["maxFileLimit"] = int(fields["maxFileLimit"])
        options = raw.get("options")
        if isinstance(options, list) and options:
            fields["options"] = DeclaredOptions(
                _option(o) for o in options if isinstance(o, Mapping)
            )
        return fields

    def live_item(self, raw: Mapping[str, Any]) -> LiveItem:
        return self._live(raw, raw[OBJECT], self._fields(raw, raw.get(FOLDER_NAMES) or {}))

    def live_items(self, ctx: Ctx, raws: Sequence[Mapping[str, Any]]) -> list[LiveItem]:
        """The fields of each object but its primary display field (the object's own)."""
        known = {f.id: str(f.fields["name"]) for f in ctx.live.get("customObjectFolders", ())}
        items = []
        for raw in raws:
            obj = _object_of(ctx, raw)
            primary = short_key(str(obj.fields.get("primaryDisplayProperty") or ""))
            if short_key(str(raw.get("fieldKey", ""))) == primary:
                continue
            folders = {**known, **(raw.get(FOLDER_NAMES) or {})}
            items.append(self._live(raw, obj, self._fields(raw, folders)))
        return items

    def update_reasons(self, desired: DesiredItem, live: LiveItem) -> tuple[str, ...]:
        declared = {o["key"] for o in desired.fields.get("options") or ()}
        kept = [o["key"] for o in live.fields.get("options") or () if o["key"] not in declared]
        if not kept or "options" not in desired.fields:
            return ()
        return (
            f"options {', '.join(map(repr, kept))} are not in the manifest but stay: the API "
            "cannot remove options (remove them in the GHL UI)",
        )

    def list_live(self, ctx: Ctx) -> list[LiveItem]:
        return _read(ctx, self, "fields")

    def _folder_id(self, ctx: Ctx, item: DesiredItem) -> str:
        obj = str(item.parent)
        if item.fields.get("folder"):
            return ctx.id_of("customObjectFolders", f"{obj}/{item.fields['folder']}")
        answer = ctx.api.request(
            "GET", fields_path(obj), version=self.version, params={"locationId": ctx.location_id}
        )
        folders = answer.get("folders") or []
        if not folders:
            raise GhlopsError(
                f"custom object field {item.key!r}: the object has no folder to put it in; "
                "declare one in the object's folders and name it in the field's folder"
            )
        return str(folders[0]["id"])

    def _body(self, item: DesiredItem) -> dict[str, Any]:
        body = {
            k: v
            for k, v in item.fields.items()
            if k in ("name", "options", *_OPTIONAL) and v is not None
        }
        if "options" in body:
            body["options"] = [dict(o) for o in body["options"]]
        return body

    def create(self, ctx: Ctx, item: DesiredItem) -> str:
        obj = str(item.parent)
        body = {
            **self._body(item),
            "locationId": ctx.location_id,
            "objectKey": obj,
            "fieldKey": full_key(obj, str(item.fields["fieldKey"])),
            "dataType": item.fields["dataType"],
            "parentId": self._folder_id(ctx, item),
        }
        body.setdefault("showInForms", True)
        answer = ctx.api.request("POST", "/custom-fields/", version=self.version, json=body)
        return str(answer["field"]["id"])

    def update(self, ctx: Ctx, object_id: str, item: DesiredItem) -> None:
        path = f"/custom-fields/{object_id}"
        live = ctx.api.request("GET", path, version=self.version)["field"]
        body = self._body(item)
        body.pop("allowCustomOption", None)  # not in the update body
        body["locationId"] = ctx.location_id
        body.setdefault("showInForms", bool(live.get("showInForms", True)))
        if "options" in body:
            declared = {o["key"] for o in body["options"]}
            body["options"] += [
                _option(o)
                for o in live.get("options") or ()
                if isinstance(o, Mapping) and str(o.get("key")) not in declared
            ]
        ctx.api.request("PUT", path, version=self.version, json=body)

    def delete(self, ctx: Ctx, object_id: str, key: str, parent: str | None) -> None:
        ctx.api.request("DELETE", f"/custom-fields/{object_id}", version=self.version)

    def export_item(self, live: LiveItem, export: ExportCtx) -> dict[str, Any]:
        item = super().export_item(live, export)
        if str(item.get("folder", "")).startswith("id:"):
            del item["folder"]
            export.notes.append(f"{self.singular} {live.key!r}: its folder is unknown; left out")
        return item


FOLDERS = CustomObjectFolderAdapter()
FIELDS = CustomObjectFieldAdapter()
