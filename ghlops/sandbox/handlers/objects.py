"""Custom objects (``apps/objects.json``; the schema operations, not records).

Wire shapes follow the spec: ``CreateCustomObjectSchemaDTO`` (``labels``, ``key``,
``locationId``, ``primaryDisplayPropertyDetails`` required), ``UpdateCustomObjectSchemaDTO``
(``locationId`` and ``searchableProperties`` required), answers ``{"object":
ICustomObjectSchema}`` (create 201), the list ``{"objects": [...]}`` (no pagination), a get
``CustomObjectByIdResponseDTO`` (``cache`` required; ``fields`` with ``fetchProperties=true``).
Create is ``Agency-Access`` only (an agency token whose company owns the location in the
body); the rest take the location's token. Ids are 24-hex. There is no delete.

Behaviour the spec leaves open, as emulated here:

* The list holds GHL's standard objects too (``contact``, ``opportunity``, ``business``,
  ``standard: true``, ids fixed per location); they cannot be created and are not stored.
* ``key`` without the ``custom_objects.`` prefix gets it; other than lowercase letters, digits
  and underscores after it is 400; a key used twice in a location is 400.
* Creating an object creates its primary display field (``primaryDisplayPropertyDetails``, key
  prefixed like the spec says) in a first folder named ``General Info``, both served by the
  Custom Fields V2 handlers.
* ``searchableProperties`` are stored but, as in the spec's response schema, never returned.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ghlops.sandbox.context import RequestContext
from ghlops.sandbox.errors import bad_request, not_found
from ghlops.sandbox.handlers.custom_fields import (
    FIELDS,
    OBJECTS,
    add_field,
    add_folder,
    full_field_key,
    now,
    object_of,
)
from ghlops.sandbox.ids import object_id
from ghlops.sandbox.routing import RouteTable
from ghlops.sandbox.store import Store

JSON = Any
PREFIX = "custom_objects."
KEY = re.compile(r"^custom_objects\.[a-z0-9_]+$")
FIRST_FOLDER = "General Info"
STANDARD = {
    "contact": ("Contact", "Contacts", "contact.name"),
    "opportunity": ("Opportunity", "Opportunities", "opportunity.name"),
    "business": ("Company", "Companies", "business.name"),
}

routes = RouteTable("objects")
routes.kind(OBJECTS, schema="ICustomObjectSchema")


def _standard(location_id: str, key: str) -> dict[str, Any]:
    singular, plural, primary = STANDARD[key]
    digest = hashlib.sha256(f"{location_id}/{key}".encode()).hexdigest()[:24]
    return {
        "id": digest,
        "standard": True,
        "key": key,
        "labels": {"singular": singular, "plural": plural},
        "locationId": location_id,
        "primaryDisplayProperty": primary,
        "dateAdded": "2020-01-01T00:00:00.000Z",
        "dateUpdated": "2020-01-01T00:00:00.000Z",
    }


def _found(ctx: RequestContext, location_id: str, key: str) -> dict[str, Any]:
    if key in STANDARD:
        return _standard(location_id, key)
    found = object_of(ctx.store, location_id, key)
    if found is None:
        raise not_found(f"Object {key} not found")
    return found


@routes.get("/objects/")
def list_objects(ctx: RequestContext) -> JSON:
    location_id = ctx.location_id
    standard = [_standard(location_id, key) for key in STANDARD]
    custom = [ctx.render(OBJECTS, o.data) for o in ctx.store.list(location_id, OBJECTS)]
    return {"objects": standard + custom}


@routes.post("/objects/")
def create_object(ctx: RequestContext) -> JSON:
    body = ctx.body
    location_id = body["locationId"]
    ctx.check_location(location_id)
    key = body["key"] if body["key"].startswith(PREFIX) else PREFIX + body["key"]
    if not KEY.fullmatch(key):
        raise bad_request("key must be lowercase letters, digits and underscores")
    if object_of(ctx.store, location_id, key) is not None:
        raise bad_request(f"Object {key} already exists")
    details = body["primaryDisplayPropertyDetails"]
    if details["dataType"] not in ("TEXT", "NUMERICAL"):
        raise bad_request("primary display property dataType must be TEXT or NUMERICAL")
    primary = full_field_key(key, details["key"])
    stamp = now()
    obj = {
        "id": object_id(),
        "standard": False,
        "key": key,
        "labels": dict(body["labels"]),
        "locationId": location_id,
        "primaryDisplayProperty": primary,
        "dateAdded": stamp,
        "dateUpdated": stamp,
    }
    if body.get("description") is not None:
        obj["description"] = body["description"]
    ctx.store.insert(location_id, OBJECTS, obj["id"], obj)
    folder = add_folder(ctx.store, location_id, obj, FIRST_FOLDER)
    add_field(
        ctx.store,
        location_id,
        obj,
        {
            "fieldKey": primary,
            "name": details["name"],
            "dataType": details["dataType"],
            "showInForms": True,
            "parentId": folder["id"],
        },
    )
    return {"object": ctx.render(OBJECTS, obj)}


@routes.get("/objects/{key}")
def get_object(ctx: RequestContext) -> JSON:
    obj = _found(ctx, ctx.location_id, ctx.path_params["key"])
    answer: dict[str, Any] = {"object": ctx.render(OBJECTS, obj), "cache": False}
    if ctx.query.get("fetchProperties", "").lower() == "true" and not obj["standard"]:
        answer["fields"] = [
            ctx.render(FIELDS, f.data)
            for f in ctx.store.list(ctx.location_id, FIELDS)
            if f.data["objectKey"] == obj["key"]
        ]
    return answer


@routes.put("/objects/{key}")
def update_object(ctx: RequestContext) -> JSON:
    body = ctx.body
    location_id = body["locationId"]
    ctx.check_location(location_id)
    obj = _found(ctx, location_id, ctx.path_params["key"])
    if obj["standard"]:
        return {"object": obj}  # only its searchable properties; not stored
    if body.get("labels"):
        obj["labels"] = {**obj["labels"], **body["labels"]}
    if "description" in body:
        obj["description"] = body["description"]
    obj["searchableProperties"] = list(body["searchableProperties"])
    obj["dateUpdated"] = now()
    ctx.store.update(OBJECTS, obj["id"], obj)
    return {"object": ctx.render(OBJECTS, obj)}


@routes.seeder(OBJECTS)
def seed_object(store: Store, location_id: str, fields: dict[str, Any]) -> str:
    """A custom object as made in the GHL UI: ``key``, ``labels``, optional ``description``
    and ``primaryDisplayProperty`` (default ``<key>.name``), with its first folder and primary
    field."""
    key = str(fields["key"])
    primary = str(fields.get("primaryDisplayProperty") or f"{key}.name")
    stamp = now()
    obj = {
        "id": str(fields.get("id") or object_id()),
        "standard": False,
        "key": key,
        "labels": dict(fields.get("labels") or {"singular": key, "plural": key}),
        "locationId": location_id,
        "primaryDisplayProperty": primary,
        "dateAdded": stamp,
        "dateUpdated": stamp,
        **({"description": fields["description"]} if "description" in fields else {}),
    }
    store.insert(location_id, OBJECTS, obj["id"], obj)
    folder = add_folder(store, location_id, obj, FIRST_FOLDER)
    add_field(
        store,
        location_id,
        obj,
        {"fieldKey": primary, "dataType": "TEXT", "showInForms": True, "parentId": folder["id"]},
    )
    return str(obj["id"])
