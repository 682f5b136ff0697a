"""Custom Fields V2: the fields and folders of custom objects (``apps/custom-fields.json``).

Wire shapes follow the spec: ``CreateCustomFieldsDTO`` (``locationId``, ``showInForms``,
``dataType``, ``fieldKey``, ``objectKey``, ``parentId`` required), ``UpdateCustomFieldsDTO``
(``locationId``, ``showInForms`` required; no ``dataType``, ``fieldKey``, ``parentId`` or
``allowCustomOption``), answers ``{"field": ICustomField}`` (create 201), the object's list
``{"fields": [...], "folders": [...]}`` (no pagination), folders ``ICustomFieldFolder`` unwrapped
(create 201), deletes ``{"succeded", "id", "key"}``. Ids are 20 alphanumerics. Every operation
carries ``Version: 2021-07-28``.

Behaviour the spec leaves open, as emulated here:

* Only custom objects of the location are served (the spec's "Custom Objects and Company"; the
  company's fields are not emulated): an unknown ``objectKey`` is 400. ``custom_object.pet``
  (the schema examples' spelling) names ``custom_objects.pet``.
* ``fieldKey`` without a dot gets the object's key as prefix; a key of another object is 400; a
  key used twice in one object is 400. ``parentId`` must be a folder of the same object.
* The list's ``folders`` are typed ``ICustomField`` by the spec: they are answered in that shape
  (``dataType: TEXT``, ``showInForms: false``, ``parentId`` the object's id, ``fieldKey``
  ``<object key>.folder_<id>``), besides their ``name``.
* "Removal of options is not supported through this update": an update whose ``options`` leave
  out an existing option (by key) is 400.
* A folder that still holds fields cannot be deleted (400).
* ``GET|PUT|DELETE /custom-fields/{id}`` name no location: the object must be the token's
  location's (404 else).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found
from ghlops.sandbox.ids import firestore_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any
FIELDS = "customObjectFields"
FOLDERS = "customObjectFolders"
OBJECTS = "customObjects"
NOT_FOUND = "Custom field not found"

routes = RouteTable("custom-fields")
routes.kind(FIELDS, schema="ICustomField")
routes.kind(FOLDERS, schema="ICustomFieldFolder")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def object_of(store: Store, location_id: str, key: str) -> dict[str, Any] | None:
    """The stored custom object ``key`` of the location (``custom_object.x`` = ``custom_objects.x``)."""
    if key.startswith("custom_object."):
        key = "custom_objects." + key.removeprefix("custom_object.")
    for obj in store.list(location_id, OBJECTS):
        if obj.data["key"] == key:
            data: dict[str, Any] = obj.data
            return data
    return None


def _object(ctx: RequestContext, location_id: str, key: str) -> dict[str, Any]:
    found = object_of(ctx.store, location_id, key)
    if found is None:
        raise bad_request(f"Object {key} not found")
    return found


def full_field_key(object_key: str, key: str) -> str:
    """``key`` with the object's prefix (400 for a key of another object)."""
    if "." not in key:
        return f"{object_key}.{key}"
    short = key.rsplit(".", 1)[-1]
    prefix = key.rsplit(".", 1)[0]
    singular = "custom_object." + object_key.removeprefix("custom_objects.")
    if prefix not in (object_key, singular):
        raise bad_request(f"fieldKey {key} does not belong to {object_key}")
    return f"{object_key}.{short}"


def add_folder(store: Store, location_id: str, obj: dict[str, Any], name: str) -> dict[str, Any]:
    """Store a folder of the object (also used for the object's first folder)."""
    if any(
        f.data["name"] == name and f.data["objectKey"] == obj["key"]
        for f in store.list(location_id, FOLDERS)
    ):
        raise bad_request(f"Folder {name} already exists")
    folder_id = firestore_id()
    stamp = now()
    folder = {
        "id": folder_id,
        "name": name,
        "objectKey": obj["key"],
        "locationId": location_id,
        "objectId": obj["id"],
        "dateAdded": stamp,
        "dateUpdated": stamp,
    }
    store.insert(location_id, FOLDERS, folder_id, folder)
    return folder


def add_field(store: Store, location_id: str, obj: dict[str, Any], body: dict[str, Any]) -> Any:
    """Store a field of the object from a create body (also the object's primary field)."""
    key = full_field_key(obj["key"], str(body["fieldKey"]))
    if any(f.data["fieldKey"] == key for f in store.list(location_id, FIELDS)):
        raise bad_request(f"Field with key {key} already exists")
    folder = store.get(FOLDERS, str(body["parentId"]))
    if (
        folder is None
        or folder.location_id != location_id
        or folder.data["objectKey"] != obj["key"]
    ):
        raise bad_request(f"Folder {body['parentId']} not found in {obj['key']}")
    stamp = now()
    field = {
        **{k: v for k, v in body.items() if v is not None},
        "id": firestore_id(),
        "fieldKey": key,
        "objectKey": obj["key"],
        "locationId": location_id,
        "dateAdded": stamp,
        "dateUpdated": stamp,
    }
    field.setdefault("name", key.rsplit(".", 1)[-1])
    store.insert(location_id, FIELDS, field["id"], field)
    return field


def _folder_view(folder: dict[str, Any]) -> dict[str, Any]:
    """A folder in the ``ICustomField`` shape the object's list types it with."""
    return {
        "id": folder["id"],
        "name": folder["name"],
        "objectKey": folder["objectKey"],
        "locationId": folder["locationId"],
        "showInForms": False,
        "dataType": "TEXT",
        "parentId": folder["objectId"],
        "fieldKey": f"{folder['objectKey']}.folder_{folder['id'].lower()}",
        "dateAdded": folder["dateAdded"],
        "dateUpdated": folder["dateUpdated"],
    }


@routes.get("/custom-fields/object-key/{objectKey}")
def list_by_object(ctx: RequestContext) -> JSON:
    obj = _object(ctx, ctx.location_id, ctx.path_params["objectKey"])
    fields = [
        ctx.render(FIELDS, f.data)
        for f in ctx.store.list(ctx.location_id, FIELDS)
        if f.data["objectKey"] == obj["key"]
    ]
    folders = [
        _folder_view(f.data)
        for f in ctx.store.list(ctx.location_id, FOLDERS)
        if f.data["objectKey"] == obj["key"]
    ]
    return {"fields": fields, "folders": folders}


@routes.post("/custom-fields/")
def create_field(ctx: RequestContext) -> JSON:
    body = ctx.body
    ctx.check_location(body["locationId"])
    obj = _object(ctx, body["locationId"], body["objectKey"])
    field = add_field(ctx.store, body["locationId"], obj, body)
    return {"field": ctx.render(FIELDS, field)}


def _owned_field(ctx: RequestContext) -> dict[str, Any]:
    data: dict[str, Any] = ctx.owned(FIELDS, ctx.path_params["id"], NOT_FOUND).data
    return data


@routes.get("/custom-fields/{id}")
def get_field(ctx: RequestContext) -> JSON:
    found = ctx.store.get(FOLDERS, ctx.path_params["id"])  # "field or folder"
    if found is not None and found.location_id == ctx.location_id:
        return {"field": _folder_view(found.data)}
    return {"field": ctx.render(FIELDS, _owned_field(ctx))}


@routes.put("/custom-fields/{id}")
def update_field(ctx: RequestContext) -> JSON:
    field = _owned_field(ctx)
    changes = {k: v for k, v in ctx.body.items() if v is not None}
    ctx.check_location(changes.pop("locationId"))
    if "options" in changes:
        kept = {str(o["key"]) for o in changes["options"]}
        dropped = [o["key"] for o in field.get("options") or () if str(o["key"]) not in kept]
        if dropped:
            raise bad_request(
                f"Removal of options is not supported through this update: {', '.join(dropped)}"
            )
    field.update(changes, dateUpdated=now())
    ctx.store.update(FIELDS, field["id"], field)
    return {"field": ctx.render(FIELDS, field)}


@routes.delete("/custom-fields/{id}")
def delete_field(ctx: RequestContext) -> JSON:
    field = _owned_field(ctx)
    ctx.store.delete(FIELDS, field["id"])
    return {"succeded": True, "id": field["id"], "key": field["fieldKey"]}


@routes.post("/custom-fields/folder")
def create_folder(ctx: RequestContext) -> JSON:
    body = ctx.body
    ctx.check_location(body["locationId"])
    obj = _object(ctx, body["locationId"], body["objectKey"])
    return ctx.render(FOLDERS, add_folder(ctx.store, body["locationId"], obj, body["name"]))


def _owned_folder(ctx: RequestContext, location_id: str) -> dict[str, Any]:
    found = ctx.store.get(FOLDERS, ctx.path_params["id"])
    if found is None or found.location_id != location_id:
        raise not_found("Folder not found")
    data: dict[str, Any] = found.data
    return data


@routes.put("/custom-fields/folder/{id}")
def update_folder(ctx: RequestContext) -> JSON:
    ctx.check_location(ctx.body["locationId"])
    folder = _owned_folder(ctx, ctx.body["locationId"])
    folder.update(name=ctx.body["name"], dateUpdated=now())
    ctx.store.update(FOLDERS, folder["id"], folder)
    return ctx.render(FOLDERS, folder)


@routes.delete("/custom-fields/folder/{id}")
def delete_folder(ctx: RequestContext) -> JSON:
    folder = _owned_folder(ctx, ctx.location_id)
    if any(f.data.get("parentId") == folder["id"] for f in ctx.store.list(ctx.location_id, FIELDS)):
        raise bad_request("Folder is not empty: move or delete its fields first")
    ctx.store.delete(FOLDERS, folder["id"])
    return {"succeded": True, "id": folder["id"], "key": folder["name"]}
